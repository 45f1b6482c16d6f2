"""Who is calling (SECURITY.md A6, B4, G1; OWASP API2, API5).

* ``token_auth``: ``Authorization: Bearer lnl_<prefix>_<secret>`` for machine clients. A
  present but invalid bearer token answers 401 at once — it never falls back to a session
  cookie. Other schemes (a proxy's ``Basic``) are left alone.
* ``session_auth``: the web session, with Django's CSRF check on unsafe methods (send the
  token in ``X-CSRFToken``). A staff session that has not passed TOTP is not signed in for the
  API at all (401 ``second_factor_required``), so a password-only session reaches no staff data.

``require(request, rule)`` checks a named rules permission at the boundary (function level): a
signed-in account without it gets 403 and an ``authz.denied`` audit event. Object scoping is the
selectors' job (404 outside the actor's jurisdiction).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from linli.accounts.actions.tokens import authenticate_token
from linli.accounts.scoping import is_second_factor_verified
from linli.api.errors import CsrfFailed, NotAuthenticated
from linli.audit.actions import record_event
from linli.core.errors import PermissionRefused


class TokenAuth(HttpBearer):
    """Machine clients. Sets ``request.user`` to the token's owner, narrowed to its area."""

    openapi_bearerFormat = "lnl_<prefix>_<secret>"

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get(self.header, "")
        if not header:
            return None
        scheme, _separator, value = header.partition(" ")
        if scheme.lower() != "bearer":
            return None  # another scheme (e.g. a proxy's Basic auth) is not ours: try the session
        return self.authenticate(request, value.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = authenticate_token(token)
        if user is None:
            raise NotAuthenticated("invalid_token")
        request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The signed-in web session (cookie), CSRF-checked on POST/PATCH/PUT/DELETE."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request) is not None:
            raise CsrfFailed()
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user: Any = request.user
        if not user.is_authenticated or not user.is_active:
            return None
        if user.kind == "staff" and not is_second_factor_verified(user):
            raise NotAuthenticated("second_factor_required")
        return user


token_auth = TokenAuth()
session_auth = SessionAuth()
ANY_AUTH = [token_auth, session_auth]
SESSION_ONLY = [session_auth]


def require(request: HttpRequest, rule: str) -> None:
    """Function-level check: the actor must hold ``rule`` (403 otherwise, audited)."""
    user: Any = request.user
    if user.has_perm(rule):
        return
    record_event(
        "authz.denied",
        actor=user,
        outcome="denied",
        object_type="api",
        object_id=request.path[:64],
        detail={"rule": rule, "method": request.method or ""},
    )
    raise PermissionRefused(_("You may not do this."), code="forbidden")
