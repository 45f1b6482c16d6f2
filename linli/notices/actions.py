"""Writes of community notices (通知公告). Each action is one transaction with its audit event; the
inbox entries go through ``linli.notify.actions.do_send_bulk`` (SMS and e-mail deliveries are
queued after commit, as each resident's preferences say, for urgent notices only).

* ``do_publish_notice`` / ``do_schedule_notice``: a new notice to an area the actor holds a
  publishing role at, now or at a later time (``tasks.publish_due_notices`` publishes it then
  through ``do_publish_scheduled_notice``).
* ``do_correct_notice``: a new version; the earlier ones are kept, residents are told.
* ``do_withdraw_notice``: off the boards and homes; staff and the audit keep it, residents who
  received it see it as withdrawn.
* ``do_remind_unread``: a reminder to the actor's unread recipients, at most once per resident
  every ``REMIND_INTERVAL`` and ``MAX_REMINDERS`` times in all.
* ``do_mark_notice_read``: the read receipt (回执) when a resident opens the notice.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from linli.accounts.models import AccountKind, DwellingLink, DwellingLinkStatus, RoleAssignment, User
from linli.accounts.scoping import scope_paths
from linli.areas.models import Area, AreaKind, within_q
from linli.audit.actions import record_event
from linli.core.bulk import bulk_insert
from linli.core.errors import Conflict, PermissionRefused, RateLimited, ValidationFailed
from linli.notices import files as notice_files
from linli.notices.models import (
    Notice,
    NoticeAttachment,
    NoticeReceipt,
    NoticeReminder,
    NoticeStatus,
    NoticeVersion,
    Urgency,
)
from linli.notices.permissions import NOTICE_STAFF, PUBLISHERS
from linli.notify.actions import do_mark_read, do_send_bulk
from linli.notify.models import Notification

TARGET_KINDS = frozenset({AreaKind.STREET, AreaKind.COMMUNITY, AreaKind.GRID, AreaKind.ESTATE, AreaKind.BUILDING})
TITLE_MAX = 120
BODY_MAX = 5000
REASON_MIN = 2
REASON_MAX = 200
EXCERPT = 140
MAX_SCHEDULE_AHEAD = datetime.timedelta(days=90)
# A time this close to now publishes at once (the form's minute precision).
SCHEDULE_SLACK = datetime.timedelta(minutes=1)
REMIND_INTERVAL = datetime.timedelta(hours=12)
MAX_REMINDERS = 3
NOTIFICATION_KIND = "notice"


# --- validation -----------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str) -> str:
    """Plain text: NFC, Unix line breaks, no control characters, no trailing blanks per line, at most
    two blank lines in a row."""
    text = unicodedata.normalize("NFC", text or "").replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _validated(title: str, body: str, urgency: str) -> tuple[str, str, str]:
    title = " ".join(clean_text(title).split())
    body = clean_text(body)
    if not title:
        raise ValidationFailed(_("Give the notice a title."), code="title_missing", field="title")
    if len(title) > TITLE_MAX:
        raise ValidationFailed(
            _("The title may have at most %(count)s characters.") % {"count": TITLE_MAX},
            code="title_too_long",
            field="title",
        )
    if not body:
        raise ValidationFailed(_("Write the text of the notice."), code="body_missing", field="body")
    if len(body) > BODY_MAX:
        raise ValidationFailed(
            _("The text may have at most %(count)s characters.") % {"count": BODY_MAX},
            code="body_too_long",
            field="body",
        )
    if urgency not in Urgency.values:
        raise ValidationFailed(_("Choose how urgent the notice is."), code="urgency_invalid", field="urgency")
    return title, body, urgency


def _reason(reason: str, field: str = "reason") -> str:
    reason = " ".join(clean_text(reason).split())
    if len(reason) < REASON_MIN:
        raise ValidationFailed(
            _("Give a reason of at least %(count)s characters.") % {"count": REASON_MIN},
            code="reason_missing",
            field=field,
        )
    if len(reason) > REASON_MAX:
        raise ValidationFailed(
            _("The reason may have at most %(count)s characters.") % {"count": REASON_MAX},
            code="reason_too_long",
            field=field,
        )
    return reason


def _check_target(area: Area, acting_user: Any) -> None:
    if not area.is_active or area.kind not in TARGET_KINDS:
        raise ValidationFailed(
            _("Notices go to a street, community, grid, estate or building."), code="area_invalid", field="area"
        )
    if not acting_user.has_perm("notices.publish_notice", area):
        raise PermissionRefused(_("You may not publish notices there."), code="notice_forbidden")


def _check_manage(notice: Notice, acting_user: Any) -> None:
    if not acting_user.has_perm("notices.manage_notice", notice):
        raise PermissionRefused(_("You may not change this notice."), code="notice_forbidden")


# --- recipients and inbox entries -------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    user_id: int
    dwelling_path: str
    grid_id: int | None


def _grids_by_path(area: Area) -> dict[str, int]:
    """Grids in or above ``area``, by path (one query)."""
    rows = Area.objects.filter(kind=AreaKind.GRID).filter(within_q([area.path]) | Q(pk__in=area.ancestor_ids()))
    return dict(rows.values_list("path", "id"))


def _grid_of(path: str, grids: dict[str, int]) -> int | None:
    parts = [part for part in path.strip("/").split("/") if part]
    for end in range(len(parts), 0, -1):
        grid_id = grids.get("/" + "/".join(parts[:end]) + "/")
        if grid_id is not None:
            return grid_id
    return None


def recipient_links(area: Area) -> QuerySet[DwellingLink]:
    """Verified home links of active resident accounts in ``area``."""
    return DwellingLink.objects.filter(
        within_q([area.path], field="area_path"),
        status=DwellingLinkStatus.VERIFIED,
        user__is_active=True,
        user__kind=AccountKind.RESIDENT,
    )


def resolve_recipients(area: Area) -> list[Recipient]:
    """One recipient per resident (the first of their homes in ``area``), with that home's grid."""
    grids = _grids_by_path(area)
    seen: set[int] = set()
    result = []
    for user_id, path in recipient_links(area).order_by("user_id", "id").values_list("user_id", "area_path"):
        if user_id in seen:
            continue
        seen.add(user_id)
        result.append(Recipient(user_id, path, _grid_of(path, grids)))
    return result


