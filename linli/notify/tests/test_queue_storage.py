"""The delivery job through both huey storages the platform supports: SQLite (the default) and Redis
(when scaled out). Each test builds its own huey instance, registers a task that runs the same
delivery code as ``linli.notify.tasks.deliver``, queues it, and runs what the storage hands back."""

from __future__ import annotations

import datetime
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from huey import Huey, RedisHuey, SqliteHuey

from linli.notify import actions, tasks
from linli.notify.models import Delivery
from linli.notify.sms import SmsError
from linli.notify.tests.conftest import PHONE

REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")


def register_deliver(huey: Huey) -> Any:
    @huey.task(retries=tasks.RETRIES, retry_delay=tasks.RETRY_DELAY_SECONDS, context=True, name="deliver")
    def deliver(delivery_id: int, task: Any = None) -> str:
        return tasks.run_delivery(delivery_id, task)

    return deliver


def utc_in(minutes: int) -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + datetime.timedelta(minutes=minutes)


@pytest.fixture
def sqlite_huey(tmp_path: Path) -> Iterator[Huey]:
    huey = SqliteHuey(name=f"linli-test-{uuid.uuid4().hex[:8]}", filename=str(tmp_path / "jobs.sqlite3"))
    yield huey
    huey.storage.close()


def redis_reachable(url: str) -> str:
    """Empty when Redis answers, otherwise the reason it does not."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
    except (redis.RedisError, OSError) as error:
        return f"{type(error).__name__}: {error}"
    return ""


@pytest.fixture
def redis_huey() -> Iterator[Huey]:
    problem = redis_reachable(REDIS_TEST_URL)
    if problem:
        message = f"Redis is not reachable at {REDIS_TEST_URL} ({problem})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}; under CI=true the Redis queue test must run")
        pytest.skip(f"{message}; start Redis or set REDIS_TEST_URL to run the Redis queue test")
    huey = RedisHuey(name=f"linli-test-{uuid.uuid4().hex}", url=REDIS_TEST_URL)
    yield huey
    huey.flush()


def send_and_run(huey: Huey, recipient: Any, outbox: Any) -> None:
    deliver = register_deliver(huey)
    delivery = actions.do_send_notification(recipient, title="燃气检查", body="周三上门").deliveries.get()

    deliver(delivery.id)

    assert huey.pending_count() == 1
    assert Delivery.objects.get(id=delivery.id).status == "queued"  # queued is not sent
    task = huey.dequeue()
    assert task.args == (delivery.id,)
    assert huey.execute(task) == "sent"
    assert huey.pending_count() == 0
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert [(line["phone"], line["message"]) for line in outbox()] == [(PHONE, "燃气检查: 周三上门")]


def retry_through_the_schedule(huey: Huey, recipient: Any, scripted_gateway: Any) -> None:
    deliver = register_deliver(huey)
    delivery = actions.do_send_notification(recipient, title="燃气检查", body="周三上门").deliveries.get()
    scripted_gateway.failures.append(SmsError(code="timeout", retryable=True))

    deliver(delivery.id)
    huey.execute(huey.dequeue())

    assert Delivery.objects.get(id=delivery.id).last_error == "sms:timeout"
    assert huey.scheduled_count() == 1
    (retry,) = huey.read_schedule(utc_in(2))
    assert retry.retries == tasks.RETRIES - 1
    assert huey.execute(retry, timestamp=utc_in(2)) == "sent"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 2, "")


@pytest.mark.django_db
def test_sqlite_storage_delivers(sqlite_huey: Huey, resident: Any, outbox: Any) -> None:
    send_and_run(sqlite_huey, resident, outbox)


@pytest.mark.django_db
def test_sqlite_storage_retries(sqlite_huey: Huey, resident: Any, scripted_gateway: Any) -> None:
    retry_through_the_schedule(sqlite_huey, resident, scripted_gateway)


@pytest.mark.redis
@pytest.mark.django_db
def test_redis_storage_delivers(redis_huey: Huey, resident: Any, outbox: Any) -> None:
    send_and_run(redis_huey, resident, outbox)


@pytest.mark.redis
@pytest.mark.django_db
def test_redis_storage_retries(redis_huey: Huey, resident: Any, scripted_gateway: Any) -> None:
    retry_through_the_schedule(redis_huey, resident, scripted_gateway)


@pytest.mark.django_db(transaction=True)
def test_a_running_consumer_delivers_after_commit(sqlite_huey: Huey, resident: Any, outbox: Any) -> None:
    """A real consumer (worker threads with their own database connections) picks the job up."""
    import signal

    done = threading.Event()

    @sqlite_huey.task(context=True, name="deliver")
    def deliver(delivery_id: int, task: Any = None) -> str:
        try:
            return tasks.run_delivery(delivery_id, task)
        finally:
            connections.close_all()
            done.set()

    notification = actions.do_send_notification(resident, title="燃气检查", body="周三上门")  # committed
    delivery = notification.deliveries.get()
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    consumer = sqlite_huey.create_consumer(workers=1, worker_type="thread", periodic=False, check_worker_health=False)
    consumer.start()
    try:
        deliver(delivery.id)
        assert done.wait(timeout=15), "the consumer did not run the job"
    finally:
        consumer.stop(graceful=True)
        for number, handler in handlers.items():
            signal.signal(number, handler)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert [line["message"] for line in outbox()] == ["燃气检查: 周三上门"]
