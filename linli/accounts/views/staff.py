"""Staff administration pages (三员): the system administrator creates, disables, enables staff
accounts and resets their passwords; the security administrator grants and revokes roles and
resets a lost second factor, after fresh re-authentication (A7). Thin: parse, call one selector or
action, render. Objects outside the actor's remit answer 404."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from linli.accounts import selectors
from linli.accounts.actions import enrolment as enrolment_actions
from linli.accounts.actions import login as login_actions
from linli.accounts.actions.roles import do_assign_role, do_revoke_role
from linli.accounts.actions.staff import (
    DORMANT_REASON,
    do_create_staff_account,
    do_disable_staff_account,
    do_enable_staff_account,
    do_reset_staff_password,
    do_reset_staff_second_factor,
)
from linli.accounts.decorators import rule_required
from linli.accounts.forms_staff import (
    AssignRoleForm,
    CreateStaffForm,
    ReasonForm,
    ResetPasswordForm,
    RevokeRoleForm,
    StaffFilterForm,
)
from linli.accounts.models import StaffTOTPDevice, User, UserSession
from linli.areas.models import Area
from linli.core.errors import LinliError, PermissionRefused
from linli.privacy import crypto
from linli.privacy.masking import mask_email, mask_phone

PAGE_SIZE = 25
OUT_OF_REMIT_CODES = {
    "not_system_admin",
    "not_security_admin",
    "account_out_of_remit",
    "area_out_of_remit",
    "not_staff",
}


NEW_LINK_SESSION_KEY = "linli_new_enrolment_link"
"""A just-issued enrolment link, encrypted in the administrator's session until the staff detail
page has shown it (once)."""


def _site_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _show_link_once(request: HttpRequest, account: User, token: str) -> None:
    url = _site_url(request) + enrolment_actions.enrolment_path(token)
    request.session[NEW_LINK_SESSION_KEY] = crypto.encrypt(f"{account.pk} {url}", context=NEW_LINK_SESSION_KEY)


def _pop_new_link(request: HttpRequest, account: User) -> str:
    stored = request.session.pop(NEW_LINK_SESSION_KEY, None)
    if not stored:
        return ""
    try:
        account_id, _separator, url = crypto.decrypt(stored, context=NEW_LINK_SESSION_KEY).partition(" ")
    except crypto.DecryptionError:
        return ""
    return url if account_id == str(account.pk) else ""


def _refusal_or_404(error: LinliError) -> None:
    """A refusal because something lies outside the actor's remit answers 404 (never 403)."""
    if isinstance(error, PermissionRefused) and error.code in OUT_OF_REMIT_CODES:
        raise Http404 from error


def _reauthenticate_redirect(next_url: str) -> HttpResponse:
    return redirect(f"{reverse('accounts:reauthenticate')}?{urlencode({'next': next_url})}")


def _add_error(form: Any, error: LinliError) -> None:
    form.add_error(error.field if error.field in form.fields else None, str(error.message))


def _area_options(request: HttpRequest, selected: Area | None, text: str = "") -> list[Area]:
    options = selectors.staff_areas_for(request.user, text=text)
    if selected is not None and all(area.pk != selected.pk for area in options):
        options.insert(0, selected)
    return options


def _selected_area(request: HttpRequest, value: str | None) -> Area | None:
    if not value or not value.isdigit():
        return None
    try:
        return selectors.get_staff_area_for(request.user, int(value))
    except Http404:
        return None


@rule_required("accounts.view_staff")
@require_GET
def staff_list(request: HttpRequest) -> HttpResponse:
    form = StaffFilterForm(request.GET or None, areas=selectors.staff_area_queryset_for(request.user))
    filters: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    accounts = selectors.staff_accounts_for(
        request.user,
        text=filters.get("text") or "",
        role=filters.get("role") or "",
        area=filters.get("area"),
        status=filters.get("status") or "",
    )
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    area_search = request.GET.get("area_search", "")[:64]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "area_search": area_search,
        "area_options": _area_options(request, filters.get("area"), area_search),
        "selected_area_id": filters["area"].pk if filters.get("area") else None,
        "querystring": query.urlencode(),
        "can_create": request.user.has_perm("accounts.manage_staff"),
    }
    return render(request, "accounts/staff/list.html", context)


@rule_required("accounts.view_staff")
@require_GET
def area_options(request: HttpRequest) -> HttpResponse:
    """htmx: the options of a searchable area select (areas in the actor's remit)."""
    selected = _selected_area(request, request.GET.get("area"))
    text = (request.GET.get("area_search") or "")[:64]
    context = {
        "area_options": _area_options(request, selected, text),
        "selected_area_id": selected.pk if selected else None,
        "empty_label": _("Any area") if request.GET.get("purpose") == "filter" else _("Choose an area"),
    }
    return render(request, "accounts/staff/_area_options.html", context)