def _people(users: QuerySet[User], urgent: bool) -> list[User]:
    """The accounts to notify, loading the phone (decrypting it) only when SMS may be sent."""
    if urgent:
        return list(users.defer("id_number").order_by("id"))
    return list(users.only("id", "kind", "is_active", "notify_by_sms", "notify_by_email", "email").order_by("id"))


def _channels(urgent: bool) -> list[str] | None:
    """Urgent: as each resident chose (SMS and/or e-mail); otherwise the inbox only."""
    return None if urgent else []


def _excerpt(body: str) -> str:
    flat = " ".join(body.split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1] + "…"


def notice_url(notice: Notice) -> str:
    return reverse("notices:detail", kwargs={"notice_id": notice.pk})


def _send(
    notice: Notice, people: Sequence[User], *, title: str, body: str, kind: str, acting_user: Any
) -> list[Notification]:
    return do_send_bulk(
        people,
        title=title[:200],
        body=body,
        url=notice_url(notice),
        kind=kind,
        channels=_channels(notice.urgency == Urgency.URGENT),
        acting_user=acting_user,
    )


def _deliver(notice: Notice, acting_user: Any) -> int:
    """Inbox entries (and, when urgent, SMS/e-mail after commit) plus one receipt per recipient."""
    recipients = resolve_recipients(notice.area)
    if recipients:
        users = User.objects.filter(pk__in=recipient_links(notice.area).values("user_id"))
        people = _people(users, notice.urgency == Urgency.URGENT)
        with translation.override(settings.LANGUAGE_CODE):
            title = notice.title
            if notice.urgency == Urgency.URGENT:
                title = _("[Urgent] %(title)s") % {"title": notice.title}
            notifications = _send(
                notice, people, title=title, body=_excerpt(notice.body), kind=NOTIFICATION_KIND, acting_user=acting_user
            )
        inbox = {notification.recipient_id: notification.pk for notification in notifications}
        now = timezone.now()
        bulk_insert(
            NoticeReceipt,
            [
                NoticeReceipt(
                    notice_id=notice.pk,
                    user_id=recipient.user_id,
                    area_path=recipient.dwelling_path,
                    grid_id=recipient.grid_id,
                    notification_id=inbox.get(recipient.user_id),
                    delivered_at=now,
                )
                for recipient in recipients
            ],
        )
    return len(recipients)


