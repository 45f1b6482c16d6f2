"""The ``linli`` console command for operators: a thin front over Django management commands.

linli serve [--port N]        job worker + web server (granian)
linli demo --scale small      load the demo street (idempotent)
linli audit verify            check the audit hash chain
linli privacy rotate-keys     re-encrypt personal data under the current key
linli <any manage.py command>
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
    from django.core.management import execute_from_command_line

    arguments = list(sys.argv if argv is None else ["linli", *argv])
    if len(arguments) == 1:
        arguments.append("help")
    execute_from_command_line(arguments)


if __name__ == "__main__":
    main()
