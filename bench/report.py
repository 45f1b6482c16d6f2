"""Benchmark results: ours, baseline, ratio, target — written as JSON and a Markdown table."""

from __future__ import annotations

import json
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass
class Result:
    benchmark: str  # "B0", "B1", …
    name: str  # what was measured
    unit: str
    ours: float
    baseline: float
    target: str  # e.g. "≤ 2.0×"
    higher_is_better: bool
    limit: float  # the target ratio
    details: dict[str, Any] = field(default_factory=dict)
    void: str = ""  # why the ratio cannot be trusted (e.g. load generator saturated)

    @property
    def ratio(self) -> float:
        if self.baseline == 0:
            return float("inf")
        return self.ours / self.baseline

    @property
    def met(self) -> bool | None:
        if self.void:
            return None
        return self.ratio >= self.limit if self.higher_is_better else self.ratio <= self.limit

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = round(self.ratio, 3)
        data["met"] = self.met
        return data


def write(results: list[Result], *, mode: str) -> tuple[Path, Path]:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    meta = {"mode": mode, "time": stamp, "python": platform.python_version(), "machine": platform.machine()}
    payload = {"meta": meta, "results": [result.as_dict() for result in results]}
    json_path = RESULTS_DIR / f"{mode}-{stamp}.json"
    json_path.write_text(json.dumps(payload, ensure_ascii=False, indent=2))
    for result in results:
        (RESULTS_DIR / f"{result.benchmark}-{slug(result.name)}.json").write_text(
            json.dumps({"meta": meta, **result.as_dict()}, ensure_ascii=False, indent=2)
        )
    markdown = markdown_table(results)
    md_path = RESULTS_DIR / f"{mode}-{stamp}.md"
    md_path.write_text(markdown)
    (RESULTS_DIR / "latest.md").write_text(markdown)
    return json_path, md_path


def slug(text: str) -> str:
    return "".join(char if char.isalnum() else "-" for char in text.lower()).strip("-")[:60]


def fmt(value: float) -> str:
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def markdown_table(results: list[Result]) -> str:
    lines = [
        "| id | measure | unit | ours | baseline | ratio | target | met |",
        "|---|---|---|---:|---:|---:|---|---|",
    ]
    for result in results:
        met = "void" if result.void else ("yes" if result.met else "NO")
        lines.append(
            f"| {result.benchmark} | {result.name} | {result.unit} | {fmt(result.ours)} | {fmt(result.baseline)} | "
            f"{result.ratio:.2f}× | {result.target} | {met} |"
        )
    notes = [f"- {r.benchmark} {r.name}: ratio void — {r.void}" for r in results if r.void]
    extra = [
        f"- {r.benchmark} {r.name}: " + ", ".join(f"{k}={v}" for k, v in r.details.items())
        for r in results
        if r.details
    ]
    return "\n".join([*lines, "", *notes, *extra]) + "\n"