def _receipt_users(notice: Notice, extra: Q | None = None) -> QuerySet[User]:
    receipts = NoticeReceipt.objects.filter(notice_id=notice.pk)
    if extra is not None:
        receipts = receipts.filter(extra)
    return User.objects.filter(pk__in=receipts.values("user_id"), is_active=True)


# --- publishing ---------------------------------------------------------------------------------------


def _create(
    area: Area,
    *,
    title: str,
    body: str,
    urgency: str,
    attachments: Sequence[notice_files.CheckedFile],
    publish_at: datetime.datetime | None,
    acting_user: Any,
) -> Notice:
    _check_target(area, acting_user)
    title, body, urgency = _validated(title, body, urgency)
    notice_files.check_counts(list(attachments))
    now = timezone.now()
    scheduled = publish_at is not None and publish_at > now + SCHEDULE_SLACK
    if publish_at is not None and publish_at < now - SCHEDULE_SLACK:
        raise ValidationFailed(_("Choose a time in the future."), code="publish_at_past", field="publish_at")
    if scheduled and publish_at is not None and publish_at > now + MAX_SCHEDULE_AHEAD:
        raise ValidationFailed(
            _("A notice can be scheduled at most %(days)s days ahead.") % {"days": MAX_SCHEDULE_AHEAD.days},
            code="publish_at_too_far",
            field="publish_at",
        )
    stored = [(item, notice_files.new_storage_name()) for item in attachments]
    for item, storage_name in stored:
        notice_files.store(storage_name, item.content)
    try:
        with transaction.atomic():
            notice = Notice.objects.create(
                area=area,
                area_path=area.path,
                title=title,
                body=body,
                urgency=urgency,
                status=NoticeStatus.SCHEDULED if scheduled else NoticeStatus.PUBLISHED,
                publish_at=publish_at if scheduled and publish_at is not None else now,
                published_at=None if scheduled else now,
                created_by=acting_user,
                created_at=now,
            )
            NoticeVersion.objects.create(
                notice=notice, number=1, title=title, body=body, urgency=urgency, created_by=acting_user, created_at=now
            )
            NoticeAttachment.objects.bulk_create(
                [
                    NoticeAttachment(
                        notice=notice,
                        kind=item.kind,
                        name=item.name,
                        content_type=item.content_type,
                        size=len(item.content),
                        sha256=item.sha256,
                        storage_name=storage_name,
                        position=position,
                    )
                    for position, (item, storage_name) in enumerate(stored)
                ]
            )
            if not scheduled:
                notice.recipient_count = _deliver(notice, acting_user)
                Notice.objects.filter(pk=notice.pk).update(recipient_count=notice.recipient_count)
            record_event(
                "notice.scheduled" if scheduled else "notice.published",
                actor=acting_user,
                target=notice,
                detail={
                    "urgency": urgency,
                    "recipients": notice.recipient_count,
                    "attachments": len(stored),
                    "publish_at": notice.publish_at.isoformat(),
                },
            )
    except BaseException:
        for _item, storage_name in stored:
            notice_files.remove(storage_name)
        raise
    return notice


def do_publish_notice(
    area: Area,
    *,
    title: str,
    body: str,
    urgency: str = Urgency.NORMAL,
    attachments: Sequence[notice_files.CheckedFile] = (),
    acting_user: Any,
) -> Notice:
    """Publish a notice to ``area`` now: every resident with a verified home there gets it."""
    return _create(
        area, title=title, body=body, urgency=urgency, attachments=attachments, publish_at=None, acting_user=acting_user
    )


