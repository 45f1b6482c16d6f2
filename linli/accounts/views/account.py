"""The signed-in user's own account: sessions, sign-out everywhere, preferences."""

from __future__ import annotations

import uuid
from typing import cast

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from linli.accounts.actions import email as email_actions
from linli.accounts.actions.login import is_recently_authenticated
from linli.accounts.actions.preferences import do_update_preferences
from linli.accounts.actions.sessions import do_end_session, do_logout_everywhere
from linli.accounts.decorators import public, signed_in
from linli.accounts.forms import EmailChangeForm, PreferencesForm
from linli.accounts.models import RoleAssignment, User, UserSession
from linli.accounts.scoping import grants
from linli.accounts.views.login import _safe_next
from linli.core.errors import LinliError
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


def _site_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@signed_in
@require_http_methods(["GET", "POST"])
def change_email(request: HttpRequest) -> HttpResponse:
    """Ask to change the e-mail address: after a fresh sign-in, a confirmation link goes to the new
    address; the address changes when its owner opens it (issue 5 finding 1)."""
    if not is_recently_authenticated(request):
        from urllib.parse import urlencode

        return redirect(f"{reverse('accounts:reauthenticate')}?{urlencode({'next': request.path})}")
    user = cast(User, request.user)
    form = EmailChangeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                email_actions.do_request_email_change(
                    request, user, form.cleaned_data["email"], site_url=_site_url(request)
                )
            except LinliError as error:
                form.add_error(error.field if error.field in form.fields else None, str(error.message))
                status = error.status
            else:
                messages.success(
                    request,
                    _("We sent a confirmation link to %(address)s. Your address changes when you open it.")
                    % {"address": form.cleaned_data["email"]},
                )
                return redirect("accounts:account")
        else:
            status = 422
    context = {"form": form, "masked_email": mask_email(user.email), "hours": email_actions.link_hours()}
    return render(request, "accounts/change_email.html", context, status=status)


@signed_in
@require_http_methods(["GET", "POST"])
def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    """The confirmation link from the e-mail: shows the new address (GET, so that mail scanners
    that open links change nothing) and changes it when the signed-in owner confirms (POST)."""
    user = cast(User, request.user)
    try:
        if request.method == "POST":
            address = email_actions.do_confirm_email_change(user, token)
        else:
            address = email_actions.pending_change(user, token).new_email
    except LinliError as error:
        return render(request, "accounts/confirm_email.html", {"error": str(error.message)}, status=410)
    if request.method == "POST":
        messages.success(request, _("Your e-mail address is now %(address)s.") % {"address": address})
        return redirect("accounts:account")
    return render(request, "accounts/confirm_email.html", {"address": address})
