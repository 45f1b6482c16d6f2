"""Sign-in pages: resident phone code, staff password, TOTP step and enrolment, re-authentication,
sign-out. Thin: parse a form, call one action, render."""

from __future__ import annotations

from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from linli.accounts.actions import enrolment as enrolment_actions
from linli.accounts.actions import login as login_actions
from linli.accounts.actions.sessions import do_end_session
from linli.accounts.decorators import (
    SIGN_IN_KIND_COOKIE,
    allows_expired_password,
    public,
    signed_in,
    staff_second_factor_pending,
)
from linli.accounts.forms import (
    ChangePasswordForm,
    CodeForm,
    EnrolmentLinkForm,
    PasswordLoginForm,
    PhoneForm,
    ReauthenticateForm,
)
from linli.accounts.passwords import password_expired
from linli.core.errors import LinliError
from linli.privacy import crypto
from linli.privacy.masking import mask_phone

PENDING_PHONE_KEY = "linli_pending_login_phone"
SIGN_IN_KIND_MAX_AGE = 90 * 24 * 3600


def _safe_next(request: HttpRequest, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _remember_sign_in_kind(response: HttpResponse, kind: str) -> None:
    """Which sign-in page to offer when this browser's session ends (staff or resident)."""
    response.set_cookie(SIGN_IN_KIND_COOKIE, kind, max_age=SIGN_IN_KIND_MAX_AGE, samesite="Lax", httponly=True)


def _pending_phone(request: HttpRequest) -> str | None:
    stored = request.session.get(PENDING_PHONE_KEY)
    if not stored:
        return None
    try:
        return crypto.decrypt(stored, context=PENDING_PHONE_KEY)
    except crypto.DecryptionError:
        request.session.pop(PENDING_PHONE_KEY, None)
        return None


@public
@require_http_methods(["GET", "POST"])
def resident_login(request: HttpRequest) -> HttpResponse:
    """Step 1: the phone number; step 2 (same page): the code sent to it."""
    phone = _pending_phone(request)
    phone_form = PhoneForm(request.POST if request.method == "POST" and "phone" in request.POST else None)
    code_form = CodeForm(request.POST if request.method == "POST" and "code" in request.POST else None)
    status = 200
    if request.method == "POST" and "phone" in request.POST:
        if phone_form.is_valid():
            try:
                login_actions.do_request_login_code(phone_form.cleaned_data["phone"])
            except LinliError as error:
                phone_form.add_error("phone", str(error.message))
                status = error.status
            else:
                # The session row is readable base64 JSON: keep the number encrypted there too.
                request.session[PENDING_PHONE_KEY] = crypto.encrypt(
                    phone_form.cleaned_data["phone"], context=PENDING_PHONE_KEY
                )
                return redirect(f"{request.path}?next={_safe_next(request)}")
        else:
            status = 422
    elif request.method == "POST" and "code" not in request.POST:
        phone_form = PhoneForm(request.POST)
        status = 400
    elif request.method == "POST" and not phone:
        status = 400
    elif request.method == "POST" and "code" in request.POST and phone:
        if code_form.is_valid():
            try:
                login_actions.do_login_with_code(request, phone, code_form.cleaned_data["code"])
            except LinliError as error:
                code_form.add_error("code", str(error.message))
                status = error.status
            else:
                request.session.pop(PENDING_PHONE_KEY, None)
                response = redirect(_safe_next(request, "/home/"))
                _remember_sign_in_kind(response, "resident")
                return response
        else:
            status = 422
    context = {
        "phone_form": phone_form,
        "code_form": code_form,
        "pending_phone": mask_phone(phone) if phone else "",
        "next": _safe_next(request, "/home/"),
        "demo_mode": settings.DEMO_MODE,
    }
    return render(request, "accounts/resident_login.html", context, status=status)


@public
@require_POST
def resident_login_restart(request: HttpRequest) -> HttpResponse:
    request.session.pop(PENDING_PHONE_KEY, None)
    return redirect("accounts:login")


@public
@require_http_methods(["GET", "POST"])
def staff_login(request: HttpRequest) -> HttpResponse:
    form = PasswordLoginForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                login_actions.do_login_with_password(
                    request, form.cleaned_data["username"], form.cleaned_data["password"]
                )
            except LinliError as error:
                form.add_error(None, str(error.message))
                status = error.status
            else:
                response = redirect(f"/accounts/second-factor/?next={_safe_next(request, '/workbench/')}")
                _remember_sign_in_kind(response, "staff")
                return response
        else:
            status = 422
    return render(
        request, "accounts/staff_login.html", {"form": form, "next": _safe_next(request, "/workbench/")}, status=status
    )


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
    *args: Any,
    **kwargs: Any,
) -> HttpResponse:
    """django-axes calls this when a locked account name is tried: the same answer whether the
    account exists or not. (axes 8 passes the original response as the second argument.)"""
    form = PasswordLoginForm(request.POST or None)
    form.is_valid()
    form.add_error(None, _("Too many failed attempts. Try again in 30 minutes."))
    return render(
        request, "accounts/staff_login.html", {"form": form, "next": _safe_next(request, "/workbench/")}, status=429
    )