def do_schedule_notice(
    area: Area,
    *,
    title: str,
    body: str,
    publish_at: datetime.datetime,
    urgency: str = Urgency.NORMAL,
    attachments: Sequence[notice_files.CheckedFile] = (),
    acting_user: Any,
) -> Notice:
    """Schedule a notice for ``publish_at`` (a time within a minute from now publishes at once).
    Recipients are the residents living there at publication time."""
    return _create(
        area,
        title=title,
        body=body,
        urgency=urgency,
        attachments=attachments,
        publish_at=publish_at,
        acting_user=acting_user,
    )


def _creator_may_still_publish(notice: Notice) -> bool:
    """The author still holds a publishing role at an area containing the target (without a session:
    read from the role assignments)."""
    creator = notice.created_by
    if not creator.is_active:
        return False
    paths = (
        RoleAssignment.objects.active()
        .filter(user_id=creator.pk, role__in=sorted(PUBLISHERS), area__is_active=True)
        .values_list("area__path", flat=True)
    )
    return any(notice.area_path.startswith(path) for path in paths)


def do_publish_scheduled_notice(notice_id: int, *, now: datetime.datetime | None = None) -> str:
    """The job's part: publish one due scheduled notice (``"published"``), or withdraw it when its
    author no longer holds a role there or the area was deactivated (``"cancelled"``); ``"skipped"``
    when it is not (or no longer) due. Idempotent under concurrent workers (the row is locked)."""
    now = now or timezone.now()
    with transaction.atomic():
        notice = (
            Notice.objects.select_for_update()
            .select_related("area", "created_by")
            .filter(pk=notice_id, status=NoticeStatus.SCHEDULED, publish_at__lte=now)
            .first()
        )
        if notice is None:
            return "skipped"
        if not notice.area.is_active or not _creator_may_still_publish(notice):
            Notice.objects.filter(pk=notice.pk).update(
                status=NoticeStatus.WITHDRAWN, withdrawn_at=now, withdraw_reason="author_or_area_no_longer_valid"
            )
            record_event(
                "notice.withdrawn",
                actor=None,
                actor_label="system",
                target=notice,
                detail={"reason": "author_or_area_no_longer_valid", "scheduled": True},
            )
            return "cancelled"
        notice.status = NoticeStatus.PUBLISHED
        notice.published_at = now
        notice.recipient_count = _deliver(notice, None)
        Notice.objects.filter(pk=notice.pk).update(
            status=notice.status, published_at=now, recipient_count=notice.recipient_count
        )
        record_event(
            "notice.published",
            actor=None,
            actor_label="system",
            target=notice,
            detail={
                "urgency": notice.urgency,
                "recipients": notice.recipient_count,
                "scheduled_by": notice.created_by_id,
                "publish_at": notice.publish_at.isoformat(),
            },
        )
    return "published"


def due_notice_ids(now: datetime.datetime | None = None, limit: int = 200) -> list[int]:
    """Scheduled notices whose time has come (for the job; not reachable by users)."""
    now = now or timezone.now()
    return list(
        Notice.objects.filter(status=NoticeStatus.SCHEDULED, publish_at__lte=now)
        .order_by("publish_at", "id")
        .values_list("id", flat=True)[:limit]
    )


# --- correcting and withdrawing ----------------------------------------------------------------------


