"""``python -m bench run --quick|--full [--only B0,B1,B9]`` — see BENCHMARKS.md.

The orchestrating process never imports Django (it runs the load generator); Django work happens
in subprocesses that share one benchmark key set and a cached, migrated data set."""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.report import Result, markdown_table, write

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(__file__).resolve().parent / "cache"


def bench_keys() -> dict[str, str]:
    path = CACHE / "keys.json"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(
                {
                    "LINLI_SECRET_KEY": secrets.token_urlsafe(48),
                    "LINLI_DATA_KEYS": "bench1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
                    "LINLI_BLIND_INDEX_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
                    "LINLI_AUDIT_CHAIN_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
                }
            )
        )
    keys = dict(json.loads(path.read_text()))
    if "LINLI_AUDIT_CHAIN_KEY" not in keys:  # a key set from before the keyed audit chain
        keys["LINLI_AUDIT_CHAIN_KEY"] = base64.b64encode(secrets.token_bytes(32)).decode()
        path.write_text(json.dumps(keys))
    return keys


def environment(database: Path, data_dir: Path) -> dict[str, str]:
    data_dir.mkdir(parents=True, exist_ok=True)
    return {
        **bench_keys(),
        "DATABASE_URL": f"sqlite:///{database}",
        "LINLI_DATA_DIR": str(data_dir),
        "LINLI_DEBUG": "0",
        "LINLI_DEMO_MODE": "0",
        "LINLI_HUEY": "sqlite",
        "PYTHONHASHSEED": "0",
    }


def django_run(env: dict[str, str], *args: str) -> str:
    full_env = {**os.environ, **env, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    completed = subprocess.run([sys.executable, *args], env=full_env, cwd=ROOT, capture_output=True, text=True)
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{completed.stdout}\n{completed.stderr}")
    return completed.stdout


def cache_key(scale: str) -> str:
    digest = hashlib.sha256(scale.encode())
    for path in [*sorted(ROOT.glob("linli/*/migrations/*.py")), ROOT / "bench" / "dataset.py"]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def template_database(workspace: Path) -> Path:
    template = workspace / "template.sqlite3"
    if not template.exists():
        env = environment(template, workspace / "data")
        django_run(env, "-m", "linli.cli", "prepare")
        django_run(
            env,
            "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('PRAGMA wal_checkpoint(TRUNCATE)'); c.close()",
            str(template),
        )
    return template


def run(mode: str, only: set[str]) -> list[Result]:
    scale = "full" if mode == "full" else "quick"
    workspace = CACHE / f"{scale}-{cache_key(scale)}"
    workspace.mkdir(parents=True, exist_ok=True)
    template = template_database(workspace)
    dataset = workspace / "dataset.sqlite3"
    results: list[Result] = []
    if "B0" in only or not dataset.exists():
        candidate = workspace / "building.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{candidate}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(template, candidate)
        env = environment(candidate, workspace / "data")
        print(f"B0: building the {scale} data set …", flush=True)
        output = django_run(env, "-m", "bench.b0", scale, str(workspace), str(template))
        b0 = [Result(**item) for item in json.loads(output.strip().splitlines()[-1])]
        if "B0" in only:
            results.extend(b0)
        django_run(
            env,
            "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('PRAGMA wal_checkpoint(TRUNCATE)'); c.close()",
            str(candidate),
        )
        candidate.replace(dataset)
    env = environment(dataset, workspace / "data")
    seconds, rounds = (8.0, 3) if mode == "full" else (2.5, 3)
    if "B1" in only or "B9" in only:
        cookie, link_id = (
            django_run(env, "-m", "bench.b0", "cookie", str(workspace), str(template)).strip().splitlines()[-2:]
        )
        pages = {
            "signed-in hello (session, user, second factor)": ("/bench/hello-signed-in", cookie, 0.5),
            "workbench with 20 tasks (grid worker)": ("/workbench/", cookie, 0.15),
            "residents list, 50 rows": ("/residents/", cookie, 0.15),
            "resident detail (pending home link)": (f"/residents/{link_id}/", cookie, 0.25),
            "health check (/healthz)": ("/healthz", "", 0.5),
        }
        print(
            f"B1/B9: 32 clients, {len(pages) + 1} pages × {rounds} rounds × {seconds:.1f} s, interleaved …", flush=True
        )
        from bench.server import run_b1_b9, run_b9_jobs

        served = run_b1_b9(env, pages, seconds=seconds, rounds=rounds)
        results.extend(r for r in served if r.benchmark in only)
        if "B9" in only:
            results.extend(run_b9_jobs(env))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run")
    group = run_parser.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_true", help="the < 90 s subset")
    group.add_argument("--full", action="store_true", help="the whole suite (< 10 minutes)")
    run_parser.add_argument("--only", default="B0,B1,B9")
    sub.add_parser("profile", help="in-process server time per page (see bench/profile.py)", add_help=False)
    if len(sys.argv) > 1 and sys.argv[1] == "profile":
        from bench.profile import main as profile_main

        profile_main(sys.argv[2:])
        return
    arguments = parser.parse_args()
    mode = "full" if arguments.full else "quick"
    only = {item.strip().upper() for item in arguments.only.split(",") if item.strip()}
    started = time.perf_counter()
    results = run(mode, only)
    json_path, md_path = write(results, mode=mode)
    print()
    print(markdown_table(results))
    print(
        f"{len(results)} results in {time.perf_counter() - started:.0f} s → {json_path.relative_to(ROOT)}, {md_path.relative_to(ROOT)}"
    )


if __name__ == "__main__":
    main()
