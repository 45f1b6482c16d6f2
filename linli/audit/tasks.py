"""Audit jobs run by the huey consumer: signed checkpoints of the audit chain (see
``checkpoints.py`` and docs/decisions/0008-audit-chain.md).

* hourly: verify the events added since the last checkpoint and append a new checkpoint to the
  checkpoint file when the chain has grown;
* daily: the same, always written, and sent to the audit administrators' inboxes.

A chain that fails verification is never checkpointed; the audit administrators are alerted."""

from __future__ import annotations

from typing import Any

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from linli.audit.actions import do_write_checkpoint
from linli.core import context


def _outcome(notify: bool, skip_unchanged: bool) -> dict[str, Any]:
    with context.bind(context.RequestContext(source="job")):
        outcome = do_write_checkpoint(notify=notify, skip_unchanged=skip_unchanged)
    written = outcome.checkpoint
    return {
        "verified": outcome.verified,
        "count": written.count if written is not None else None,
        "notified": outcome.notified,
        "broken_id": outcome.broken_id,
    }


@db_periodic_task(crontab(minute="40", hour="*"))
def checkpoint_audit_chain_hourly() -> dict[str, Any]:
    return _outcome(notify=False, skip_unchanged=True)


@db_periodic_task(crontab(minute="50", hour="0"))
def checkpoint_audit_chain_daily() -> dict[str, Any]:
    """00:50 UTC, 08:50 Beijing time: the daily checkpoint the audit administrators receive."""
    return _outcome(notify=True, skip_unchanged=False)
