"""Pages of community notices. Thin: parse, call one selector or action, render; out of scope 404.

* residents: ``mine`` (my notices), ``detail`` (records the read receipt);
* staff: ``staff_list``, ``publish`` (+ ``buildings`` for the htmx building select), ``detail``
  with read counts per grid, ``correct``, ``withdraw``, ``remind``;
* anyone: the community boards (``board_index``, ``board``, ``board_detail``) and the files of
  published notices (``attachment``)."""

from __future__ import annotations

import urllib.parse
from typing import Any, NamedTuple, cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from linli.accounts.decorators import public, rule_required, signed_in
from linli.areas.models import AreaKind
from linli.core.errors import LinliError
from linli.core.jinja import render_rows
from linli.core.urls import id_url
from linli.notices import actions, selectors
from linli.notices import files as notice_files
from linli.notices.forms import CorrectForm, PublishForm, StaffFilterForm, WithdrawForm
from linli.notices.models import AttachmentKind, Notice, NoticeStatus, Urgency

PAGE_SIZE = 50


def _form_error(form: Any, error: LinliError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error.message))


def _detail_url(notice: Notice) -> str:
    return reverse("notices:detail", kwargs={"notice_id": notice.pk})


# --- residents ---------------------------------------------------------------------------------------


@rule_required("notices.read_notices")
@require_safe
def mine(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.notices_for_resident(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notices/mine.html", {"page": page})


# --- staff ---------------------------------------------------------------------------------------------


@rule_required("notices.view_notices")
@require_safe
def staff_list(request: HttpRequest) -> HttpResponse:
    """Notices in and above the actor's remit, newest first, with read counts in their remit. A lean
    list (decision 0011): the page, its count and the read counts are hand-written queries, the
    rows a Jinja2 fragment with every value formatted and translated once here."""
    form = StaffFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    source: Any = selectors.StaffNotices(request.user, status=status)  # count() and slices, for the Paginator
    page = Paginator(source, PAGE_SIZE).get_page(request.GET.get("page"))
    notices: list[selectors.StaffNoticeRow] = list(page.object_list)
    counts = selectors.read_counts_by_hand(request.user, [notice.id for notice in notices])
    labels = {
        "title": _("Title"),
        "to": pgettext("notice recipients", "To"),
        "state": _("State"),
        "published": _("Published"),
        "read": _("Read in your area"),
        "empty": _("No notices match."),
    }
    context = {
        "form": form,
        "page": page,
        "rows_html": render_rows("notices/_staff_rows.html", {"rows": _staff_rows(notices, counts), "labels": labels}),
        "labels": labels,
        "filter_query": urllib.parse.urlencode({"status": status}) if status else "",
        "can_publish": request.user.has_perm("notices.publish_notice"),
    }
    return render(request, "notices/staff_list.html", context)


class StaffRow(NamedTuple):
    url: str
    title: str
    area_name: str
    badges: list[tuple[str, str, str]]
    publish_iso: str
    publish_text: str
    read_text: str


def _staff_rows(notices: list[selectors.StaffNoticeRow], counts: dict[int, Any]) -> list[StaffRow]:
    """What ``notices/_badges.html`` and the list's cells show, per row, formatted once."""
    detail_url = id_url("notices:detail", "notice_id")
    urgencies = {value: str(label) for value, label in Urgency.choices}
    statuses = {value: str(label) for value, label in NoticeStatus.choices}
    states = {
        NoticeStatus.WITHDRAWN: ("notice-withdrawn", _("Withdrawn")),
        NoticeStatus.SCHEDULED: ("status-pending", _("Scheduled")),
    }
    corrected = ("notice-corrected", _("Corrected"))
    read = _("%(read)s of %(total)s (%(percent)s%%)")
    local = timezone.get_current_timezone()
    rows = []
    for notice in notices:
        badges = []
        if notice.urgency != Urgency.NORMAL:
            badges.append(("", f"notice-urgency-{notice.urgency}", urgencies.get(notice.urgency, notice.urgency)))
        state = states.get(notice.status) or (corrected if notice.is_corrected else None)  # type: ignore[call-overload]
        if state is not None:
            badges.append((" ", *state))
        if notice.status == NoticeStatus.PUBLISHED and not notice.is_corrected and notice.urgency == Urgency.NORMAL:
            badges.append(("", "status-verified", statuses[notice.status]))
        count = counts.get(notice.id)
        publish_at = notice.publish_at.astimezone(local) if notice.publish_at else None
        rows.append(
            StaffRow(
                url=detail_url(notice.id),
                title=notice.title,
                area_name=notice.area_name,
                badges=badges,
                publish_iso=publish_at.isoformat() if publish_at else "",
                publish_text=f"{publish_at:%Y-%m-%d %H:%M}" if publish_at else "",
                read_text=read % {"read": count.read, "total": count.total, "percent": count.percent} if count else "—",
            )
        )
    return rows


def _buildings(request: HttpRequest, estate_id: Any) -> list[Any]:
    if not estate_id:
        return []
    try:
        estate = selectors.get_target_area_for(request.user, estate_id)
    except Http404:
        return []
    return selectors.buildings_under(request.user, estate) if estate.kind == AreaKind.ESTATE else []


@rule_required("notices.publish_notice")
@require_http_methods(["GET", "POST"])
def publish(request: HttpRequest) -> HttpResponse:
    areas = selectors.target_areas_for(request.user)
    posted = request.method == "POST"
    estate_id = request.POST.get("area") if posted else request.GET.get("area")
    buildings = _buildings(request, estate_id)
    initial = {"area": estate_id} if estate_id else {}
    form = PublishForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        areas=areas,
        buildings=buildings,
        initial=initial,
    )
    status = 200
    if posted:
        if form.is_valid():
            data = form.cleaned_data
            try:
                target = selectors.get_target_area_for(request.user, data["building"] or data["area"])
                when = data["publish_at"] if data["when"] == "later" else None
                if when is not None:
                    notice = actions.do_schedule_notice(
                        target, title=data["title"], body=data["body"], urgency=data["urgency"],
                        publish_at=when, attachments=data["attachments"], acting_user=request.user,
                    )  # fmt: skip
                else:
                    notice = actions.do_publish_notice(
                        target, title=data["title"], body=data["body"], urgency=data["urgency"],
                        attachments=data["attachments"], acting_user=request.user,
                    )  # fmt: skip
            except LinliError as error:
                _form_error(form, error)
                status = error.status
            else:
                if notice.status == "scheduled":
                    messages.success(request, _("The notice is scheduled."))
                else:
                    messages.success(
                        request,
                        _("The notice is published to %(count)s residents.") % {"count": notice.recipient_count},
                    )
                return redirect(_detail_url(notice))
        else:
            status = 422
    return render(request, "notices/publish.html", {"form": form}, status=status)


@rule_required("notices.publish_notice")
@require_GET
def buildings(request: HttpRequest) -> HttpResponse:
    """htmx: the building select for the chosen estate (empty for other areas)."""
    form = PublishForm(areas=[], buildings=_buildings(request, request.GET.get("area")))
    return render(request, "notices/_building_field.html", {"field": form["building"]})


@signed_in
@require_safe
def detail(request: HttpRequest, notice_id: int) -> HttpResponse:
    """A resident's notice (opening it is the read receipt) or the staff view with read counts."""
    notice = selectors.get_notice_for(request.user, notice_id)
    is_staff = getattr(request.user, "kind", None) == "staff"
    withdrawn = notice.is_withdrawn
    context: dict[str, Any] = {
        "notice": notice,
        # A withdrawn notice's text, earlier versions included, stays with staff and the audit.
        "versions": selectors.versions_of(notice) if notice.version > 1 and (is_staff or not withdrawn) else [],
        "attachments": selectors.attachments_of(notice) if not notice.is_withdrawn else [],
    }
    if is_staff:
        user = request.user
        context["staff"] = True
        context["can_manage"] = user.has_perm("notices.manage_notice", notice)
        context["can_remind"] = notice.status == "published" and user.has_perm("notices.remind_unread")
        if notice.status != "scheduled" and user.has_perm("notices.view_notice_stats"):
            grids = selectors.grid_counts_for(user, notice)
            context["grids"] = grids
            context["total"] = selectors.ReadCount(
                sum(row.count.total for row in grids), sum(row.count.read for row in grids)
            )
        context["reminders"] = list(notice.reminders.select_related("sent_by")[:10])
    else:
        actions.do_mark_notice_read(notice, acting_user=request.user)
    _split_attachments(context)
    return render(request, "notices/detail.html", context)


def _split_attachments(context: dict[str, Any]) -> None:
    attachments = context.get("attachments", [])
    context["images"] = [item for item in attachments if item.kind == AttachmentKind.IMAGE]
    context["documents"] = [item for item in attachments if item.kind == AttachmentKind.DOCUMENT]


@rule_required("notices.manage_notice")
@require_http_methods(["GET", "POST"])
def correct(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = selectors.get_managed_notice_for(request.user, notice_id)
    if notice.is_withdrawn:
        raise Http404
    posted = request.method == "POST"
    initial = {"title": notice.title, "body": notice.body, "urgency": notice.urgency, "notify_recipients": True}
    form = CorrectForm(request.POST if posted else None, initial=initial)
    status = 200
    if posted:
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.do_correct_notice(
                    notice, title=data["title"], body=data["body"], urgency=data["urgency"], reason=data["reason"],
                    notify_recipients=data["notify_recipients"], acting_user=request.user,
                )  # fmt: skip
            except LinliError as error:
                _form_error(form, error)
                status = error.status
            else:
                messages.success(request, _("The correction is published; the earlier text is kept."))
                return redirect(_detail_url(notice))
        else:
            status = 422
    return render(request, "notices/correct.html", {"form": form, "notice": notice}, status=status)


@rule_required("notices.manage_notice")
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = selectors.get_managed_notice_for(request.user, notice_id)
    if notice.is_withdrawn:
        raise Http404
    posted = request.method == "POST"
    form = WithdrawForm(request.POST if posted else None)
    status = 200
    if posted:
        if form.is_valid():
            try:
                actions.do_withdraw_notice(notice, reason=form.cleaned_data["reason"], acting_user=request.user)
            except LinliError as error:
                _form_error(form, error)
                status = error.status
            else:
                messages.success(request, _("The notice is withdrawn."))
                return redirect(_detail_url(notice))
        else:
            status = 422
    return render(request, "notices/withdraw.html", {"form": form, "notice": notice}, status=status)


@rule_required("notices.remind_unread")
@require_POST
def remind(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = selectors.get_notice_for(request.user, notice_id)
    try:
        count = actions.do_remind_unread(notice, acting_user=request.user)
    except LinliError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Reminder sent to %(count)s residents.") % {"count": count})
    return redirect(_detail_url(notice))


# --- public ------------------------------------------------------------------------------------------------


@public
@require_safe
def attachment(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """A file of a published notice (or, for staff in scope, of any notice they may see). Images
    inline, documents as downloads; the stored content type, never sniffed; sandboxed."""
    item = selectors.get_attachment_for(request.user, attachment_id)
    try:
        handle = notice_files.path_for(item.storage_name).open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    inline = item.kind == AttachmentKind.IMAGE
    response = FileResponse(handle, content_type=item.content_type, as_attachment=not inline, filename=item.name)
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return cast(HttpResponse, response)  # a streaming response; the guards' type names HttpResponse


@public
@require_safe
def board_index(request: HttpRequest) -> HttpResponse:
    return render(request, "notices/board_index.html", {"communities": selectors.board_communities()})


@public
@require_safe
def board(request: HttpRequest, community_id: int) -> HttpResponse:
    community = selectors.get_board_community(community_id)
    return render(
        request, "notices/board.html", {"community": community, "notices": selectors.board_notices(community)}
    )


@public
@require_safe
def board_detail(request: HttpRequest, community_id: int, notice_id: int) -> HttpResponse:
    community = selectors.get_board_community(community_id)
    notice = selectors.get_board_notice(community, notice_id)
    context: dict[str, Any] = {
        "notice": notice,
        "community": community,
        "public": True,
        "versions": selectors.versions_of(notice) if notice.version > 1 else [],
        "attachments": selectors.attachments_of(notice),
    }
    _split_attachments(context)
    return render(request, "notices/detail.html", context)