def do_correct_notice(
    notice: Notice,
    *,
    title: str,
    body: str,
    urgency: str,
    reason: str,
    notify_recipients: bool = True,
    acting_user: Any,
) -> Notice:
    """A corrected text (更正) as a new version; the earlier versions stay. Recipients of a published
    notice are told in their inbox (unless ``notify_recipients`` is False)."""
    _check_manage(notice, acting_user)
    title, body, urgency = _validated(title, body, urgency)
    reason = _reason(reason)
    now = timezone.now()
    with transaction.atomic():
        locked = Notice.objects.select_for_update().select_related("area").get(pk=notice.pk)
        if locked.status == NoticeStatus.WITHDRAWN:
            raise Conflict(_("A withdrawn notice cannot be corrected."), code="notice_withdrawn")
        if (title, body, urgency) == (locked.title, locked.body, locked.urgency):
            raise ValidationFailed(_("Nothing was changed."), code="unchanged", field="body")
        number = locked.version + 1
        NoticeVersion.objects.create(
            notice=locked, number=number, title=title, body=body, urgency=urgency, reason=reason,
            created_by=acting_user, created_at=now,
        )  # fmt: skip
        published = locked.status == NoticeStatus.PUBLISHED
        changes: dict[str, Any] = {"title": title, "body": body, "urgency": urgency, "version": number}
        if published:
            changes["corrected_at"] = now
        Notice.objects.filter(pk=locked.pk).update(**changes)
        for name, value in changes.items():
            setattr(locked, name, value)
        told = 0
        if published and notify_recipients:
            people = _people(_receipt_users(locked), locked.urgency == Urgency.URGENT)
            with translation.override(settings.LANGUAGE_CODE):
                told = len(
                    _send(
                        locked,
                        people,
                        title=_("Corrected: %(title)s") % {"title": title},
                        body=_("Reason: %(reason)s") % {"reason": reason},
                        kind="notice_corrected",
                        acting_user=acting_user,
                    )
                )
        record_event(
            "notice.corrected",
            actor=acting_user,
            target=locked,
            detail={"version": number, "reason": reason, "recipients_told": told, "urgency": urgency},
        )
    return locked


def do_withdraw_notice(notice: Notice, *, reason: str, acting_user: Any) -> Notice:
    """Withdraw (撤回) a scheduled or published notice: it leaves boards and homes, its recipients are
    told in their inbox; the row, its versions and receipts stay for staff and the audit."""
    _check_manage(notice, acting_user)
    reason = _reason(reason)
    now = timezone.now()
    with transaction.atomic():
        locked = Notice.objects.select_for_update().select_related("area").get(pk=notice.pk)
        if locked.status == NoticeStatus.WITHDRAWN:
            raise Conflict(_("This notice is already withdrawn."), code="notice_withdrawn")
        was_published = locked.status == NoticeStatus.PUBLISHED
        Notice.objects.filter(pk=locked.pk).update(
            status=NoticeStatus.WITHDRAWN, withdrawn_at=now, withdrawn_by=acting_user, withdraw_reason=reason
        )
        locked.status, locked.withdrawn_at, locked.withdrawn_by, locked.withdraw_reason = (
            NoticeStatus.WITHDRAWN, now, acting_user, reason,
        )  # fmt: skip
        told = 0
        if was_published:
            people = _people(_receipt_users(locked), urgent=False)
            with translation.override(settings.LANGUAGE_CODE):
                told = len(
                    do_send_bulk(
                        people,
                        title=(_("Withdrawn: %(title)s") % {"title": locked.title})[:200],
                        body=_("Reason: %(reason)s") % {"reason": reason},
                        url=notice_url(locked),
                        kind="notice_withdrawn",
                        channels=[],
                        acting_user=acting_user,
                    )
                )
        record_event(
            "notice.withdrawn",
            actor=acting_user,
            target=locked,
            detail={"reason": reason, "was_published": was_published, "recipients_told": told},
        )
    return locked


# --- reminders and receipts ------------------------------------------------------------------------------


def unread_q(prefix: str = "") -> Q:
    """Receipts not read on the notice page nor in the inbox."""
    return Q(**{f"{prefix}read_at__isnull": True}) & (
        Q(**{f"{prefix}notification__isnull": True}) | Q(**{f"{prefix}notification__read_at__isnull": True})
    )


def read_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}read_at__isnull": False}) | Q(**{f"{prefix}notification__read_at__isnull": False})


