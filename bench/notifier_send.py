"""Benchmark: email one published article to 10,000 confirmed subscribers, with 1 and 2
notifier replicas of the stack `make up` runs, against a raw aiosmtplib blast.

Every figure uses the same sink, an aiosmtpd server in its own process (bench/
notifier_sink.py), twice: answering at once (everything CPU-bound) and answering DATA after
20 ms (a relay across a network). The notifier is timed from publishing article.published to
the sink's acceptance of the last message (every delivery is then checked to be recorded as
sent); the raw blast sends the same number of pre-rendered messages over as many reused
connections as a replica may use (`SEND_CONCURRENCY`, default). The in-doubt window of each
message runs from the sink's 250 to its outcome being stored: per message, from the sink's
log to the outcome document's `at` (when the notifier handed it to the database), and from
the notifier's own histogram, SMTP answer to insert acknowledged. Run:
    flock /tmp/bench.lock .venv/bin/python bench/notifier_send.py
"""

import asyncio
import os
import secrets
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import aiosmtplib

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from notifier_probe import Probe, Sink, drop_queues, in_doubt_histogram  # noqa: E402
from report import Result, publish, ratio_goal  # noqa: E402
from stack import (  # noqa: E402
    AMQP_URL,
    MONGO_URL,
    ROOT,
    Stack,
    cpu_seconds,
    free_port,
    named,
    wait_for,
)

from services.notifier.adapters.store import SubscriberStore  # noqa: E402
from services.notifier.config import NotifierSettings  # noqa: E402
from services.notifier.domain.compose import Composer  # noqa: E402
from services.notifier.domain.models import Subscriber  # noqa: E402
from shared.contracts.events import ArticlePublished, new_envelope  # noqa: E402
from shared.platform.bus import Bus  # noqa: E402
from shared.platform.db import make_client  # noqa: E402

SUBSCRIBERS = int(os.environ.get("BENCH_SUBSCRIBERS", "10000"))
CONNECTIONS = NotifierSettings.model_fields["send_concurrency"].default
# The in-doubt window before this change (p99 ms: sink 250 → outcome handed over, SMTP
# answer → stored), measured with this script on commit 5cae66b plus only the histogram,
# 2026-11-30 on the shared 2-CPU box: instant sink 1 replica, 20 ms sink 2 replicas.
BASELINE_IN_DOUBT_MS = {"instant": (9.41, 247.0), "20ms": (9.16, 28.2)}


def article(run: str) -> ArticlePublished:
    return ArticlePublished(
        article_id=f"bench-{run}",
        slug=f"day-manh-cong-tac-dan-van-{run}",
        title="Đẩy mạnh công tác dân vận trong tình hình mới",
        lead="Hội nghị tổng kết công tác dân vận năm 2022 và triển khai nhiệm vụ năm 2023. " * 3,
        section="Công tác dân vận",
        section_slug="dan-van",
        url=f"https://tin.example.vn/bai-viet/day-manh-cong-tac-dan-van-{run}",
        published_at=datetime.now(UTC),
    )


class CpuMeter:
    """CPU seconds spent by named groups of processes between start() and per_email()."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self._groups = groups
        self._start: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        return {name: sum(map(cpu_seconds, pids)) for name, pids in self._groups.items()}

    def start(self) -> None:
        self._start = self._now()

    def per_email(self) -> dict[str, float]:
        """µs of CPU per email, by group."""
        now = self._now()
        return {name: (now[name] - self._start[name]) / SUBSCRIBERS * 1e6 for name in now}


def addresses() -> list[str]:
    return [f"ban-doc-{n:05d}@example.vn" for n in range(SUBSCRIBERS)]


async def raw_blast(sink: Sink) -> float:
    """The messages the notifier would send, rendered first, then sent as fast as aiosmtplib
    can over CONNECTIONS reused connections. Messages per second."""
    composer = Composer(NotifierSettings(mongo_db="bench", signing_key=secrets.token_hex(32)))
    facts = article(uuid.uuid4().hex[:8])
    prepared = composer.prepare_article(facts)
    queue = [(email, composer.article(prepared, facts.article_id, email)) for email in addresses()]
    queue.reverse()

    async def worker() -> None:
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=sink.port)
        await smtp.connect()
        while queue:
            email, message = queue.pop()
            await smtp.sendmail("tin-moi@portal.example", [email], message)
        await smtp.quit()

    before = sink.received
    started = time.time()
    await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
    last = await sink.wait_for(before + SUBSCRIBERS)
    return SUBSCRIBERS / (last - started)


async def seed(stack: Stack) -> None:
    """The subscribers, written by the notifier's own store in its document format."""
    mongo = make_client(MONGO_URL)
    try:
        store = SubscriberStore(mongo[stack.database("notifier")])
        readers = [Subscriber(e, "confirmed", [], False, "vi") for e in addresses()]
        await store.add_many(readers)
    finally:
        await mongo.close()


