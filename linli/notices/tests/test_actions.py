"""Actions of community notices: who receives a notice (the grid's residents and no one else's), read
receipts and counts, urgent SMS by preference, scheduling, correction and withdrawal history,
reminders (unread only, rate-limited, audited) and the refusals, which change nothing."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from linli.accounts.models import RoleAssignment
from linli.audit.models import AuditEvent
from linli.core.errors import Conflict, PermissionRefused, RateLimited, ValidationFailed
from linli.notices import actions, selectors, tasks
from linli.notices.models import Notice, NoticeReceipt, NoticeReminder, NoticeStatus, NoticeVersion
from linli.notices.tests.conftest import World, publish, verified
from linli.notify.models import Delivery, Notification

pytestmark = pytest.mark.django_db


def inbox(user: Any, kind: str = "notice") -> list[str]:
    return list(Notification.objects.filter(recipient=user, kind=kind).values_list("title", flat=True))


def test_a_notice_to_one_grid_reaches_that_grids_residents_and_no_one_else(world: World) -> None:
    notice = publish(world.tree.grid_a1, world.grid_worker_a1, title="A1 停水")

    assert notice.status == NoticeStatus.PUBLISHED
    assert notice.recipient_count == 2
    assert inbox(world.a1) == ["A1 停水"]
    assert inbox(world.a1_quiet) == ["A1 停水"]
    for outsider in (world.a2, world.b1, world.pending, world.grid_worker_a1, world.street_officer):
        assert inbox(outsider) == []
    receipts = NoticeReceipt.objects.filter(notice=notice)
    assert sorted(receipts.values_list("user_id", "grid_id")) == sorted(
        [(world.a1.pk, world.tree.grid_a1.pk), (world.a1_quiet.pk, world.tree.grid_a1.pk)]
    )
    notification = Notification.objects.get(recipient=world.a1, kind="notice")
    assert notification.url == f"/notices/{notice.pk}/"
    assert notification.body == "周六 8:00–12:00 停水。 请提前储水。"

    # Read counts: nobody yet, then one of two (on the notice page), then both (in the inbox).
    street = verified(world.street_officer)
    assert selectors.read_counts_for(street, [notice.pk])[notice.pk] == selectors.ReadCount(2, 0)
    assert actions.do_mark_notice_read(notice, acting_user=world.a1) is True
    assert actions.do_mark_notice_read(notice, acting_user=world.a1) is False  # once
    assert Notification.objects.get(pk=notification.pk).read_at is not None  # the inbox entry too
    assert selectors.read_counts_for(street, [notice.pk])[notice.pk] == selectors.ReadCount(2, 1)
    quiet_entry = Notification.objects.get(recipient=world.a1_quiet, kind="notice")
    Notification.objects.filter(pk=quiet_entry.pk).update(read_at=timezone.now())  # read in the inbox
    rows = selectors.grid_counts_for(street, notice)
    assert [(row.grid_name, row.count.total, row.count.read) for row in rows] == [("花家地第一网格", 2, 2)]
    assert AuditEvent.objects.filter(event_type="notice.read").count() == 1
    published = AuditEvent.objects.get(event_type="notice.published")
    assert (published.actor_id, published.object_id, published.detail["recipients"]) == (
        world.grid_worker_a1.pk,
        str(notice.pk),
        2,
    )


def test_a_community_notice_counts_per_grid_and_a_grid_worker_sees_only_their_grid(world: World) -> None:
    notice = publish(world.tree.community_a, world.community_worker_a)

    assert notice.recipient_count == 3
    assert inbox(world.b1) == []
    actions.do_mark_notice_read(notice, acting_user=world.a2)
    leader_rows = selectors.grid_counts_for(verified(world.community_worker_a), notice)
    assert [(row.grid_name, row.count.total, row.count.read) for row in leader_rows] == [
        ("花家地第一网格", 2, 0),
        ("花家地第二网格", 1, 1),
    ]
    grid_rows = selectors.grid_counts_for(verified(world.grid_worker_a1), notice)
    assert [(row.grid_name, row.count.total, row.count.read) for row in grid_rows] == [("花家地第一网格", 2, 0)]
    assert selectors.grid_counts_for(verified(world.grid_worker_b1), notice) == []


def test_a_building_notice_reaches_that_building_only(world: World) -> None:
    notice = publish(world.building_a1, world.grid_worker_a1)
    assert sorted(NoticeReceipt.objects.filter(notice=notice).values_list("user_id", flat=True)) == sorted(
        [world.a1.pk, world.a1_quiet.pk]
    )
    assert NoticeReceipt.objects.filter(notice=notice).first().grid_id == world.tree.grid_a1.pk


def test_urgent_notices_go_by_sms_to_those_who_want_it(world: World, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notice = publish(world.tree.grid_a1, world.grid_worker_a1, urgency="urgent", title="燃气泄漏")

    assert len(callbacks) == 1
    sms_on = Notification.objects.get(recipient=world.a1, kind="notice")
    sms_off = Notification.objects.get(recipient=world.a1_quiet, kind="notice")
    assert sms_on.title == "[Urgent] 燃气泄漏"
    assert list(Delivery.objects.filter(notification=sms_on).values_list("channel", "status")) == [("sms", "sent")]
    assert Delivery.objects.filter(notification=sms_off).count() == 0
    assert notice.urgency == "urgent"


def test_normal_notices_go_to_the_inbox_only(world: World) -> None:
    publish(world.tree.grid_a1, world.grid_worker_a1, urgency="important")
    assert Delivery.objects.count() == 0
    assert Notification.objects.filter(kind="notice").count() == 2


def test_a_grid_worker_cannot_publish_to_another_grid(world: World) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionRefused):
        publish(world.tree.grid_b1, world.grid_worker_a1)
    with pytest.raises(PermissionRefused):
        publish(world.tree.community_a, world.grid_worker_a1)  # above their grid
    with pytest.raises(PermissionRefused):
        publish(world.tree.grid_a1, world.department_officer)
    assert (Notice.objects.count(), Notification.objects.count(), AuditEvent.objects.count()) == (0, 0, before)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"title": "  "}, "title_missing"),
        ({"title": "标" * 121}, "title_too_long"),
        ({"body": "\n \n"}, "body_missing"),
        ({"body": "字" * 5001}, "body_too_long"),
        ({"urgency": "panic"}, "urgency_invalid"),
    ],
)
def test_invalid_notices_are_refused(world: World, fields: dict[str, str], code: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        publish(world.tree.grid_a1, world.grid_worker_a1, **fields)
    assert refused.value.code == code
    assert Notice.objects.count() == 0


def test_dwellings_and_units_are_not_notice_targets(world: World) -> None:
    with pytest.raises(ValidationFailed) as refused:
        publish(world.tree.dwelling_a1, world.grid_worker_a1)
    assert refused.value.code == "area_invalid"


def test_text_is_kept_as_plain_text(world: World) -> None:
    notice = publish(
        world.tree.grid_a1, world.grid_worker_a1, body="第一行\r\n<script>alert(1)</script>\x07\n\n\n\n末行  "
    )
    assert notice.body == "第一行\n<script>alert(1)</script>\n\n末行"


# --- scheduling ------------------------------------------------------------------------------------


def test_a_scheduled_notice_is_published_by_the_job_when_due(world: World) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        notice = actions.do_schedule_notice(
            world.tree.grid_a1,
            title="疫苗接种",
            body="周日上午接种。",
            publish_at=start + datetime.timedelta(hours=2),
            acting_user=verified(world.grid_worker_a1),
        )
    assert (notice.status, notice.published_at, inbox(world.a1)) == (NoticeStatus.SCHEDULED, None, [])
    assert AuditEvent.objects.filter(event_type="notice.scheduled").count() == 1

    with time_machine.travel(start + datetime.timedelta(hours=1), tick=False):
        assert tasks.run_publish_due_notices() == {}
    assert inbox(world.a1) == []

    with time_machine.travel(start + datetime.timedelta(hours=2, minutes=1), tick=False):
        assert tasks.run_publish_due_notices() == {"published": 1}
        assert tasks.run_publish_due_notices() == {}  # never twice
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.PUBLISHED
    assert notice.published_at == start + datetime.timedelta(hours=2, minutes=1)
    assert notice.recipient_count == 2
    assert inbox(world.a1) == ["疫苗接种"]
    event = AuditEvent.objects.get(event_type="notice.published")
    assert (event.actor_id, event.actor_label) == (None, "system")


def test_a_scheduled_notice_of_an_author_who_lost_the_role_is_not_sent(world: World) -> None:
    start = timezone.now()
    notice = actions.do_schedule_notice(
        world.tree.grid_a1, title="疫苗接种", body="周日上午接种。", publish_at=start + datetime.timedelta(hours=2),
        acting_user=verified(world.grid_worker_a1),
    )  # fmt: skip
    RoleAssignment.objects.filter(user=world.grid_worker_a1).update(revoked_at=start)
    with time_machine.travel(start + datetime.timedelta(hours=3), tick=False):
        assert tasks.run_publish_due_notices() == {"cancelled": 1}
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.WITHDRAWN
    assert Notification.objects.count() == 0


@pytest.mark.parametrize(
    ("offset", "code"),
    [(datetime.timedelta(hours=-1), "publish_at_past"), (datetime.timedelta(days=91), "publish_at_too_far")],
)
def test_schedule_times_are_checked(world: World, offset: datetime.timedelta, code: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        actions.do_schedule_notice(
            world.tree.grid_a1, title="t", body="b", publish_at=timezone.now() + offset,
            acting_user=verified(world.grid_worker_a1),
        )  # fmt: skip
    assert refused.value.code == code
    assert Notice.objects.count() == 0


# --- correction and withdrawal ----------------------------------------------------------------------


def test_a_correction_keeps_the_earlier_version_and_tells_the_recipients(world: World) -> None:
    notice = publish(world.tree.grid_a1, world.grid_worker_a1, title="周六停水", body="8:00–12:00 停水。")
    corrected = actions.do_correct_notice(
        notice, title="周日停水", body="改为周日 8:00–12:00 停水。", urgency="important", reason="日期有误",
        acting_user=verified(world.community_worker_a),
    )  # fmt: skip

    assert (corrected.title, corrected.version, corrected.is_corrected) == ("周日停水", 2, True)
    stored = Notice.objects.get(pk=notice.pk)
    assert (stored.title, stored.body, stored.urgency, stored.version) == (
        "周日停水",
        "改为周日 8:00–12:00 停水。",
        "important",
        2,
    )
    assert list(
        NoticeVersion.objects.filter(notice=notice).order_by("number").values_list("number", "title", "reason")
    ) == [
        (1, "周六停水", ""),
        (2, "周日停水", "日期有误"),
    ]
    assert inbox(world.a1, "notice_corrected") == ["Corrected: 周日停水"]
    assert inbox(world.b1, "notice_corrected") == []
    assert AuditEvent.objects.get(event_type="notice.corrected").detail["recipients_told"] == 2


def test_a_correction_needs_a_change_a_reason_and_the_right_to_manage(world: World) -> None:
    notice = publish(world.tree.grid_a1, world.grid_worker_a1, title="周六停水", body="停水。")
    with pytest.raises(ValidationFailed):
        actions.do_correct_notice(
            notice,
            title="周六停水",
            body="停水。",
            urgency="normal",
            reason="无",
            acting_user=verified(world.grid_worker_a1),
        )
    with pytest.raises(ValidationFailed):
        actions.do_correct_notice(
            notice,
            title="周日停水",
            body="停水。",
            urgency="normal",
            reason="x",
            acting_user=verified(world.grid_worker_a1),
        )
    with pytest.raises(PermissionRefused):
        actions.do_correct_notice(
            notice, title="周日停水", body="停水。", urgency="normal", reason="日期有误",
            acting_user=verified(world.grid_worker_b1),
        )  # fmt: skip
    stored = Notice.objects.get(pk=notice.pk)
    assert (stored.title, stored.version, NoticeVersion.objects.count()) == ("周六停水", 1, 1)


def test_withdrawal_keeps_the_notice_for_staff_and_tells_the_recipients(world: World) -> None:
    notice = publish(world.tree.grid_a1, world.grid_worker_a1, title="周六停水")
    actions.do_withdraw_notice(notice, reason="通知有误", acting_user=verified(world.grid_worker_a1))

    stored = Notice.objects.get(pk=notice.pk)
    assert (stored.status, stored.withdraw_reason, stored.withdrawn_by_id) == (
        NoticeStatus.WITHDRAWN,
        "通知有误",
        world.grid_worker_a1.pk,
    )
    assert inbox(world.a1, "notice_withdrawn") == ["Withdrawn: 周六停水"]
    assert selectors.board_notices(world.tree.community_a) == []
    assert [item.pk for item in selectors.notices_for_resident(world.a1)] == [notice.pk]  # seen as withdrawn
    assert list(selectors.notices_for_resident(world.a2)) == []
    assert [item.pk for item in selectors.staff_notices_for(verified(world.street_officer))] == [notice.pk]
    with pytest.raises(Conflict):
        actions.do_withdraw_notice(notice, reason="再次撤回", acting_user=verified(world.grid_worker_a1))
    with pytest.raises(Conflict):
        actions.do_correct_notice(
            stored, title="新", body="新", urgency="normal", reason="更正", acting_user=verified(world.grid_worker_a1)
        )
    assert AuditEvent.objects.filter(event_type="notice.withdrawn").count() == 1


def test_cancelling_a_scheduled_notice_sends_nothing(world: World) -> None:
    notice = actions.do_schedule_notice(
        world.tree.grid_a1, title="t", body="b", publish_at=timezone.now() + datetime.timedelta(hours=5),
        acting_user=verified(world.grid_worker_a1),
    )  # fmt: skip
    actions.do_withdraw_notice(notice, reason="活动取消", acting_user=verified(world.grid_worker_a1))
    assert Notification.objects.count() == 0
    assert actions.due_notice_ids(timezone.now() + datetime.timedelta(days=1)) == []


# --- reminders ------------------------------------------------------------------------------------------


def test_reminders_go_to_unread_recipients_in_the_actors_area_once_per_interval(world: World) -> None:
    notice = publish(world.tree.community_a, world.community_worker_a)
    actions.do_mark_notice_read(notice, acting_user=world.a1)

    assert actions.do_remind_unread(notice, acting_user=verified(world.grid_worker_a1)) == 1
    assert inbox(world.a1_quiet, "notice_reminder") == [f"Reminder: please read {notice.title}"]
    assert inbox(world.a1, "notice_reminder") == []  # read
    assert inbox(world.a2, "notice_reminder") == []  # grid A2: not the grid worker's
    with pytest.raises(RateLimited):
        actions.do_remind_unread(notice, acting_user=verified(world.grid_worker_a1))
    # The community worker reminds the rest of the community; A1's unread resident was just reminded.
    assert actions.do_remind_unread(notice, acting_user=verified(world.community_worker_a)) == 1
    assert inbox(world.a2, "notice_reminder") == [f"Reminder: please read {notice.title}"]
    assert len(inbox(world.a1_quiet, "notice_reminder")) == 1
    assert list(NoticeReminder.objects.order_by("id").values_list("sent_by_id", "recipients")) == [
        (world.grid_worker_a1.pk, 1),
        (world.community_worker_a.pk, 1),
    ]
    assert AuditEvent.objects.filter(event_type="notice.reminded").count() == 2

    later = timezone.now() + datetime.timedelta(hours=13)
    with time_machine.travel(later, tick=False):
        assert actions.do_remind_unread(notice, acting_user=verified(world.community_worker_a)) == 2
    assert NoticeReceipt.objects.get(notice=notice, user=world.a1_quiet).reminder_count == 2


def test_no_reminder_when_everyone_has_read_it(world: World) -> None:
    notice = publish(world.tree.grid_a1, world.grid_worker_a1)
    for resident in (world.a1, world.a1_quiet):
        actions.do_mark_notice_read(notice, acting_user=resident)
    with pytest.raises(Conflict):
        actions.do_remind_unread(notice, acting_user=verified(world.grid_worker_a1))
    assert (NoticeReminder.objects.count(), Notification.objects.filter(kind="notice_reminder").count()) == (0, 0)


def test_residents_cannot_remind(world: World) -> None:
    notice = publish(world.tree.grid_a1, world.grid_worker_a1)
    with pytest.raises(PermissionRefused):
        actions.do_remind_unread(notice, acting_user=world.a1)
    assert NoticeReminder.objects.count() == 0


def test_a_reader_who_did_not_receive_it_leaves_no_receipt(world: World) -> None:
    notice = publish(world.tree.grid_a1, world.grid_worker_a1)
    assert actions.do_mark_notice_read(notice, acting_user=world.a2) is False
    assert NoticeReceipt.objects.filter(user=world.a2).count() == 0
