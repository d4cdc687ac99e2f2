"""What bench/notifier_send.py measures with: the sink process, and a probe of one fan-out
(its rate, its recorded outcomes, its in-doubt window)."""

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aio_pika
import aiohttp
from report import Result, limit_goal
from stack import MONGO_URL, ROOT, Stack, free_port

from shared.platform.db import make_client

# The collections one fan-out fills: dropped after each, so every run starts alike.
DELIVERY_COLLECTIONS = (
    "deliveries", "delivery_claims", "delivery_failures", "delivery_outcomes", "fanouts",
    "articles",
)  # fmt: skip
HISTOGRAM = "notifier_in_doubt_seconds_bucket"


class Sink:
    """The sink process, the running count it reports, and its log of acceptances."""

    def __init__(self, latency_ms: int) -> None:
        self.port = free_port()
        self.log = Path(tempfile.mkstemp(prefix="notifier-sink-", suffix=".log")[1])
        self.process = subprocess.Popen(  # noqa: S603 - our own script
            [sys.executable, str(ROOT / "bench" / "notifier_sink.py"), str(self.port),
             str(latency_ms), str(self.log)],
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        self.received = 0
        self.last = 0.0
        assert self._line() == "ready"

    def _line(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    async def wait_for(self, total: int) -> float:
        """When the sink has accepted `total` messages in all: the time of the last one."""
        loop = asyncio.get_running_loop()
        while self.received < total:
            _, count, last = (await loop.run_in_executor(None, self._line)).split()
            self.received, self.last = int(count), float(last)
        return self.last

    def accepted(self, offset: int) -> dict[str, float]:
        """recipient → acceptance time, of the lines logged from `offset` on."""
        with self.log.open() as lines:
            lines.seek(offset)
            return {rcpt: float(at) for rcpt, at in (line.split() for line in lines)}

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()
        self.log.unlink(missing_ok=True)


async def in_doubt_histogram(http: aiohttp.ClientSession, base: str) -> list[float]:
    """The cumulative bucket counts of a replica's in-doubt histogram, in `le` order."""
    async with http.get(f"{base}/metrics") as response:
        text = await response.text()
    return [
        float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(HISTOGRAM)
    ]


BOUNDS_MS = [
    1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000,
    float("inf"),
]  # fmt: skip


def histogram_quantile(cumulative: list[float], q: float) -> float:
    """The q-quantile in ms, interpolated within its bucket (as Prometheus does)."""
    total = cumulative[-1]
    rank = q * total
    lower, below = 0.0, 0.0
    for bound, count in zip(BOUNDS_MS, cumulative, strict=True):
        if count >= rank:
            if bound == float("inf"):
                return lower
            return lower + (bound - lower) * (rank - below) / max(count - below, 1)
        lower, below = bound, count
    return lower


class Probe:
    """One fan-out: its rate, and its in-doubt window once its outcomes are read."""

    def __init__(self, stack: Stack, article_id: str, sink: Sink) -> None:
        self.stack = stack
        self.article_id = article_id
        self.rate = 0.0
        self.histogram: list[float] = []
        self.windows_ms: list[float] = []
        self.cpu: dict[str, float] = {}  # µs per email by process group, if it was metered
        self._sink = sink
        self._offset = sink.log.stat().st_size

    async def wait_recorded(self, expected: int) -> None:
        mongo = make_client(MONGO_URL)
        outcomes = mongo[self.stack.database("notifier")]["delivery_outcomes"]
        deadline = time.monotonic() + 300
        query = {"article_id": self.article_id, "state": "sent"}
        try:
            while await outcomes.count_documents(query) < expected:
                if time.monotonic() > deadline:
                    raise SystemExit(f"outcomes of {self.article_id} not all recorded as sent")
                await asyncio.sleep(0.5)
        finally:
            await mongo.close()

    async def read_outcomes(self) -> None:
        """Per message: from the sink's 250 to the outcome handed to the database (`at`).
        Then the delivery collections are dropped, so the next run starts alike."""
        accepted = self._sink.accepted(self._offset)
        mongo = make_client(MONGO_URL)
        db = mongo[self.stack.database("notifier")]
        prefix = len(self.article_id) + 1
        try:
            async for outcome in db["delivery_outcomes"].find({"article_id": self.article_id}):
                at: datetime = outcome["at"]
                stored = (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()
                email = str(outcome["_id"])[prefix:]
                self.windows_ms.append((stored - accepted[email]) * 1000)
            for name in DELIVERY_COLLECTIONS:
                await db.drop_collection(name)
        finally:
            await mongo.close()

    def window_rows(self, scenario: str, baseline: tuple[float, float]) -> list[Result]:
        cuts = statistics.quantiles(self.windows_ms, n=100)
        per_message = limit_goal(
            f"in-doubt p99, sink 250 → outcome handed over, {scenario}",
            cuts[98],
            "ms",
            baseline[0],
            note=f"p50 {cuts[49]:.1f}, max {max(self.windows_ms):.1f}; today {baseline[0]:g}",
        )
        p50, p99 = (histogram_quantile(self.histogram, q) for q in (0.5, 0.99))
        notifier = limit_goal(
            f"in-doubt p99, SMTP answer → outcome stored, {scenario}",
            p99,
            "ms",
            baseline[1],
            note=f"p50 {p50:.1f}, notifier's histogram; today {baseline[1]:g}",
        )
        return [per_message, notifier]


async def drop_queues(amqp_url: str, exchange: str) -> None:
    """The delivery job queues, which the stack does not know of."""
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        for queue in (f"{exchange}.notifier.deliveries", f"{exchange}.notifier.deliveries.dead"):
            await channel.queue_delete(queue)
    finally:
        await connection.close()
