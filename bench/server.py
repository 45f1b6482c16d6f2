"""B1 (pages/s and latency percentiles at 32 clients vs the bare hello view on the same server)
and B9 (peak memory of a web worker and of a job vs the bare hello worker / a no-op job).

The server is granian (WSGI, one worker) pinned to core 0; the load generator runs in this
process pinned to core 1. One server process serves every page; the anonymous hello (the
baseline), the signed-in hello and the pages run interleaved — one run each per round, several
rounds — so drift on a shared machine touches every page alike, and the spread between rounds is
reported. During each run the server's CPU use is sampled: if the hello baseline cannot keep the
server core busy (< 85 %), the generator is the bottleneck and the ratio is void."""

from __future__ import annotations

import os
import socket
import statistics
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
    cpu_before, wall_before = _cpu_seconds(server), time.perf_counter()
    result = run_load("127.0.0.1", port, path, clients=32, seconds=seconds, cookie=cookie)
    utilisation = (_cpu_seconds(server) - cpu_before) / (time.perf_counter() - wall_before)
    return result, utilisation


BASELINE = "anonymous hello"


def run_b1_b9(
    env: dict[str, str], pages: dict[str, tuple[str, str, float]], *, seconds: float, rounds: int
) -> list[Result]:
    """``pages``: name → (path, cookie, target ratio); the anonymous hello is the baseline and is
    added here. Each round runs every page once (after a warm-up round at 8 clients); per page the
    median round's throughput is reported with the spread of the rounds and the latency
    percentiles over all rounds."""
    pin(1)
    everything = {BASELINE: ("/bench/hello", "", 1.0), **pages}
    runs: dict[str, list[tuple[LoadResult, float]]] = {name: [] for name in everything}
    with granian_server(env) as (port, server):
        run_load("127.0.0.1", port, "/bench/hello", clients=8, seconds=min(1.0, seconds / 2))
        hello_peak = peak_rss_mb(server)
        for path, cookie, _target in pages.values():
            run_load("127.0.0.1", port, path, clients=8, seconds=min(1.0, seconds / 2), cookie=cookie)
        for _ in range(rounds):
            for name, (path, cookie, _target) in everything.items():
                result, cpu = measure(port, server, path, seconds=seconds, cookie=cookie)
                if result.errors or not result.requests:
                    raise RuntimeError(f"B1 {name}: {result.errors} errors, statuses {result.statuses}")
                runs[name].append((result, cpu))
        ours_peak = peak_rss_mb(server)
    baseline_rps = sorted(result.throughput for result, _cpu in runs[BASELINE])
    baseline_cpu = min(cpu for _result, cpu in runs[BASELINE])
    hello = _combined(runs[BASELINE])
    void = ""
    if baseline_cpu < SATURATION_THRESHOLD:
        void = (
            f"the load generator could not saturate the server core during the hello baseline "
            f"(server CPU {baseline_cpu:.0%} in its least busy round); the ratio is a lower bound"
        )
    results: list[Result] = []
    for name, (_path, _cookie, target) in pages.items():
        rps = [result.throughput for result, _cpu in runs[name]]
        combined = _combined(runs[name])
        ratios = [ours / base for ours, base in zip(rps, [r.throughput for r, _c in runs[BASELINE]], strict=True)]
        results.append(
            Result(
                benchmark="B1",
                name=f"{name} pages/s",
                unit="req/s",
                ours=statistics.median(rps),
                baseline=statistics.median(baseline_rps),
                target=f"≥ {target}× hello, p95 < 100 ms",
                higher_is_better=True,
                limit=target,
                void=void,
                details={
                    "rounds": rounds,
                    "ours_rps_min_max": f"{min(rps):.0f}–{max(rps):.0f}",
                    "ratio_per_round": " ".join(f"{ratio:.2f}" for ratio in ratios),
                    "p50_ms": combined.summary()["p50_ms"],
                    "p95_ms": combined.summary()["p95_ms"],
                    "p99_ms": combined.summary()["p99_ms"],
                    "p95_met": combined.summary()["p95_ms"] < 100,
                    "server_cpu": round(statistics.median(cpu for _result, cpu in runs[name]), 2),
                    "hello_rps_min_max": f"{baseline_rps[0]:.0f}–{baseline_rps[-1]:.0f}",
                    "hello_p95_ms": hello.summary()["p95_ms"],
                    "hello_server_cpu_min": round(baseline_cpu, 2),
                },
            )
        )
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


def _combined(runs: list[tuple[LoadResult, float]]) -> LoadResult:
    combined = LoadResult(requests=0, errors=0, seconds=0.0, latencies=[], statuses={})
    for result, _cpu in runs:
        combined.requests += result.requests
        combined.errors += result.errors
        combined.seconds += result.seconds
        combined.latencies.extend(result.latencies)
    return combined


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


BENCH_USERNAME = "bench-grid"


def session_cookie_for_staff(details: dict[str, Any]) -> str:
    """A signed-in, TOTP-verified grid worker of the data set's first grid (where the data set
    leaves home links waiting for verification: the workbench has tasks, the residents list rows)."""
    from django.utils import timezone

    from bench.identity import verified_session_cookie
    from linli.accounts.models import AccountKind, RoleAssignment, User
    from linli.areas.models import Area, AreaKind

    grid = Area.objects.filter(kind=AreaKind.GRID).order_by("id").first()
    assert grid is not None, "benchmark data set has no grid"
    user, _ = User.objects.get_or_create(
        username=BENCH_USERNAME, defaults={"kind": AccountKind.STAFF, "display_name": "基准网格员"}
    )
    user.set_password("Bench-Password-2026!")
    user.kind = AccountKind.STAFF
    user.password_changed_at = timezone.now()
    user.save()
    RoleAssignment.objects.get_or_create(user=user, role="grid_worker", area=grid, revoked_at=None)
    details["staff"] = user.username
    details["grid_path"] = grid.path
    return verified_session_cookie(user)
