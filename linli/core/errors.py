"""Errors that carry a stable code, so the UI, the API and tests can tell them apart."""

from __future__ import annotations

from django.utils.functional import Promise


class LinliError(Exception):
    """A refusal the user can act on. ``code`` is stable; ``message`` is translated."""

    code = "error"
    status = 400

    def __init__(self, message: str | Promise, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code
        self.field = field


class ValidationFailed(LinliError):
    code = "invalid"
    status = 422


class PermissionRefused(LinliError):
    code = "forbidden"
    status = 403


class Conflict(LinliError):
    code = "conflict"
    status = 409


class RateLimited(LinliError):
    """Too many attempts. ``retry_after`` (seconds), when known, becomes the ``Retry-After`` header."""

    code = "rate_limited"
    status = 429

    def __init__(
        self,
        message: str | Promise,
        *,
        code: str | None = None,
        field: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message, code=code, field=field)
        self.retry_after = retry_after


class ReauthenticationRequired(LinliError):
    code = "reauthentication_required"
    status = 401


def error_body(code: str, message: str | Promise, **extra: object) -> dict[str, object]:
    """The JSON error format of the API, also used for errors answered before a view runs
    (an oversized body: 413)::

        {"error": {"code": "not_found", "message": "Not found.", "fields": [...]}}
    """
    return {"error": {"code": code, "message": str(message), **extra}}