@rule_required("accounts.manage_staff")
@require_http_methods(["GET", "POST"])
def staff_create(request: HttpRequest) -> HttpResponse:
    form = CreateStaffForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                account = do_create_staff_account(
                    username=data["username"],
                    display_name=data["display_name"],
                    password=data["password"],
                    email=data.get("email") or "",
                    phone=data.get("phone") or "",
                    acting_user=request.user,  # type: ignore[arg-type]
                )
            except LinliError as error:
                _refusal_or_404(error)
                _add_error(form, error)
                status = error.status
            else:
                messages.success(request, _("The account was created. It needs a role before it can do anything."))
                token = enrolment_actions.do_issue_enrolment_link(account, acting_user=request.user)  # type: ignore[arg-type]
                _show_link_once(request, account, token)
                return redirect("accounts:staff_detail", user_id=account.pk)
        else:
            status = 422
    return render(request, "accounts/staff/create.html", {"form": form}, status=status)


def _detail_context(request: HttpRequest, account: User, **forms: Any) -> dict[str, Any]:
    user = request.user
    reason = account.disabled_reason
    has_second_factor = StaffTOTPDevice.objects.filter(user=account, confirmed=True).exists()
    return {
        "account": account,
        "roles": getattr(account, "active_roles", []),
        "masked_phone": mask_phone(account.phone),
        "masked_email": mask_email(account.email),
        "disabled_reason": _("No sign-in for a long time (dormant account)") if reason == DORMANT_REASON else reason,
        "has_second_factor": has_second_factor,
        "enrolment_link": enrolment_actions.pending_link(account) if not has_second_factor else None,
        "new_enrolment_link": _pop_new_link(request, account),
        "enrolment_link_hours": enrolment_actions.link_hours(),
        "open_sessions": UserSession.objects.filter(user=account, ended_at__isnull=True).count(),
        "is_self": account.pk == user.pk,
        "can_manage": user.has_perm("accounts.manage_staff"),
        "can_assign": user.has_perm("accounts.assign_roles"),
        "can_reset_second_factor": user.has_perm("accounts.reset_second_factor"),
        "status_form": forms.get("status_form") or ReasonForm(),
        "revoke_form": RevokeRoleForm(),
    }


@rule_required("accounts.view_staff")
@require_GET
def staff_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    account = selectors.get_staff_account_for(request.user, user_id)
    return render(request, "accounts/staff/detail.html", _detail_context(request, account))


def _change_status(request: HttpRequest, user_id: int, *, enable: bool) -> HttpResponse:
    account = selectors.get_staff_account_for(request.user, user_id)
    form = ReasonForm(request.POST)
    status = 422
    if form.is_valid():
        action = do_enable_staff_account if enable else do_disable_staff_account
        try:
            action(account, reason=form.cleaned_data["reason"], acting_user=request.user)  # type: ignore[arg-type]
        except LinliError as error:
            _refusal_or_404(error)
            messages.error(request, str(error.message))
            status = error.status
        else:
            if enable:
                messages.success(request, _("The account was enabled."))
            else:
                messages.success(request, _("The account was disabled and signed out everywhere."))
            return redirect("accounts:staff_detail", user_id=account.pk)
    context = _detail_context(request, account, status_form=form)
    return render(request, "accounts/staff/detail.html", context, status=status)


@rule_required("accounts.manage_staff")
@require_POST
def staff_disable(request: HttpRequest, user_id: int) -> HttpResponse:
    return _change_status(request, user_id, enable=False)


@rule_required("accounts.manage_staff")
@require_POST
def staff_enable(request: HttpRequest, user_id: int) -> HttpResponse:
    return _change_status(request, user_id, enable=True)


@rule_required("accounts.manage_staff")
@require_http_methods(["GET", "POST"])
def staff_reset_password(request: HttpRequest, user_id: int) -> HttpResponse:
    account = selectors.get_staff_account_for(request.user, user_id)
    form = ResetPasswordForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                do_reset_staff_password(account, password=form.cleaned_data["password"], acting_user=request.user)  # type: ignore[arg-type]
            except LinliError as error:
                _refusal_or_404(error)
                _add_error(form, error)
                status = error.status
            else:
                messages.success(request, _("A new initial password was set. The account was signed out everywhere."))
                return redirect("accounts:staff_detail", user_id=account.pk)
        else:
            status = 422
    return render(request, "accounts/staff/reset_password.html", {"form": form, "account": account}, status=status)