@staff_second_factor_pending
@require_http_methods(["GET", "POST"])
def second_factor(request: HttpRequest) -> HttpResponse:
    """Verify a TOTP code, or enrol the first device with a QR code — only with an enrolment link
    opened in this session (issue 5 finding 7)."""
    user = request.user
    next_url = _safe_next(request, "/workbench/")
    if user.is_verified():  # type: ignore[union-attr]
        return redirect(next_url)
    device = login_actions.confirmed_device(user)  # type: ignore[arg-type]
    form = CodeForm(request.POST or None)
    status = 200
    enrolment: dict[str, str] = {}
    link = None
    if device is None:
        link = enrolment_actions.usable_session_link(request, user)  # type: ignore[arg-type]
        if link is None:
            if request.method == "POST":
                enrolment_actions.refuse_enrolment_without_link(user)  # type: ignore[arg-type]
                status = 403
            return render(
                request,
                "accounts/enrolment_needed.html",
                {"next": next_url, "link_form": EnrolmentLinkForm()},
                status=status,
            )
        pending = login_actions.do_begin_totp_enrolment(user)  # type: ignore[arg-type]
        uri = _otpauth_uri(user.get_username(), pending.encrypted_key)
        enrolment = {
            "qr_svg": segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff", omitsize=True),
            "secret": _base32(pending.encrypted_key),
        }
    if request.method == "POST":
        if form.is_valid():
            token = form.cleaned_data["code"]
            if link is not None:
                ok = login_actions.do_confirm_totp_enrolment(request, user, token, link_id=link.pk)  # type: ignore[arg-type]
                if ok:
                    request.session.pop(enrolment_actions.ENROLMENT_SESSION_KEY, None)
            else:
                ok = login_actions.do_verify_second_factor(request, user, token)  # type: ignore[arg-type]
            if ok:
                if password_expired(user):
                    messages.warning(request, _("Your password has expired. Choose a new one."))
                    return redirect("accounts:change_password")
                return redirect(next_url)
            form.add_error("code", _("The code is wrong or was already used. Wait for the next code and try again."))
            status = 422
        else:
            status = 422
    return render(
        request,
        "accounts/second_factor.html",
        {"form": form, "enrolment": enrolment, "next": next_url},
        status=status,
    )


@public
@require_http_methods(["GET", "POST"])
def enrolment_link(request: HttpRequest, token: str = "") -> HttpResponse:
    """An enrolment link was opened (GET with the token in the path), or pasted on the
    second-factor page (POST). A usable link is remembered in the session and leads to the
    password step, or straight to the second-factor step in the middle of a staff sign-in."""
    if request.method == "POST":
        form = EnrolmentLinkForm(request.POST)
        token = form.cleaned_data["link"] if form.is_valid() else ""
    user = request.user
    if user.is_authenticated and (user.kind != "staff" or user.is_verified()):  # type: ignore[union-attr, attr-defined]
        messages.info(request, _("You are already signed in. Sign out first to use an enrolment link."))
        return redirect("web:home")
    problem = enrolment_actions.do_open_enrolment_link(request, token)
    if problem:
        return render(request, "accounts/enrolment_link_invalid.html", {"problem": problem}, status=410)
    if user.is_authenticated:
        return redirect("accounts:second_factor")
    messages.info(request, _("Sign in with your username and password to set up your authenticator app."))
    return redirect("accounts:staff_login")


def _base32(hex_key: str) -> str:
    import base64

    return base64.b32encode(bytes.fromhex(hex_key)).decode().rstrip("=")


def _otpauth_uri(username: str, hex_key: str) -> str:
    from urllib.parse import quote, urlencode

    issuer = settings.OTP_TOTP_ISSUER
    label = quote(f"{issuer}:{username}")
    return (
        f"otpauth://totp/{label}?{urlencode({'secret': _base32(hex_key), 'issuer': issuer, 'digits': 6, 'period': 30})}"
    )


@public
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    record = getattr(request, "linli_session", None)
    if record is not None:
        do_end_session(record, reason="logout", acting_user=request.user)
    logout(request)
    return redirect("web:home")


@signed_in
@require_http_methods(["GET", "POST"])
def reauthenticate(request: HttpRequest) -> HttpResponse:
    """Fresh re-authentication (≤ 5 minutes) before revealing data, exports or role changes."""
    user = request.user
    next_url = _safe_next(request, "/accounts/")
    form = ReauthenticateForm(request.POST or None)
    status = 200
    if request.method == "POST" and "send_code" in request.POST and user.kind == "resident":  # type: ignore[union-attr]
        try:
            login_actions.do_request_login_code(user.phone)  # type: ignore[union-attr]
            messages.info(request, _("A code was sent to your phone."))
        except LinliError as error:
            messages.error(request, str(error.message))
        return redirect(f"{request.path}?next={next_url}")
    if request.method == "POST":
        if form.is_valid():
            if user.kind == "staff":  # type: ignore[union-attr]
                ok = login_actions.do_reauthenticate_staff(
                    request,
                    user,  # type: ignore[arg-type]
                    form.cleaned_data["password"],
                    form.cleaned_data["code"],
                )
            else:
                ok = login_actions.do_reauthenticate_resident(request, user, form.cleaned_data["code"])  # type: ignore[arg-type]
            if ok:
                return redirect(next_url)
            form.add_error(None, _("Confirmation failed. Check what you entered and try again."))
        status = 422
    return render(request, "accounts/reauthenticate.html", {"form": form, "next": next_url}, status=status)


@signed_in
@allows_expired_password
@require_http_methods(["GET", "POST"])
def change_password(request: HttpRequest) -> HttpResponse:
    if request.user.kind != "staff":  # type: ignore[union-attr]
        return redirect("accounts:account")
    form = ChangePasswordForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                login_actions.do_change_password(
                    request,
                    request.user,  # type: ignore[arg-type]
                    form.cleaned_data["old_password"],
                    form.cleaned_data["new_password"],
                )
            except LinliError as error:
                form.add_error(error.field, str(error.message))
                status = error.status
            else:
                messages.success(request, _("Your password was changed. Other sessions were signed out."))
                return redirect("accounts:account")
        else:
            status = 422
    return render(request, "accounts/change_password.html", {"form": form}, status=status)
