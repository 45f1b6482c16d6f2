"""Sending notifications: the inbox entry, one delivery per outside channel, the audit event, delivery
after commit (and never after a rollback), bulk sending, and the delivery job's bookkeeping."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from linli.audit.models import AuditEvent
from linli.core.errors import ValidationFailed
from linli.notify import actions
from linli.notify.models import Delivery, DeliveryStatus, Notification
from linli.notify.sms import SmsError
from linli.notify.tests.conftest import PHONE

pytestmark = pytest.mark.django_db

BODY = "明天上午9点至12点停水，请提前储水。"


def send(recipient: Any, **kwargs: Any) -> Notification:
    kwargs.setdefault("title", "停水通知")
    kwargs.setdefault("body", BODY)
    return actions.do_send_notification(recipient, **kwargs)


# --- channels -------------------------------------------------------------------------------------


def test_default_channels_follow_preferences(resident: Any) -> None:
    notification = send(resident, url="/notifications/", kind="water")

    assert notification.recipient_id == resident.pk
    assert (notification.title, notification.body, notification.url, notification.kind) == (
        "停水通知",
        BODY,
        "/notifications/",
        "water",
    )
    assert notification.read_at is None
    deliveries = list(Delivery.objects.filter(notification=notification).values_list("channel", "status", "attempts"))
    assert deliveries == [("sms", "queued", 0)]


def test_email_preference_adds_an_email_delivery(resident: Any) -> None:
    resident.notify_by_email = True
    resident.save(update_fields=["notify_by_email"])

    notification = send(resident)

    assert sorted(notification.deliveries.values_list("channel", flat=True)) == ["email", "sms"]


def test_no_outside_delivery_without_addresses_or_when_opted_out(make_resident: Any, make_staff: Any) -> None:
    staff = make_staff()  # no phone, no e-mail
    opted_out = make_resident(phone="13700000001")
    opted_out.notify_by_sms = False
    opted_out.save(update_fields=["notify_by_sms"])

    assert send(staff).deliveries.count() == 0
    assert send(opted_out).deliveries.count() == 0
    assert Notification.objects.count() == 2


def test_explicit_channels_override_preferences_but_need_an_address(resident: Any, make_staff: Any) -> None:
    notification = send(resident, channels=["email"])  # e-mail is off in the preferences
    assert list(notification.deliveries.values_list("channel", flat=True)) == ["email"]

    staff = make_staff()
    assert send(staff, channels=["sms", "email", "in_app"]).deliveries.count() == 0

    in_app_only = send(resident, channels=[])
    assert in_app_only.deliveries.count() == 0


def test_disabled_account_gets_the_inbox_entry_only(resident: Any) -> None:
    resident.is_active = False
    resident.save(update_fields=["is_active"])

    notification = send(resident, channels=["sms", "email"])

    assert Notification.objects.filter(id=notification.id).exists()
    assert notification.deliveries.count() == 0


def test_unknown_channel_is_refused_and_nothing_is_written(resident: Any) -> None:
    with pytest.raises(ValueError, match="unknown channel"):
        send(resident, channels=["fax"])
    assert Notification.objects.count() == 0
    assert Delivery.objects.count() == 0
    assert AuditEvent.objects.filter(event_type="notification.sent").count() == 0


@pytest.mark.parametrize(
    ("title", "url"),
    [
        ("", ""),
        ("   ", ""),
        ("x" * 201, ""),
        ("ok", "https://evil.example/"),
        ("ok", "//evil.example/"),
        ("ok", "/\\evil"),
    ],
)
def test_invalid_input_is_refused_and_nothing_is_written(resident: Any, title: str, url: str) -> None:
    with pytest.raises(ValidationFailed):
        send(resident, title=title, url=url)
    assert Notification.objects.count() == 0
    assert Delivery.objects.count() == 0
    assert AuditEvent.objects.filter(event_type="notification.sent").count() == 0


# --- audit ----------------------------------------------------------------------------------------


def test_sending_is_audited_without_the_message(resident: Any, make_staff: Any) -> None:
    officer = make_staff()

    notification = send(resident, acting_user=officer, kind="water")

    event = AuditEvent.objects.get(event_type="notification.sent")
    assert event.actor_id == officer.pk
    assert (event.object_type, event.object_id, event.outcome) == (
        "notify.notification",
        str(notification.id),
        "success",
    )
    assert event.detail == {"kind": "water", "recipient_id": resident.pk, "channels": ["in_app", "sms"]}
    flattened = repr(event.detail) + event.actor_label
    assert BODY not in flattened
    assert "停水通知" not in flattened
    assert PHONE not in flattened


def test_system_notifications_are_audited_as_system(resident: Any) -> None:
    send(resident)

    event = AuditEvent.objects.get(event_type="notification.sent")
    assert event.actor_id is None
    assert event.actor_label == "system"


# --- after commit ---------------------------------------------------------------------------------


def test_delivery_runs_after_commit_through_the_job_queue(
    resident: Any, outbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification = send(resident)
        assert outbox() == []  # nothing leaves before the commit

    assert len(callbacks) == 1
    delivery = notification.deliveries.get()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.attempts == 1
    assert delivery.last_error == ""
    assert delivery.provider_reference.startswith("file:")
    assert delivery.sent_at is not None
    assert delivery.claimed_until is None
    lines = outbox()
    assert len(lines) == 1
    assert lines[0]["phone"] == PHONE
    assert lines[0]["message"] == f"停水通知: {BODY}"
    assert lines[0]["template"] == "notification"


def test_without_a_commit_nothing_is_sent(resident: Any, outbox: Any) -> None:
    notification = send(resident)

    assert notification.deliveries.get().status == DeliveryStatus.QUEUED
    assert outbox() == []


def test_rolled_back_action_sends_nothing(resident: Any, outbox: Any, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError, match="later step failed"):
            with transaction.atomic():
                send(resident, channels=["sms", "email"])
                raise RuntimeError("later step failed")

    assert callbacks == []
    assert Notification.objects.count() == 0
    assert Delivery.objects.count() == 0
    assert AuditEvent.objects.filter(event_type="notification.sent").count() == 0
    assert outbox() == []
    assert mail.outbox == []


def test_email_delivery_through_django_mail(resident: Any, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        notification = send(resident, channels=["email"])

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "停水通知"
    assert message.body == BODY
    assert message.to == ["lihua@example.com"]
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    delivery = notification.deliveries.get()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.provider_reference == message.extra_headers["Message-ID"]


def test_queue_unreachable_at_commit_leaves_the_delivery_queued(
    resident: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    from linli.notify import tasks

    def unreachable(delivery_ids: Any) -> None:
        raise ConnectionError("queue down")

    monkeypatch.setattr(tasks, "enqueue_deliveries", unreachable)
    with django_capture_on_commit_callbacks(execute=True):
        notification = send(resident)  # does not raise: the write is committed

    assert notification.deliveries.get().status == DeliveryStatus.QUEUED


# --- the delivery job -------------------------------------------------------------------------------


def test_delivering_twice_sends_once(resident: Any, outbox: Any) -> None:
    delivery = send(resident).deliveries.get()

    assert actions.do_deliver(delivery.id) == "sent"
    assert actions.do_deliver(delivery.id) == "sent"

    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert len(outbox()) == 1


def test_passing_failure_asks_for_a_retry(resident: Any, scripted_gateway: Any) -> None:
    delivery = send(resident).deliveries.get()
    scripted_gateway.failures.append(SmsError(code="timeout", retryable=True))

    with pytest.raises(actions.DeliveryRetry):
        actions.do_deliver(delivery.id, final_attempt=False)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("queued", 1, "sms:timeout")
    assert delivery.claimed_until is None
    assert actions.do_deliver(delivery.id, final_attempt=False) == "sent"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 2, "")
    assert delivery.provider_reference == "scripted-1"
    assert scripted_gateway.sent == [
        (PHONE, f"停水通知: {BODY}", "notification", {"title": "停水通知", "message": f"停水通知: {BODY}"})
    ]


def test_passing_failure_on_the_last_attempt_fails(resident: Any, scripted_gateway: Any) -> None:
    delivery = send(resident).deliveries.get()
    scripted_gateway.failures.append(SmsError(code="timeout", retryable=True))

    assert actions.do_deliver(delivery.id, final_attempt=True) == "failed"

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("failed", 1, "sms:timeout")
    assert actions.do_deliver(delivery.id) == "failed"  # a failed delivery is not tried again
    assert scripted_gateway.sent == []


def test_permanent_failure_is_not_retried(resident: Any, scripted_gateway: Any) -> None:
    delivery = send(resident).deliveries.get()
    scripted_gateway.failures.append(SmsError(code="isv.MOBILE_NUMBER_ILLEGAL", retryable=False))

    assert actions.do_deliver(delivery.id, final_attempt=False) == "failed"

    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == ("failed", "sms:isv.MOBILE_NUMBER_ILLEGAL")


def test_last_error_never_holds_the_phone_number(resident: Any, scripted_gateway: Any) -> None:
    delivery = send(resident).deliveries.get()
    scripted_gateway.failures.append(SmsError(code=f"refused {PHONE}", retryable=False))

    actions.do_deliver(delivery.id)

    delivery.refresh_from_db()
    assert PHONE not in delivery.last_error
    assert delivery.last_error == "sms:refused 139****5678"


def test_unexpected_error_releases_the_claim_and_propagates(resident: Any, scripted_gateway: Any) -> None:
    delivery = send(resident).deliveries.get()
    scripted_gateway.failures.append(KeyError("bug"))

    with pytest.raises(KeyError):
        actions.do_deliver(delivery.id)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("queued", 1, "error:KeyError")
    assert delivery.claimed_until is None


def test_a_delivery_held_by_another_worker_is_left_alone(resident: Any, scripted_gateway: Any) -> None:
    delivery = send(resident).deliveries.get()
    Delivery.objects.filter(id=delivery.id).update(claimed_until=timezone.now() + datetime.timedelta(minutes=1))

    assert actions.do_deliver(delivery.id) == "claimed"
    assert scripted_gateway.sent == []
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("queued", 0)

    # A claim that has expired (the worker died) no longer protects it.
    Delivery.objects.filter(id=delivery.id).update(claimed_until=timezone.now() - datetime.timedelta(seconds=1))
    assert actions.do_deliver(delivery.id) == "sent"
    assert len(scripted_gateway.sent) == 1


def test_number_removed_before_sending_skips_the_delivery(resident: Any, scripted_gateway: Any) -> None:
    delivery = send(resident).deliveries.get()
    resident.phone = ""
    resident.phone_index = None
    resident.save(update_fields=["phone", "phone_index"])

    assert actions.do_deliver(delivery.id) == "skipped"

    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == ("skipped", "no_phone")
    assert scripted_gateway.sent == []


def test_address_removed_before_sending_skips_the_email(resident: Any) -> None:
    delivery = send(resident, channels=["email"]).deliveries.get()
    resident.email = ""
    resident.save(update_fields=["email"])

    assert actions.do_deliver(delivery.id) == "skipped"
    assert Delivery.objects.get(id=delivery.id).last_error == "no_email"
    assert mail.outbox == []


def test_missing_delivery_is_reported(db: Any) -> None:
    assert actions.do_deliver(987654) == "missing"


# --- bulk ---------------------------------------------------------------------------------------


def make_residents(make_resident: Any, count: int, start: int = 0) -> list[Any]:
    return [make_resident(phone=f"1380000{start + number:04d}") for number in range(count)]


def test_bulk_sends_one_notification_per_recipient(make_resident: Any, make_staff: Any) -> None:
    officer = make_staff()
    people = make_residents(make_resident, 3)
    people[1].notify_by_email = True
    people[1].email = "b@example.com"
    people[1].save(update_fields=["notify_by_email", "email"])
    staff_without_phone = make_staff()

    notifications = actions.do_send_bulk(
        [*people, people[0], staff_without_phone],
        title="小区通知",
        body="本周六大扫除",
        kind="broadcast",
        acting_user=officer,
    )

    assert len(notifications) == 4
    assert sorted(Notification.objects.values_list("recipient_id", flat=True)) == sorted(
        [person.pk for person in people] + [staff_without_phone.pk]
    )
    assert set(Notification.objects.values_list("title", "body", "kind")) == {("小区通知", "本周六大扫除", "broadcast")}
    assert sorted(Delivery.objects.values_list("notification__recipient_id", "channel")) == sorted(
        [(people[0].pk, "sms"), (people[1].pk, "sms"), (people[1].pk, "email"), (people[2].pk, "sms")]
    )
    event = AuditEvent.objects.get(event_type="notification.sent")
    assert event.actor_id == officer.pk
    assert event.detail == {"kind": "broadcast", "bulk": True, "recipients": 4, "sms": 3, "email": 1}
    assert event.object_id == f"{notifications[0].pk}..{notifications[-1].pk}"


def test_bulk_with_nobody_writes_nothing(db: Any) -> None:
    assert actions.do_send_bulk([], title="t", body="b") == []
    assert AuditEvent.objects.filter(event_type="notification.sent").count() == 0


def test_bulk_query_count_does_not_grow_with_recipients(make_resident: Any, django_assert_num_queries: Any) -> None:
    few = make_residents(make_resident, 5)
    many = make_residents(make_resident, 60, start=100)
    actions.do_send_bulk(make_residents(make_resident, 1, start=900), title="t", body="b")  # audit chain exists

    # savepoint, notifications, deliveries, audit (savepoint, head, event, head update, release), release
    with django_assert_num_queries(9):
        actions.do_send_bulk(few, title="t", body="b")
    with django_assert_num_queries(9):
        actions.do_send_bulk(many, title="t", body="b")

    assert Delivery.objects.count() == 66


def test_bulk_is_delivered_in_batches_after_commit(
    make_resident: Any, outbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    people = make_residents(make_resident, 7)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        actions.do_send_bulk(people, title="小区通知", body="本周六大扫除")

    assert len(callbacks) == 1
    assert set(Delivery.objects.values_list("status", "attempts")) == {("sent", 1)}
    assert sorted(line["phone"] for line in outbox()) == sorted(person.phone for person in people)


def test_bulk_rolled_back_sends_nothing(
    make_resident: Any, outbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    people = make_residents(make_resident, 3)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                actions.do_send_bulk(people, title="t", body="b")
                raise RuntimeError("later step failed")

    assert callbacks == []
    assert Notification.objects.count() == 0
    assert Delivery.objects.count() == 0
    assert outbox() == []


# --- marking read ---------------------------------------------------------------------------------


def test_mark_read_only_for_the_recipient(resident: Any, make_resident: Any) -> None:
    other = make_resident(phone="13700000002")
    notification = send(resident)

    with pytest.raises(PermissionError):
        actions.do_mark_read(notification, acting_user=other)
    assert Notification.objects.get(id=notification.id).read_at is None

    actions.do_mark_read(notification, acting_user=resident)
    first_read = Notification.objects.get(id=notification.id).read_at
    assert first_read is not None
    actions.do_mark_read(Notification.objects.get(id=notification.id), acting_user=resident)
    assert Notification.objects.get(id=notification.id).read_at == first_read


def test_mark_all_read_touches_only_own_notifications(resident: Any, make_resident: Any) -> None:
    other = make_resident(phone="13700000003")
    send(resident)
    send(resident)
    theirs = send(other)

    assert actions.do_mark_all_read(resident) == 2

    assert Notification.objects.filter(recipient=resident, read_at__isnull=True).count() == 0
    assert Notification.objects.get(id=theirs.id).read_at is None
