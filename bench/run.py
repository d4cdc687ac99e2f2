"""`make bench`: every benchmark against the configuration `make up` runs, one after another
(never beside the test suite), then one table: figure, baseline, ratio, goal, met.

Each benchmark prints its own table too and appends its results to a file this runner
reads. The table, with the date and the machine's size, is also written to
`.local/bench/latest.md`. BENCH_ONLY=content_http,idle_memory runs a subset.
"""

# A local benchmark runner: it runs this repository's own scripts.
# ruff: noqa: S603

import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import load, table

HERE = Path(__file__).resolve().parent
BENCHMARKS = (
    "content_http",
    "counter_streams",
    "notifier_send",
    "idle_memory",
    "dashboard",
    "photos",
)


def machine() -> str:
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    return f"{os.cpu_count()} CPUs, {memory_kb / 1024 / 1024:.1f} GiB RAM"


def main() -> int:
    only = {name for name in os.environ.get("BENCH_ONLY", "").split(",") if name}
    chosen = [name for name in BENCHMARKS if not only or name in only]
    failed: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        results_file = Path(scratch) / "results.jsonl"
        env = {**os.environ, "BENCH_RESULTS": str(results_file)}
        for name in chosen:
            print(f"\n==> bench/{name}.py", flush=True)
            started = time.monotonic()
            done = subprocess.run([sys.executable, str(HERE / f"{name}.py")], env=env, check=False)
            print(f"    ({time.monotonic() - started:.0f} s)", flush=True)
            if done.returncode != 0:
                failed.append(name)
        results = load(results_file)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = f"Measured {stamp} on {machine()} with `make bench`.\n\n{table(results)}\n"
    if failed:
        text += f"\nFailed to run: {', '.join(failed)}\n"
    latest = HERE.parent / ".local" / "bench" / "latest.md"
    latest.parent.mkdir(parents=True, exist_ok=True)
    latest.write_text(text)
    print("\n" + text + f"\n(also in {latest.relative_to(HERE.parent)})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
