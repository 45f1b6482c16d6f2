"""B1 (pages/s and latency percentiles at 32 clients vs the bare hello view on the same server)
and B9 (peak memory of a web worker and of a job vs the bare hello worker / a no-op job).

The server is granian (WSGI, one worker) pinned to core 0; the load generator runs in this
process pinned to core 1. During each run the server's CPU use is sampled: if the hello baseline
cannot keep the server core busy (< 85 %), the generator is the bottleneck and the ratio is void."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil

from bench.load import LoadResult, run_load
from bench.report import Result

ROOT = Path(__file__).resolve().parent.parent
SATURATION_THRESHOLD = 0.85


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pin(core: int) -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {core})


@contextmanager
def granian_server(env: dict[str, str]) -> Iterator[tuple[int, psutil.Process]]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--blocking-threads",
        "4",
        "--no-ws",
        "--log-level",
        "error",
        "linli.wsgi:application",
    ]
    full_env = {**os.environ, **env, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    process = subprocess.Popen(command, env=full_env, cwd=ROOT, preexec_fn=lambda: pin(0))
    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/hello", timeout=2).read()
                break
            except OSError:
                if process.poll() is not None or time.time() > deadline:
                    raise RuntimeError("benchmark server did not start") from None
                time.sleep(0.2)
        yield port, psutil.Process(process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _tree(process: psutil.Process) -> list[psutil.Process]:
    return [process, *process.children(recursive=True)]


def _cpu_seconds(process: psutil.Process) -> float:
    total = 0.0
    for member in _tree(process):
        try:
            times = member.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


def peak_rss_mb(process: psutil.Process) -> float:
    """Peak resident set (VmHWM) of the largest process in the server tree (the worker)."""
    peaks = []
    for member in _tree(process):
        try:
            status = Path(f"/proc/{member.pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return max(peaks) if peaks else 0.0


def measure(
    port: int, server: psutil.Process, path: str, *, seconds: float, cookie: str = ""
) -> tuple[LoadResult, float]:
    run_load("127.0.0.1", port, path, clients=8, seconds=min(1.0, seconds / 4), cookie=cookie)  # warm-up
    cpu_before, wall_before = _cpu_seconds(server), time.perf_counter()
    result = run_load("127.0.0.1", port, path, clients=32, seconds=seconds, cookie=cookie)
    utilisation = (_cpu_seconds(server) - cpu_before) / (time.perf_counter() - wall_before)
    return result, utilisation


def run_b1_b9(env: dict[str, str], pages: dict[str, tuple[str, str, float]], *, seconds: float) -> list[Result]:
    """``pages``: name → (path, cookie, target ratio). Hello is measured first on a fresh server,
    which also gives the B9 baseline; the feature pages run on a second fresh server."""
    pin(1)
    results: list[Result] = []
    with granian_server(env) as (port, server):
        hello, hello_cpu = measure(port, server, "/bench/hello", seconds=seconds)
        hello_peak = peak_rss_mb(server)
    void = ""
    if hello_cpu < SATURATION_THRESHOLD:
        void = (
            f"the load generator could not saturate the server core during the hello baseline "
            f"(server CPU {hello_cpu:.0%}); the ratio is a lower bound"
        )
    with granian_server(env) as (port, server):
        for name, (path, cookie, target) in pages.items():
            result, cpu = measure(port, server, path, seconds=seconds, cookie=cookie)
            if result.errors or not result.requests:
                raise RuntimeError(f"B1 {name}: {result.errors} errors, statuses {result.statuses}")
            summary = result.summary()
            results.append(
                Result(
                    benchmark="B1",
                    name=f"{name} pages/s",
                    unit="req/s",
                    ours=result.throughput,
                    baseline=hello.throughput,
                    target=f"≥ {target}× hello, p95 < 100 ms",
                    higher_is_better=True,
                    limit=target,
                    void=void,
                    details={
                        **{f"ours_{k}": v for k, v in summary.items()},
                        "server_cpu": round(cpu, 2),
                        "hello_p95_ms": hello.summary()["p95_ms"],
                        "hello_server_cpu": round(hello_cpu, 2),
                    },
                )
            )
        ours_peak = peak_rss_mb(server)
    results.append(
        Result(
            benchmark="B9",
            name="peak memory per web worker",
            unit="MB",
            ours=ours_peak,
            baseline=hello_peak,
            target="≤ 1.5×",
            higher_is_better=False,
            limit=1.5,
            details={"pages_served": ", ".join(pages)},
        )
    )
    return results


def job_peak_mb(env: dict[str, str], job: str) -> float:
    """Peak RSS of a fresh process that sets Django up and runs one job (``bench.jobs``)."""
    full_env = {**os.environ, **env, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    output = subprocess.run(
        [sys.executable, "-m", "bench.jobs", job], env=full_env, cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    return float(output.strip().splitlines()[-1])


def run_b9_jobs(env: dict[str, str]) -> list[Result]:
    ours = job_peak_mb(env, "deliver")
    baseline = job_peak_mb(env, "noop")
    return [
        Result(
            benchmark="B9",
            name="peak memory per job",
            unit="MB",
            ours=ours,
            baseline=baseline,
            target="≤ 1.5×",
            higher_is_better=False,
            limit=1.5,
            details={"job": "notification delivery vs no-op"},
        )
    ]


def session_cookie_for_staff(details: dict[str, Any]) -> str:
    """Create a signed-in, TOTP-verified staff session directly in the benchmark database."""
    import django_otp
    from django.contrib.sessions.backends.db import SessionStore

    from linli.accounts.middleware import SESSION_RECORD_KEY
    from linli.accounts.models import AccountKind, RoleAssignment, StaffTOTPDevice, User, UserSession
    from linli.areas.models import Area, AreaKind

    street = Area.objects.filter(kind=AreaKind.STREET).first()
    assert street is not None, "benchmark data set has no street"
    user, _ = User.objects.get_or_create(username="bench-street", defaults={"kind": AccountKind.STAFF})
    user.set_password("Bench-Password-2026!")
    user.kind = AccountKind.STAFF
    from django.utils import timezone

    user.password_changed_at = timezone.now()
    user.save()
    RoleAssignment.objects.get_or_create(user=user, role="street_officer", area=street, revoked_at=None)
    device, _ = StaffTOTPDevice.objects.get_or_create(
        user=user, confirmed=True, defaults={"name": "TOTP", "encrypted_key": "00" * 20}
    )
    record = UserSession.objects.create(user=user)
    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store["_auth_user_backend"] = "linli.accounts.backends.StaffPasswordBackend"
    store["_auth_user_hash"] = user.get_session_auth_hash()
    store[django_otp.DEVICE_ID_SESSION_KEY] = device.persistent_id
    store[SESSION_RECORD_KEY] = str(record.id)
    store.create()
    details["staff"] = user.username
    return f"linli_session={store.session_key}"
