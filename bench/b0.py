"""Subprocess entry points that need Django: ``b0 <scale> <workspace> <template>`` prints the B0
results as JSON; ``cookie <workspace> <template>`` prints a signed-in staff session cookie and, on the next line, the
id of a pending home link that staff member may open (the B1 detail page)."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import django


def main() -> None:
    django.setup()
    command, workspace, template = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    if command == "cookie":
        from bench.server import session_cookie_for_staff
        from linli.accounts.models import DwellingLink, DwellingLinkStatus

        details: dict[str, str] = {}
        print(session_cookie_for_staff(details))
        link = (
            DwellingLink.objects.filter(status=DwellingLinkStatus.PENDING, area_path__startswith=details["grid_path"])
            .order_by("id")
            .first()
        )
        assert link is not None, "the data set has no pending home link in the first grid"
        print(link.pk)
        return
    from django.conf import settings

    from bench.dataset import SCALES, run_b0

    results = run_b0(SCALES[command], workspace, template, Path(settings.DATABASES["default"]["NAME"]))
    print(json.dumps([asdict(result) for result in results], ensure_ascii=False))


if __name__ == "__main__":
    main()
