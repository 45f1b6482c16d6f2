"""In-process profile of the server time of a request: ``python -m bench profile``.

Runs Django's real WSGI handler with every middleware (``bench.settings``: Linli's settings plus the
two hello views) against the demo street (``linli demo --scale small``, built into a temporary data
directory unless ``--data-dir`` names one). Pages are requested interleaved — one request to each
page per round, the order shuffled every round — so drift on a shared, noisy machine affects every
page alike; each page's median over all rounds is reported with its quartiles and its ratio to the
anonymous hello. Cookies are kept like a browser keeps them (a response's ``Set-Cookie`` replaces
the value), so no request mints a new CSRF cookie.

``--cprofile NAME`` profiles one page with cProfile instead and prints the top functions.

The orchestrating process does not import Django: the measuring runs in a subprocess."""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

PAGES: dict[str, tuple[str, str]] = {
    # name → (path, identity): "" anonymous, "staff" the street officer (TOTP verified)
    "anonymous hello": ("/bench/hello", ""),
    "signed-in hello": ("/bench/hello-signed-in", "staff"),
    "signed-in hello in the shell": ("/bench/shell-signed-in", "staff"),
    "workbench (20 tasks)": ("/workbench/", "staff"),
    "residents list (50 rows)": ("/residents/", "staff"),
    "resident detail": ("/residents/{link}/", "staff"),
    "notices staff list": ("/notices/staff/", "staff"),
    "/healthz": ("/healthz", ""),
}
STAFF_USERNAME = "demo-street"


def _environment(data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "LINLI_DATA_DIR": str(data_dir),
        "LINLI_DEBUG": "0",
        "LINLI_DEMO_MODE": "0",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "PYTHONHASHSEED": "0",
    }


def build_demo(data_dir: Path) -> None:
    env = _environment(data_dir)
    env["DJANGO_SETTINGS_MODULE"] = "linli.settings"
    env["LINLI_DEMO_MODE"] = "1"  # the demo command refuses to load the demo street otherwise
    for command in (["prepare"], ["demo", "--scale", "small"]):
        subprocess.run(
            [sys.executable, "-m", "linli.cli", *command], env=env, cwd=ROOT, check=True, capture_output=True
        )


def _street_path(user: Any) -> str:
    from linli.accounts.models import RoleAssignment

    assignment = RoleAssignment.objects.filter(user=user, revoked_at=None).select_related("area").first()
    assert assignment is not None, f"{STAFF_USERNAME} holds no role"
    return assignment.area.path


def _start_response_factory(jar: dict[str, str], statuses: list[int]) -> Any:
    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        statuses.append(int(status.split(" ", 1)[0]))
        for name, value in headers:
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, cookie_value = pair.partition("=")
                if cookie_value.strip('"'):
                    jar[key.strip()] = cookie_value
                else:
                    jar.pop(key.strip(), None)
        return lambda data: None

    return start_response


def _environ(path: str, jar: dict[str, str]) -> dict[str, Any]:
    import io

    path_info, _, query = path.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path_info,
        "QUERY_STRING": query,
        "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) linli-bench",
        "HTTP_ACCEPT": "text/html",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if jar:
        environ["HTTP_COOKIE"] = "; ".join(f"{key}={value}" for key, value in jar.items())
    return environ


def measure(rounds: int, warmup: int, cprofile: str = "") -> dict[str, Any]:
    """Runs inside the Django subprocess."""
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler

    from bench.identity import verified_session_cookie
    from linli.accounts.models import DwellingLink, DwellingLinkStatus, User

    handler = WSGIHandler()
    staff = User.objects.get(username=STAFF_USERNAME)
    link = (
        DwellingLink.objects.filter(status=DwellingLinkStatus.PENDING, area_path__startswith=_street_path(staff))
        .order_by("id")
        .first()
    )
    assert link is not None, "the demo street has no pending home link"
    for page, (path, identity) in list(PAGES.items()):
        PAGES[page] = (path.format(link=link.pk), identity)
    name, _, value = verified_session_cookie(staff).partition("=")
    jars = {"": {}, "staff": {name: value}}

    def request(path: str, identity: str) -> tuple[int, int]:
        jar = jars[identity]
        statuses: list[int] = []
        started = time.perf_counter_ns()
        response = handler(_environ(path, jar), _start_response_factory(jar, statuses))
        body = b"".join(response)
        if hasattr(response, "close"):
            response.close()
        elapsed = time.perf_counter_ns() - started
        if statuses[0] != 200:
            raise SystemExit(f"{path} answered {statuses[0]}: {body[:300]!r}")
        return elapsed, len(body)

    for _ in range(warmup):
        for path, identity in PAGES.values():
            request(path, identity)
    if cprofile:
        import cProfile
        import pstats

        path, identity = PAGES[cprofile]
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(rounds):
            request(path, identity)
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(45)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(30)
        return {}
    samples: dict[str, list[int]] = {page: [] for page in PAGES}
    sizes: dict[str, int] = {}
    queries: dict[str, int] = {}
    shuffler = random.Random(1)
    order = list(PAGES)
    for _ in range(rounds):
        shuffler.shuffle(order)
        for page in order:
            elapsed, size = request(*PAGES[page])
            samples[page].append(elapsed)
            sizes[page] = size
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for page, (path, identity) in PAGES.items():
        with CaptureQueriesContext(connection) as captured:
            request(path, identity)
        queries[page] = len(captured.captured_queries)
    result = {}
    for page, values in samples.items():
        quartiles = statistics.quantiles(values, n=4)
        result[page] = {
            "median_ms": statistics.median(values) / 1e6,
            "q1_ms": quartiles[0] / 1e6,
            "q3_ms": quartiles[2] / 1e6,
            "bytes": sizes[page],
            "queries": queries[page],
        }
    return result


def table(result: dict[str, Any]) -> str:
    hello = result["anonymous hello"]["median_ms"]
    lines = [
        "| page | median ms | quartiles ms | vs anonymous hello | queries | bytes |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for page, row in result.items():
        lines.append(
            f"| {page} | {row['median_ms']:.3f} | {row['q1_ms']:.3f}–{row['q3_ms']:.3f} | "
            f"{hello / row['median_ms']:.2f}× | {row['queries']} | {row['bytes']:,} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench profile")
    parser.add_argument("--data-dir", help="a data directory holding the demo street (built when missing)")
    parser.add_argument("--rounds", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--cprofile", default="", choices=["", *PAGES], help="profile one page with cProfile")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="linli-profile-") as temporary:
        data_dir = Path(arguments.data_dir) if arguments.data_dir else Path(temporary) / "data"
        if not (data_dir / "linli.sqlite3").exists():
            print(f"building the demo street in {data_dir} …", file=sys.stderr, flush=True)
            build_demo(data_dir)
        command = [
            sys.executable,
            "-m",
            "bench.profile",
            "--inner",
            str(arguments.rounds),
            str(arguments.warmup),
            arguments.cprofile,
        ]
        completed = subprocess.run(command, env=_environment(data_dir), cwd=ROOT, stdout=subprocess.PIPE, text=True)
        if completed.returncode != 0:
            raise SystemExit(completed.returncode)
    if arguments.cprofile:
        return
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    print(json.dumps(result, indent=2) if arguments.json else table(result))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--inner":
        print(json.dumps(measure(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else "")))
    else:
        main()
