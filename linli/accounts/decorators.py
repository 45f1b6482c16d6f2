"""View guards. Every view is wrapped in exactly one of these, which also tags it so the URL sweep
test can prove that no route is left without a rule (deny by default, SECURITY.md B1).

* ``public``: reviewed anonymous pages (login, health check, offline page, manifest).
* ``signed_in``: any signed-in account (own inbox, own account page).
* ``rule_required(name)``: a named rules permission, checked without an object; views that load an
  object check it again through a selector that answers 404 outside the actor's scope.

A staff account that has not passed TOTP this session (a password-only session) reaches nothing
but the second-factor step (TOTP, or enrolment with an enrolment link) and sign-out: every guard,
``public`` included, sends it to the TOTP step. The only exceptions are the reviewed, data-free and
read-only views in ``BEFORE_SECOND_FACTOR`` (SECURITY.md A6; issue 5 finding 1). A staff account whose password has expired
(never changed since an administrator set it, or older than ``LINLI_STAFF_PASSWORD_MAX_AGE_DAYS``,
SECURITY.md A2) is then sent to the password change page by ``signed_in`` and ``rule_required``,
except on views marked ``allows_expired_password`` (the change page itself).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from linli.accounts.passwords import password_expired
from linli.accounts.scoping import is_second_factor_verified

View = Callable[..., HttpResponse]


def _tag(view: View, kind: str, rule: str | None = None) -> View:
    view.linli_guard = kind  # type: ignore[attr-defined]
    view.linli_rule = rule  # type: ignore[attr-defined]
    return view


BEFORE_SECOND_FACTOR = frozenset(
    {
        "accounts:logout",  # sign-out
        "accounts:enrolment_link",  # opens an enrolment link, then sends to the second-factor step
        "web:healthz",  # load balancer check, no data
        "web:manifest",  # web app manifest, no data
        "web:service_worker",  # service worker script: a redirect would break its update check
        "web:offline",  # rendered as for an anonymous visitor and cached by the service worker
        "demo:authenticator",  # demo mode only: the stand-in authenticator app of demo accounts
        "demo:authenticator_codes",
    }
)
"""URL names of ``public`` views a password-only staff session may still reach. Reviewed: none of
them reads personal data or writes anything but sign-out (and the enrolment link, which only
remembers the link for the second-factor step)."""


def _second_factor_redirect(request: HttpRequest) -> HttpResponse:
    """To the TOTP step, keeping a ``next`` the sign-in flow carried (checked there)."""
    from urllib.parse import urlencode

    target = reverse("accounts:second_factor")
    next_url = request.GET.get("next")
    return redirect(f"{target}?{urlencode({'next': next_url})}" if next_url else target)


def public(view: View) -> View:
    """Reviewed anonymous pages. A password-only staff session is sent to the TOTP step instead,
    except on the views named in ``BEFORE_SECOND_FACTOR``."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and _needs_second_factor(user):
            match = request.resolver_match
            if match is None or match.view_name not in BEFORE_SECOND_FACTOR:
                return _second_factor_redirect(request)
        return view(request, *args, **kwargs)

    return _tag(wrapper, "public")


SIGN_IN_KIND_COOKIE = "linli_sign_in"
"""Which sign-in page this browser used last (``staff`` or ``resident``): set by the sign-in
views, read when a session has ended so that staff are sent back to the staff sign-in."""


def _login_redirect(request: HttpRequest) -> HttpResponse:
    from urllib.parse import urlencode

    kind = getattr(request, "linli_session_expired_kind", None) or request.COOKIES.get(SIGN_IN_KIND_COOKIE)
    page = "accounts:staff_login" if kind == "staff" else "accounts:login"
    if getattr(request, "linli_session_expired", False):
        from django.contrib import messages
        from django.utils.translation import gettext as _

        messages.info(request, _("Your session has ended. Please sign in again."))
    return redirect(f"{reverse(page)}?{urlencode({'next': request.get_full_path()})}")


def _needs_second_factor(user: Any) -> bool:
    return user.kind == "staff" and not is_second_factor_verified(user)


def _rotate_on_privilege_change(request: HttpRequest) -> None:
    """A staff session whose roles changed since its id was issued gets a new id (issue 5 finding
    3): the old cookie value, wherever it was copied to, stops working."""
    if request.user.kind == "staff":  # type: ignore[union-attr]
        from linli.accounts.actions.sessions import rotate_if_privilege_changed

        rotate_if_privilege_changed(request, request.user)


def _needs_password_change(user: Any, view: View) -> bool:
    return user.kind == "staff" and not getattr(view, "linli_allows_expired_password", False) and password_expired(user)


def _password_change_redirect(request: HttpRequest) -> HttpResponse:
    from django.contrib import messages
    from django.utils.translation import gettext as _

    messages.warning(request, _("Your password has expired. Choose a new one."))
    return redirect("accounts:change_password")


def allows_expired_password(view: View) -> View:
    """Mark a ``signed_in`` view that a staff member with an expired password may still use (the
    password change page). Apply it below the guard."""
    view.linli_allows_expired_password = True  # type: ignore[attr-defined]
    return view


def staff_second_factor_pending(view: View) -> View:
    """For the TOTP step itself: a staff account signed in with its password only."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return _login_redirect(request)
        if request.user.kind != "staff":
            raise Http404
        return view(request, *args, **kwargs)

    return _tag(wrapper, "second_factor_pending")


def signed_in(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return _login_redirect(request)
        if _needs_second_factor(request.user):
            return _second_factor_redirect(request)
        _rotate_on_privilege_change(request)
        if _needs_password_change(request.user, view):
            return _password_change_redirect(request)
        return view(request, *args, **kwargs)

    return _tag(wrapper, "signed_in")


def rule_required(rule: str) -> Callable[[View], View]:
    """Require the named permission; refuse with 404 so a probe learns nothing."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return _login_redirect(request)
            if _needs_second_factor(request.user):
                return _second_factor_redirect(request)
            _rotate_on_privilege_change(request)
            if _needs_password_change(request.user, view):
                return _password_change_redirect(request)
            if not request.user.has_perm(rule):
                from linli.audit.actions import record_event

                record_event(
                    "authz.denied",
                    actor=request.user,
                    outcome="denied",
                    object_type="url",
                    object_id=request.path[:64],
                    detail={"rule": rule},
                )
                raise Http404
            return view(request, *args, **kwargs)

        return _tag(wrapper, "rule", rule)

    return decorator
