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
    code = "rate_limited"
    status = 429


class ReauthenticationRequired(LinliError):
    code = "reauthentication_required"
    status = 401
