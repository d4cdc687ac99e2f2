"""Live widget streams: N server-sent-event streams of `GET /api/stats/stream` through the
gateway on one counter, a change, and how long it takes to reach every stream.

Prints, from one run of the stack `make up` runs (bench/stack.py, default settings):
- streams connected through the gateway, each with its first event (goal: all N), and the
  streams that saw every change;
- p99 latency from a change to each stream receiving the new figure: the change is a
  page-view beacon of a new visitor, `POST /api/views` through the gateway, timed from its
  204 (content confirmed it to the broker) to the event carrying the new "Tổng" arriving on
  each stream (goal ≤ 1 s). Baseline: the same with 100 streams, in the same run;
- the counter's peak RSS while the N streams are open (goal ≤ 150 MB); baseline: its RSS
  idle, before any stream.

The client is bench/streams/main.go (Go, standard library), built here with `go build`: one
Python process could not hold 10,000 streams on two CPUs without becoming what is measured.
Run: flock /tmp/bench.lock .venv/bin/python bench/counter_streams.py   (BENCH_STREAMS=N)
"""

# A local benchmark: it starts this project's services and talks to local servers.
# ruff: noqa: S603, S310

import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import Result, publish  # noqa: E402
from stack import Stack, rss_mb  # noqa: E402

STREAMS = int(os.environ.get("BENCH_STREAMS", "10000"))
# BENCH_DIRECT=1: the streams go to the counter's own port, to tell its share from the gateway's.
DIRECT = os.environ.get("BENCH_DIRECT", "") == "1"
BASELINE_STREAMS = 100
ROUNDS = 3  # changes per phase; the p99 is over every (stream, change) pair
CLIENT_SOURCE = ROOT / "bench" / "streams"
AGENT = "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 bench-streams/{}"


@dataclass
class Phase:
    streams: int
    connected: int
    errors: dict[str, int]
    connect_seconds: float
    latencies_ms: list[float]
    received: list[int]  # per change, the streams that got it

    @property
    def complete_rounds(self) -> int:
        return sum(count == self.streams for count in self.received)

    def p(self, fraction: float) -> float:
        """A percentile over every (stream, change) pair: a change a stream never got is
        infinitely late."""
        missing = self.streams * ROUNDS - len(self.latencies_ms)
        ordered = sorted(self.latencies_ms) + [float("inf")] * missing
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def raise_fd_limit() -> int:
    """The client holds N sockets; the stack's processes inherit the raised limit too."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def build_client() -> Path:
    go = shutil.which("go") or "/usr/local/go/bin/go"
    binary = ROOT / ".local" / "bench" / "streams-client"
    binary.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([go, "build", "-o", str(binary), "."], cwd=CLIENT_SOURCE, check=True)
    return binary


class Client:
    """The Go client's process: N streams held open, told which figure to wait for."""

    def __init__(self, binary: Path, url: str, streams: int) -> None:
        self.process = subprocess.Popen(
            [str(binary), "-url", url, "-n", str(streams)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"the stream client exited ({self.process.wait()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def send(self, command: str) -> None:
        stdin: IO[str] | None = self.process.stdin
        assert stdin is not None
        stdin.write(command + "\n")
        stdin.flush()

    def close(self) -> None:
        if self.process.poll() is None:
            self.send("quit")
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def total_now(stack: Stack) -> int:
    with urllib.request.urlopen(stack.url("/api/stats"), timeout=10) as response:
        total: int = json.loads(response.read())["total"]
        return total


def new_visitor_view(stack: Stack, visitor: int) -> int:
    """A beacon of a visitor not seen before (its own user agent): one more visit, so "Tổng"
    grows by one. Returns the time content accepted it (unix ns)."""
    request = urllib.request.Request(
        stack.url("/api/views"),
        data=json.dumps({"path": "/"}).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": AGENT.format(visitor)},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 204, response.status
    return time.time_ns()


def run_phase(stack: Stack, binary: Path, streams: int, first_visitor: int) -> Phase:
    started = time.monotonic()
    path = "/api/stats/stream"
    client = Client(binary, stack.direct("counter", path) if DIRECT else stack.url(path), streams)
    try:
        hello = client.read()
        connect_seconds = time.monotonic() - started
        latencies: list[float] = []
        received: list[int] = []
        for k in range(ROUNDS):
            target = total_now(stack) + 1
            client.send(f"wait {target}")
            assert client.read() == {"armed": target}
            accepted = new_visitor_view(stack, first_visitor + k)
            arrivals = [t for t in client.read()["arrivals"] if t]
            latencies += [(t - accepted) / 1e6 for t in arrivals]
            received.append(len(arrivals))
        return Phase(
            streams, hello["connected"], hello["errors"], connect_seconds, latencies, received
        )
    finally:
        client.close()


@contextmanager
def peak_rss(pid: int) -> Iterator[list[float]]:
    """Samples the process's RSS every 100 ms while the block runs; yields [peak]."""
    peak = [rss_mb(pid)]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.1):
            peak[0] = max(peak[0], rss_mb(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peak
    finally:
        stop.set()
        sampler.join()


def describe(phase: Phase) -> str:
    errors = f", failed {phase.errors}" if phase.errors else ""
    return (
        f"{phase.streams:,} streams: connected {phase.connected:,} in "
        f"{phase.connect_seconds:.1f} s{errors}; {phase.complete_rounds}/{ROUNDS} changes reached "
        f"every stream; change → stream p50 {phase.p(0.5):.0f} ms, p99 {phase.p(0.99):.0f} ms, "
        f"max {phase.p(1.0):.0f} ms ({len(phase.latencies_ms):,} samples)"
    )


def results(idle: float, peak: float, small: Phase, large: Phase) -> list[Result]:
    p99 = large.p(0.99)
    every = min(large.received, default=0)
    return [
        Result(
            "streams connected directly to the counter"
            if DIRECT
            else "streams connected through the gateway",
            large.connected,
            "streams",
            goal=f"all {large.streams:,}",
            met=large.connected == large.streams,
        ),
        Result(
            f"streams that received each of {ROUNDS} changes (fewest)",
            every,
            "streams",
            goal=f"all {large.streams:,}",
            met=every == large.streams,
        ),
        Result(
            f"beacon accepted → new figure on each of {large.streams:,} streams, p99",
            p99,
            "ms",
            small.p(0.99),
            f"{small.streams} streams, same run",
            "≤ 1000 ms",
            p99 <= 1000,
        ),
        Result(
            f"counter RSS with {large.streams:,} streams open (peak)",
            peak,
            "MB",
            idle,
            "idle, before any stream",
            "≤ 150 MB",
            peak <= 150,
        ),
    ]


def main() -> None:
    limit = raise_fd_limit()
    print(f"open files allowed: {limit:,}; building the stream client", flush=True)
    binary = build_client()
    with Stack.start() as stack:
        counter = stack.pid("counter")
        idle = rss_mb(counter)
        print(f"counter idle RSS {idle:.1f} MB", flush=True)
        small = run_phase(stack, binary, BASELINE_STREAMS, first_visitor=0)
        print(describe(small), flush=True)
        with peak_rss(counter) as peak:
            large = run_phase(stack, binary, STREAMS, first_visitor=ROUNDS)
        print(describe(large), flush=True)
    publish(results(idle, peak[0], small, large))
    if large.complete_rounds < ROUNDS:
        print("some streams failed: see .local/bench/<run>/gateway/error.log", flush=True)


if __name__ == "__main__":
    main()