def do_remind_unread(notice: Notice, *, acting_user: Any) -> int:
    """Remind the recipients in the actor's remit who have not read ``notice``; returns how many.

    A resident is reminded at most once every ``REMIND_INTERVAL`` and ``MAX_REMINDERS`` times in all;
    an actor may remind about the same notice once per ``REMIND_INTERVAL``. Urgent notices remind by
    SMS/e-mail too (as each resident chose), others in the inbox only."""
    if not acting_user.has_perm("notices.remind_unread"):
        raise PermissionRefused(_("You may not send reminders."), code="notice_forbidden")
    now = timezone.now()
    with transaction.atomic():
        locked = Notice.objects.select_for_update().get(pk=notice.pk)
        if locked.status != NoticeStatus.PUBLISHED:
            raise Conflict(_("Only a published notice can be reminded of."), code="notice_not_published")
        last = (
            NoticeReminder.objects.filter(notice_id=locked.pk, sent_by_id=acting_user.pk)
            .values_list("sent_at", flat=True)
            .first()
        )
        if last is not None and last > now - REMIND_INTERVAL:
            next_time = timezone.localtime(last + REMIND_INTERVAL).strftime("%Y-%m-%d %H:%M")
            raise RateLimited(
                _("You reminded about this notice recently. You can remind again after %(time)s.")
                % {"time": next_time},
                code="reminder_too_soon",
            )
        scope = within_q(scope_paths(acting_user, NOTICE_STAFF), field="area_path")
        unread = NoticeReceipt.objects.filter(scope, unread_q(), notice_id=locked.pk)
        eligible = unread.filter(Q(reminded_at__isnull=True) | Q(reminded_at__lt=now - REMIND_INTERVAL)).filter(
            reminder_count__lt=MAX_REMINDERS
        )
        receipt_ids = list(eligible.values_list("id", flat=True))
        if not receipt_ids:
            if unread.exists():
                raise RateLimited(
                    _("Everyone who has not read it was reminded recently or already %(count)s times.")
                    % {"count": MAX_REMINDERS},
                    code="reminder_too_soon",
                )
            raise Conflict(_("Everyone in your area has read this notice."), code="nobody_unread")
        people = _people(
            User.objects.filter(pk__in=eligible.values("user_id"), is_active=True), locked.urgency == Urgency.URGENT
        )
        with translation.override(settings.LANGUAGE_CODE):
            sent = _send(
                locked,
                people,
                title=_("Reminder: please read %(title)s") % {"title": locked.title},
                body=_excerpt(locked.body),
                kind="notice_reminder",
                acting_user=acting_user,
            )
        for start in range(0, len(receipt_ids), 500):
            NoticeReceipt.objects.filter(pk__in=receipt_ids[start : start + 500]).update(
                reminded_at=now, reminder_count=F("reminder_count") + 1
            )
        NoticeReminder.objects.create(notice=locked, sent_by=acting_user, sent_at=now, recipients=len(sent))
        record_event(
            "notice.reminded",
            actor=acting_user,
            target=locked,
            detail={"recipients": len(sent), "urgency": locked.urgency},
        )
    return len(sent)


def do_mark_notice_read(notice: Notice, *, acting_user: Any) -> bool:
    """Record that ``acting_user`` read ``notice`` (and mark its inbox entry read); True the first
    time. Nothing happens for a reader who did not receive it (moved in later, staff)."""
    now = timezone.now()
    with transaction.atomic():
        receipt = (
            NoticeReceipt.objects.select_for_update(of=("self",))
            .select_related("notification")
            .filter(notice_id=notice.pk, user_id=acting_user.pk)
            .first()
        )
        if receipt is None:
            return False
        notification = receipt.notification
        if notification is not None and notification.read_at is None:
            do_mark_read(notification, acting_user=acting_user)
        if receipt.read_at is not None:
            return False
        NoticeReceipt.objects.filter(pk=receipt.pk).update(read_at=now)
        record_event(
            "notice.read",
            actor=acting_user,
            object_type=Notice._meta.label_lower,
            object_id=str(notice.pk),
            area_id=receipt.grid_id,
        )
    return True
