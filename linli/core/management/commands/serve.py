"""``linli serve``: start the job worker (huey consumer) and the web server (granian, WSGI).

Granian was chosen over gunicorn by benchmark B1 (see docs/decisions/0002-web-server.md). In demo
mode the server refuses a non-loopback address."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from linli.core.environment import LOOPBACK_HOSTS


class Command(BaseCommand):
    help = "Serve Linli: job worker + granian web server."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("LINLI_WEB_WORKERS", "2")))
        parser.add_argument("--no-worker", action="store_true", help="do not start the job worker")

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        if settings.DEMO_MODE and host not in LOOPBACK_HOSTS:
            raise CommandError("demo mode serves on a loopback address only (set LINLI_DEMO_MODE=0)")
        if not settings.DEBUG:
            from django.core.management import call_command

            call_command("collectstatic", "--noinput", verbosity=0)
        worker = None
        if not options["no_worker"]:
            worker = subprocess.Popen([sys.executable, "-m", "linli.cli", "run_huey", "--quiet"])
        self.stdout.write(f"Linli is serving at http://{host}:{port}/  (Ctrl+C stops)")
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "granian",
                "--interface",
                "wsgi",
                "--host",
                host,
                "--port",
                str(port),
                "--workers",
                str(options["workers"]),
                "--blocking-threads",
                os.environ.get("LINLI_WEB_THREADS", "4"),
                "--no-ws",
                "--log-level",
                "warning",
                "linli.wsgi:application",
            ]
        )
        try:
            server.wait()
        except KeyboardInterrupt:
            pass
        finally:
            for process in (server, worker):
                if process is not None and process.poll() is None:
                    process.send_signal(signal.SIGTERM)
                    try:
                        process.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        process.kill()
