"""Delivery jobs (huey): SQLite storage by default, Redis when ``REDIS_URL``/``LINLI_HUEY=redis``.

* ``deliver(delivery_id)``: one delivery, retried 3 times a minute apart when the failure may pass.
* ``deliver_batch(delivery_ids)``: many deliveries of a broadcast in one job; a delivery that fails for
  a passing reason is handed to its own ``deliver`` job (with the retries), so one bad number never
  holds up the rest.
* ``requeue_stalled_deliveries``: every 15 minutes, deliveries still queued long after they were
  created (the queue was unreachable at commit time, or a worker died mid-send) are queued again.
  Sending stays idempotent: ``do_deliver`` never sends a delivery twice.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from typing import Any

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from linli.notify import actions, selectors

logger = logging.getLogger(__name__)

RETRIES = 3
RETRY_DELAY_SECONDS = 60
BATCH_SIZE = 100
STALLED_AFTER = datetime.timedelta(minutes=15)


def run_delivery(delivery_id: int, task: Any = None) -> str:
    """The job body shared by every queue: the last try (no retries left) records a failure."""
    final_attempt = task is None or getattr(task, "retries", 0) <= 0
    return actions.do_deliver(delivery_id, final_attempt=final_attempt)


@db_task(retries=RETRIES, retry_delay=RETRY_DELAY_SECONDS, context=True)
def deliver(delivery_id: int, task: Any = None) -> str:
    return run_delivery(delivery_id, task)


def run_delivery_batch(delivery_ids: Sequence[int]) -> dict[str, int]:
    outcome: dict[str, int] = {}
    for delivery_id in delivery_ids:
        try:
            status = actions.do_deliver(delivery_id, final_attempt=False)
        except actions.DeliveryRetry:
            status = "retrying"
            deliver.schedule(args=(delivery_id,), delay=RETRY_DELAY_SECONDS)
        except Exception:  # one broken delivery must not stop the broadcast
            logger.exception("delivery %s failed unexpectedly; handed to its own job", delivery_id)
            status = "retrying"
            deliver.schedule(args=(delivery_id,), delay=RETRY_DELAY_SECONDS)
        outcome[status] = outcome.get(status, 0) + 1
    return outcome


@db_task(retries=RETRIES, retry_delay=RETRY_DELAY_SECONDS)
def deliver_batch(delivery_ids: list[int]) -> dict[str, int]:
    return run_delivery_batch(delivery_ids)


def enqueue_deliveries(delivery_ids: Sequence[int]) -> None:
    """Hand deliveries to the queue: one job each for a few, batches for a broadcast."""
    ids = list(delivery_ids)
    if len(ids) <= 2:
        for delivery_id in ids:
            deliver(delivery_id)
        return
    for start in range(0, len(ids), BATCH_SIZE):
        deliver_batch(ids[start : start + BATCH_SIZE])


@db_periodic_task(crontab(minute="*/15"))
def requeue_stalled_deliveries() -> int:
    ids = selectors.stalled_delivery_ids(older_than=STALLED_AFTER)
    if ids:
        logger.warning("requeueing %s stalled deliveries", len(ids))
        enqueue_deliveries(ids)
    return len(ids)
