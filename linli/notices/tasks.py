"""Jobs of community notices (huey): every minute, scheduled notices whose time has come are
published (each in its own transaction, so one failure never holds up the others)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from linli.notices import actions

logger = logging.getLogger(__name__)


def run_publish_due_notices() -> dict[str, int]:
    outcome: dict[str, int] = {}
    for notice_id in actions.due_notice_ids():
        try:
            result = actions.do_publish_scheduled_notice(notice_id)
        except Exception:  # one broken notice must not stop the others; the next run retries it
            logger.exception("scheduled notice %s could not be published", notice_id)
            result = "failed"
        outcome[result] = outcome.get(result, 0) + 1
    return outcome


@db_periodic_task(crontab(minute="*"))
def publish_due_notices() -> dict[str, int]:
    return run_publish_due_notices()
