"""Subprocess entry points that need Django: ``b0 <scale> <workspace> <template>`` prints the B0
results as JSON; ``cookie <workspace> <template>`` prints a signed-in staff session cookie."""

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

        print(session_cookie_for_staff({}))
        return
    from django.conf import settings

    from bench.dataset import SCALES, run_b0

    results = run_b0(SCALES[command], workspace, template, Path(settings.DATABASES["default"]["NAME"]))
    print(json.dumps([asdict(result) for result in results], ensure_ascii=False))


if __name__ == "__main__":
    main()
