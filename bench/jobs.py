"""Run one job in a fresh process and print its peak RSS in MB (for B9 "per job").

``deliver``: a notification with SMS and in-app channels sent and delivered through the job's
code path; ``noop``: Django set up and a no-op task run through the same queue machinery."""

from __future__ import annotations

import resource
import sys

import django


def main(job: str) -> None:
    django.setup()
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True
    if job == "deliver":
        from django.db import transaction

        from linli.accounts.models import User
        from linli.notify.actions import do_send_notification

        recipient = User.objects.filter(kind="resident").order_by("id").first()
        assert recipient is not None
        with transaction.atomic():
            do_send_notification(recipient, title="基准测试", body="B9 job memory", channels=["in_app", "sms"])
    elif job == "noop":
        from huey.contrib.djhuey import task

        @task()
        def noop() -> int:
            return 1

        noop()
    else:
        raise SystemExit(f"unknown job {job}")
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{peak_kb / 1024:.1f}")


if __name__ == "__main__":
    main(sys.argv[1])