@rule_required("accounts.reset_second_factor")
@require_POST
def staff_reset_second_factor(request: HttpRequest, user_id: int) -> HttpResponse:
    """Security administrator: remove a lost authenticator; the owner enrols again at sign-in."""
    account = selectors.get_staff_account_for(request.user, user_id)
    detail_url = reverse("accounts:staff_detail", kwargs={"user_id": account.pk})
    if not login_actions.is_recently_authenticated(request):
        return _reauthenticate_redirect(detail_url)
    try:
        emailed = do_reset_staff_second_factor(
            account,
            acting_user=request.user,  # type: ignore[arg-type]
            email_base_url=_site_url(request),
        )
    except LinliError as error:
        _refusal_or_404(error)
        messages.error(request, str(error.message))
    else:
        if emailed:
            messages.success(
                request,
                _("The authenticator was removed. An enrolment link for a new one was sent to their e-mail address."),
            )
        else:
            messages.success(
                request,
                _(
                    "The authenticator was removed. They have no e-mail address: a system administrator "
                    "must issue an enrolment link for them."
                ),
            )
    return redirect(detail_url)


@rule_required("accounts.manage_staff")
@require_POST
def staff_issue_enrolment_link(request: HttpRequest, user_id: int) -> HttpResponse:
    """System administrator: issue a one-time link for enrolling the authenticator app, shown once
    on the detail page (and e-mailed to the account's address on request)."""
    account = selectors.get_staff_account_for(request.user, user_id)
    detail_url = reverse("accounts:staff_detail", kwargs={"user_id": account.pk})
    if not login_actions.is_recently_authenticated(request):
        return _reauthenticate_redirect(detail_url)
    send = request.POST.get("send_email") == "1"
    try:
        token = enrolment_actions.do_issue_enrolment_link(
            account,
            acting_user=request.user,  # type: ignore[arg-type]
            email_base_url=_site_url(request) if send else None,
        )
    except LinliError as error:
        _refusal_or_404(error)
        messages.error(request, str(error.message))
    else:
        _show_link_once(request, account, token)
        if send and account.email:
            messages.success(request, _("The enrolment link was issued and sent to their e-mail address."))
        else:
            messages.success(request, _("The enrolment link was issued. Copy it now: it is shown only once."))
    return redirect(detail_url)


@rule_required("accounts.assign_roles")
@require_http_methods(["GET", "POST"])
def staff_assign_role(request: HttpRequest, user_id: int) -> HttpResponse:
    account = selectors.get_staff_account_for(request.user, user_id)
    if not login_actions.is_recently_authenticated(request):
        return _reauthenticate_redirect(reverse("accounts:staff_assign_role", kwargs={"user_id": account.pk}))
    areas = selectors.staff_area_queryset_for(request.user)
    departments = selectors.departments_for(request.user)
    status = 200
    if request.method == "POST":
        form = AssignRoleForm(request.POST, areas=areas, departments=departments)
        if form.is_valid():
            data = form.cleaned_data
            try:
                do_assign_role(
                    account,
                    role=data["role"],
                    area=data["area"],
                    department=data.get("department"),
                    acting_user=request.user,  # type: ignore[arg-type]
                )
            except LinliError as error:
                _refusal_or_404(error)
                _add_error(form, error)
                status = error.status
            else:
                messages.success(request, _("The role was granted. It applies from the account's next request."))
                return redirect("accounts:staff_detail", user_id=account.pk)
        else:
            status = 422
        selected = form.cleaned_data.get("area") if hasattr(form, "cleaned_data") else None
    else:
        form = AssignRoleForm(initial={"role": request.GET.get("role", "")}, areas=areas, departments=departments)
        selected = _selected_area(request, request.GET.get("area"))
    area_search = request.GET.get("area_search", "")[:64]
    context = {
        "account": account,
        "form": form,
        "area_search": area_search,
        "area_options": _area_options(request, selected, area_search),
        "selected_area_id": selected.pk if selected else None,
        "roles": getattr(account, "active_roles", []),
    }
    return render(request, "accounts/staff/assign_role.html", context, status=status)


@rule_required("accounts.assign_roles")
@require_POST
def staff_revoke_role(request: HttpRequest, user_id: int, assignment_id: int) -> HttpResponse:
    account = selectors.get_staff_account_for(request.user, user_id)
    assignment = selectors.get_role_assignment_for(request.user, account, assignment_id)
    detail_url = reverse("accounts:staff_detail", kwargs={"user_id": account.pk})
    if not login_actions.is_recently_authenticated(request):
        return _reauthenticate_redirect(detail_url)
    form = RevokeRoleForm(request.POST)
    reason = form.cleaned_data.get("reason", "") if form.is_valid() else ""
    try:
        do_revoke_role(assignment, acting_user=request.user, reason=reason)  # type: ignore[arg-type]
    except LinliError as error:
        _refusal_or_404(error)
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The role was revoked. It no longer applies from the account's next request."))
    return redirect(detail_url)
