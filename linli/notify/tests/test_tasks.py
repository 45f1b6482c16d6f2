"""The delivery jobs on the Django job queue (immediate mode: jobs run as soon as they are queued)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from linli.notify import actions, tasks
from linli.notify.models import Delivery, DeliveryStatus
from linli.notify.sms import SmsError

pytestmark = pytest.mark.django_db


def utc_in(minutes: int) -> datetime.datetime:
    """huey keeps naive UTC timestamps."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + datetime.timedelta(minutes=minutes)


def queued_sms(recipient: Any, title: str = "停电通知") -> Delivery:
    return actions.do_send_notification(recipient, title=title, body="今晚8点检修").deliveries.get()


def test_deliver_job_sends(resident: Any, outbox: Any) -> None:
    delivery = queued_sms(resident)

    tasks.deliver(delivery.id)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert [line["message"] for line in outbox()] == ["停电通知: 今晚8点检修"]


def test_deliver_job_retries_a_minute_later(resident: Any, scripted_gateway: Any, huey_immediate: Any) -> None:
    delivery = queued_sms(resident)
    scripted_gateway.failures.append(SmsError(code="isp.SYSTEM_ERROR", retryable=True))

    tasks.deliver(delivery.id)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("queued", 1, "sms:isp.SYSTEM_ERROR")
    assert huey_immediate.read_schedule(utc_in(0)) == []  # not before the retry delay
    (retry,) = huey_immediate.read_schedule(utc_in(2))
    assert retry.args == (delivery.id,)
    assert retry.retries == tasks.RETRIES - 1

    huey_immediate.execute(retry, timestamp=utc_in(2))

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 2, "")
    assert len(scripted_gateway.sent) == 1


def test_deliver_job_gives_up_after_the_last_retry(resident: Any, scripted_gateway: Any, huey_immediate: Any) -> None:
    delivery = queued_sms(resident)
    scripted_gateway.failures.extend(SmsError(code="timeout", retryable=True) for _ in range(tasks.RETRIES + 1))

    tasks.deliver(delivery.id)
    for attempt in range(1, tasks.RETRIES + 1):
        (retry,) = huey_immediate.read_schedule(utc_in(2 * attempt))
        huey_immediate.execute(retry, timestamp=utc_in(2 * attempt))

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("failed", tasks.RETRIES + 1, "sms:timeout")
    assert huey_immediate.read_schedule(utc_in(60)) == []
    assert scripted_gateway.sent == []


def test_batch_hands_a_failing_delivery_to_its_own_job(
    make_resident: Any, scripted_gateway: Any, huey_immediate: Any
) -> None:
    people = [make_resident(phone=f"1360000{number:04d}") for number in range(3)]
    actions.do_send_bulk(people, title="t", body="b")
    ids = list(Delivery.objects.order_by("id").values_list("id", flat=True))
    scripted_gateway.failures.append(SmsError(code="isv.BUSINESS_LIMIT_CONTROL", retryable=True))

    outcome = tasks.run_delivery_batch(ids)

    assert outcome == {"retrying": 1, "sent": 2}
    statuses = dict(Delivery.objects.values_list("id", "status"))
    assert statuses == {ids[0]: "queued", ids[1]: "sent", ids[2]: "sent"}
    (retry,) = huey_immediate.read_schedule(utc_in(2))
    assert (retry.name.rsplit(".", 1)[-1], retry.args) == ("deliver", (ids[0],))
    huey_immediate.execute(retry, timestamp=utc_in(2))
    assert Delivery.objects.get(id=ids[0]).status == DeliveryStatus.SENT


def test_batch_survives_an_unexpected_error(make_resident: Any, scripted_gateway: Any, huey_immediate: Any) -> None:
    people = [make_resident(phone=f"1350000{number:04d}") for number in range(2)]
    actions.do_send_bulk(people, title="t", body="b")
    ids = list(Delivery.objects.order_by("id").values_list("id", flat=True))
    scripted_gateway.failures.append(RuntimeError("bug"))

    assert tasks.run_delivery_batch(ids) == {"retrying": 1, "sent": 1}
    assert len(huey_immediate.read_schedule(utc_in(2))) == 1


def test_enqueue_uses_batches_for_broadcasts(make_resident: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    single: list[int] = []
    batches: list[list[int]] = []
    monkeypatch.setattr(tasks, "deliver", single.append)
    monkeypatch.setattr(tasks, "deliver_batch", batches.append)

    tasks.enqueue_deliveries([1, 2])
    tasks.enqueue_deliveries(list(range(1, 251)))

    assert single == [1, 2]
    assert [len(batch) for batch in batches] == [100, 100, 50]
    assert [item for batch in batches for item in batch] == list(range(1, 251))


def test_stalled_deliveries_are_queued_again(resident: Any, outbox: Any) -> None:
    stalled = queued_sms(resident, title="旧")  # committed, but the queue never heard of it
    fresh = queued_sms(resident, title="新")
    held = queued_sms(resident, title="忙")
    old = timezone.now() - datetime.timedelta(minutes=20)
    Delivery.objects.filter(id__in=[stalled.id, held.id]).update(created_at=old)
    Delivery.objects.filter(id=held.id).update(claimed_until=timezone.now() + datetime.timedelta(minutes=3))

    assert tasks.requeue_stalled_deliveries.call_local() == 1

    statuses = dict(Delivery.objects.values_list("id", "status"))
    assert statuses == {stalled.id: "sent", fresh.id: "queued", held.id: "queued"}
    assert [line["message"] for line in outbox()] == ["旧: 今晚8点检修"]


def test_run_delivery_final_attempt_follows_the_retries_left(resident: Any, scripted_gateway: Any) -> None:
    class FakeTask:
        retries = 1

    delivery = queued_sms(resident)
    scripted_gateway.failures.append(SmsError(code="timeout", retryable=True))
    with pytest.raises(actions.DeliveryRetry):
        tasks.run_delivery(delivery.id, FakeTask())

    FakeTask.retries = 0
    scripted_gateway.failures.append(SmsError(code="timeout", retryable=True))
    assert tasks.run_delivery(delivery.id, FakeTask()) == "failed"
