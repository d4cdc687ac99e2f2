"""One table for every benchmark: each figure beside its same-run baseline, the goal, met.

A benchmark builds `Result`s and calls `publish`: it prints them, and when run by
`bench/run.py` (`make bench`) also appends them as JSON lines to `$BENCH_RESULTS`, from
which the runner prints the one table.
"""

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Result:
    figure: str  # what was measured, e.g. "article JSON by slug"
    value: float
    unit: str  # "req/s", "ms", "MB", "emails/s"
    baseline: float | None = None  # the same-run baseline, in the same unit
    baseline_name: str = ""  # e.g. "bare aiohttp, same bytes"
    goal: str = ""  # e.g. "≥ 0.7×", "≤ 150 MB"
    met: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline


def ratio_goal(
    figure: str, value: float, unit: str, baseline: float, baseline_name: str, at_least: float
) -> Result:
    """A figure whose goal is a ratio to its baseline (higher is better)."""
    return Result(
        figure, value, unit, baseline, baseline_name, f"≥ {at_least}×", value / baseline >= at_least
    )


def limit_goal(figure: str, value: float, unit: str, at_most: float, note: str = "") -> Result:
    """A figure whose goal is a ceiling (lower is better)."""
    return Result(
        figure, value, unit, goal=f"≤ {at_most:g} {unit}", met=value <= at_most, note=note
    )


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def table(results: list[Result]) -> str:
    header = ("figure", "value", "baseline", "ratio", "goal", "met")
    rows = [header]
    for r in results:
        baseline = f"{_number(r.baseline)} {r.unit} ({r.baseline_name})" if r.baseline else ""
        ratio = f"{r.ratio:.2f}×" if r.ratio is not None else ""
        met = "" if r.met is None else ("yes" if r.met else "NO")
        value = f"{_number(r.value)} {r.unit}" + (f" ({r.note})" if r.note else "")
        rows.append((r.figure, value, baseline, ratio, r.goal, met))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in rows
    ]
    lines.insert(1, "| " + " | ".join("-" * w for w in widths) + " |")
    return "\n".join(lines)


def publish(results: list[Result]) -> None:
    print(table(results), flush=True)
    target = os.environ.get("BENCH_RESULTS")
    if target:
        with Path(target).open("a", encoding="utf-8") as out:
            for result in results:
                out.write(json.dumps(asdict(result), ensure_ascii=False) + "\n")


def load(path: Path) -> list[Result]:
    if not path.exists():
        return []
    return [Result(**json.loads(line)) for line in path.read_text().splitlines() if line]