def second_replica(stack: Stack) -> tuple["subprocess.Popen[bytes]", str]:
    """Another notifier with the first one's environment but its own port; and its URL."""
    # The first one's own environment: `stack.env` draws a new SIGNING_KEY at every call.
    raw = Path(f"/proc/{stack.pid('notifier')}/environ").read_bytes()
    env = dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)
    port = free_port()
    log = (stack.state / "notifier-2.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "services.notifier"],
        cwd=ROOT,
        env={**env, "HTTP_PORT": str(port)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_for(f"http://127.0.0.1:{port}/readyz")
    return process, f"http://127.0.0.1:{port}"


async def fan_out(
    stack: Stack, sink: Sink, metrics: list[str], meter: "CpuMeter | None" = None
) -> Probe:
    """Publish one article; wait for every message and every recorded outcome. The CPU
    `meter` (started by the caller) is read then, before the benchmark reads the outcomes
    back: that read is the benchmark's, not the sending's."""
    run = uuid.uuid4().hex[:8]
    probe = Probe(stack, article(run).article_id, sink)
    async with aiohttp.ClientSession() as http:
        histograms = [await in_doubt_histogram(http, url) for url in metrics]
        bus = Bus(AMQP_URL, stack.exchange)
        await bus.connect()
        try:
            before = sink.received
            started = time.time()
            await bus.publish(new_envelope(article(run), "content"))
            last = await sink.wait_for(before + SUBSCRIBERS)
        finally:
            await bus.close()
        probe.rate = SUBSCRIBERS / (last - started)
        await probe.wait_recorded(SUBSCRIBERS)
        if meter is not None:
            probe.cpu = meter.per_email()
        after = [await in_doubt_histogram(http, url) for url in metrics]
    # Bucket by bucket, what every replica observed during this run.
    probe.histogram = [
        sum(now) - sum(then)
        for then, now in zip(zip(*histograms, strict=True), zip(*after, strict=True), strict=True)
    ]
    await probe.read_outcomes()
    return probe


Figures = dict[str, Probe | float | dict[str, float]]


async def scenario(latency_ms: int) -> Figures:
    sink = Sink(latency_ms)
    overrides = {"notifier": {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(sink.port)}}
    figures: Figures = {}
    try:
        with Stack.start(overrides=overrides) as stack:
            try:
                await seed(stack)
                first = [stack.direct("notifier", "")]
                # Where each email's CPU goes: the sender, the sink and what stores outcomes.
                meter = CpuMeter(
                    {
                        "notifier": [stack.pid("notifier")],
                        "FerretDB": named("ferretdb"),
                        "RabbitMQ": named("beam.smp"),
                        "sink": [sink.process.pid],
                        "sender": [os.getpid()],
                    }
                )
                meter.start()
                figures["raw"] = await raw_blast(sink)
                figures["cpu_raw"] = meter.per_email()
                meter.start()
                figures["one"] = one = await fan_out(stack, sink, first, meter)
                figures["cpu_one"] = one.cpu
                if latency_ms:
                    replica, url = second_replica(stack)
                    try:
                        figures["two"] = await fan_out(stack, sink, [*first, url])
                    finally:
                        replica.terminate()
                        replica.wait(timeout=30)
            finally:
                await drop_queues(AMQP_URL, stack.exchange)
    finally:
        sink.stop()
    return figures


def results(instant: Figures, slow: Figures) -> list[Result]:
    one, raw = instant["one"], instant["raw"]
    slow_one, two = slow["one"], slow["two"]
    cpu_one, cpu_raw = instant["cpu_one"], instant["cpu_raw"]
    assert isinstance(one, Probe) and isinstance(raw, float)
    assert isinstance(slow_one, Probe) and isinstance(two, Probe)
    assert isinstance(cpu_one, dict) and isinstance(cpu_raw, dict)
    note = f"{SUBSCRIBERS} subscribers, {CONNECTIONS} connections per replica"
    rows = [
        ratio_goal("email fan-out, 1 replica, instant sink", one.rate, "emails/s", raw,
                   f"raw aiosmtplib, {CONNECTIONS} connections", 0.8),
        ratio_goal("email fan-out, 2 replicas vs 1, 20 ms sink", two.rate, "emails/s",
                   slow_one.rate, "1 replica, same sink", 1.6),
    ]  # fmt: skip
    rows = [Result(**{**r.__dict__, "note": note}) for r in rows]
    # The raw blast stores nothing: its CPU is the sender's and the sink's alone.
    ours = cpu_one["notifier"] + cpu_one["FerretDB"] + cpu_one["RabbitMQ"]
    spread = ", ".join(
        f"{name} {cpu_one[name]:.0f}" for name in ("notifier", "FerretDB", "RabbitMQ", "sink")
    )
    rows.append(
        Result(
            "email fan-out, 1 replica, instant sink: CPU per email",
            ours,
            "µs",
            cpu_raw["sender"],
            f"raw sender; its sink {cpu_raw['sink']:.0f} µs",
            note=f"µs: {spread}",
        )
    )
    for name, probe in (("instant", one), ("20ms", two)):
        rows.extend(probe.window_rows(name, BASELINE_IN_DOUBT_MS[name]))
    return rows


async def main() -> None:
    print(f"{SUBSCRIBERS} subscribers, {os.cpu_count()} CPUs; sink: aiosmtpd in its own process")
    instant = await scenario(0)
    slow = await scenario(20)
    publish(results(instant, slow))
    print("\nNext: flock /tmp/bench.lock .venv/bin/python bench/notifier_send.py again to compare")


if __name__ == "__main__":
    asyncio.run(main())
