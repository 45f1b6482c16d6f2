"""The signed-in user's own account: sessions, sign-out everywhere, preferences."""

from __future__ import annotations

import uuid
from typing import cast

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.accounts.actions.preferences import do_update_preferences
from linli.accounts.actions.sessions import do_end_session, do_logout_everywhere
from linli.accounts.decorators import public, signed_in
from linli.accounts.forms import PreferencesForm
from linli.accounts.models import RoleAssignment, User, UserSession
from linli.accounts.scoping import grants
from linli.accounts.views.login import _safe_next
from linli.privacy.masking import mask_email, mask_phone

ONE_YEAR = 365 * 24 * 3600


@signed_in
def account(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    sessions = UserSession.objects.filter(user=user, ended_at__isnull=True).order_by("-last_activity_at")[:20]
    current = getattr(request, "linli_session", None)
    context = {
        "masked_phone": mask_phone(user.phone),
        "masked_email": mask_email(user.email),
        "sessions": sessions,
        "current_session_id": current.id if current else None,
        "grants": grants(user),
        "roles": RoleAssignment.objects.active().filter(user=user).select_related("area", "department")
        if user.kind == "staff"
        else [],
    }
    return render(request, "accounts/account.html", context)


@signed_in
@require_POST
def end_session(request: HttpRequest, session_id: uuid.UUID) -> HttpResponse:
    record = UserSession.objects.filter(id=session_id, user=cast(User, request.user), ended_at__isnull=True).first()
    if record is None:
        raise Http404
    do_end_session(record, reason="ended_by_user", acting_user=request.user)
    messages.success(request, _("That session was signed out."))
    return redirect("accounts:account")


@signed_in
@require_POST
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    count = do_logout_everywhere(request, request.user)  # type: ignore[arg-type]
    messages.success(request, _("Signed out of %(count)d sessions.") % {"count": count})
    return redirect("web:home")


@public
@require_POST
def preferences(request: HttpRequest) -> HttpResponse:
    """Language and elderly mode for anyone (cookies); saved on the account when signed in."""
    form = PreferencesForm(request.POST)
    next_url = _safe_next(request, "/")
    if not form.is_valid():
        messages.error(request, _("That preference could not be saved."))
        return redirect(next_url)
    data = {key: value for key, value in form.cleaned_data.items() if key in request.POST}
    changes: dict[str, object] = {}
    if data.get("language"):
        changes["language"] = data["language"]
    if data.get("elderly_mode") in {"0", "1"}:
        changes["elderly_mode"] = data["elderly_mode"] == "1"
    for name in ("notify_by_sms", "notify_by_email"):
        if name in data:
            changes[name] = data[name]
    response = redirect(next_url)
    if "language" in changes:
        response.set_cookie("linli_language", str(changes["language"]), max_age=ONE_YEAR, samesite="Lax", httponly=True)
    if "elderly_mode" in changes:
        response.set_cookie(
            "linli_elderly", "1" if changes["elderly_mode"] else "0", max_age=ONE_YEAR, samesite="Lax", httponly=True
        )
    if request.user.is_authenticated:
        do_update_preferences(request.user, **changes)  # type: ignore[arg-type]
    return response
