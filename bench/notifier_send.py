"""Benchmark: email one article to 10,000 subscribers with 1 and 2 notifier replicas
(processes), against a raw aiosmtplib blast of the same 10,000 rendered messages.

Every run sends to the same sink: an aiosmtpd server in its own process (bench/
notifier_sink.py) that counts and drops what it receives. The notifier is timed from the
publication of article.published until the sink reports the 10,000th message (every
delivery is then checked to be recorded as sent); the raw blast from its first connection
to its last accepted message. Run:
    .venv/bin/python bench/notifier_send.py
"""

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import aio_pika
import aiohttp
import aiosmtplib

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.notifier.config import NotifierSettings  # noqa: E402
from services.notifier.domain.compose import Composer  # noqa: E402
from shared.contracts.events import ArticlePublished, new_envelope  # noqa: E402
from shared.platform.bus import Bus  # noqa: E402
from shared.platform.db import make_client  # noqa: E402

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
MONGO_URL = os.environ.get("MONGO_URL", "mongodb://127.0.0.1:27017/")
SUBSCRIBERS = int(os.environ.get("BENCH_SUBSCRIBERS", "10000"))
CONNECTIONS = 8  # SEND_CONCURRENCY of each replica, and the raw blast's connections
SIGNING_KEY = "bench-signing-key-0123456789abcdef0123"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def article(run: str) -> ArticlePublished:
    return ArticlePublished(
        article_id=f"bench-{run}",
        slug="day-manh-cong-tac-dan-van",
        title="Đẩy mạnh công tác dân vận trong tình hình mới",
        lead="Hội nghị tổng kết công tác dân vận năm 2022 và triển khai nhiệm vụ năm 2023. " * 3,
        section="Công tác dân vận",
        section_slug="dan-van",
        url="https://tin.example.vn/bai-viet/day-manh-cong-tac-dan-van",
        published_at=datetime.now(UTC),
    )


def emails(run: str) -> list[str]:
    return [f"ban-doc-{n:05d}-{run}@example.vn" for n in range(SUBSCRIBERS)]


async def raw_blast(sink: "Sink", connections: int) -> float:
    """The same messages the notifier would send, rendered first, then sent as fast as
    aiosmtplib can over `connections` reused connections. Returns messages per second."""
    run = uuid.uuid4().hex[:8]
    settings = NotifierSettings(mongo_db="bench", signing_key=SIGNING_KEY)
    composer = Composer(settings)
    facts = article(run)
    prepared = composer.prepare_article(facts)
    messages = [
        (email, composer.article(prepared, facts.article_id, email)) for email in emails(run)
    ]
    queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
    for item in messages:
        queue.put_nowait(item)

    async def worker() -> None:
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=sink.port)
        await smtp.connect()
        while not queue.empty():
            email, message = queue.get_nowait()
            await smtp.sendmail("tin-moi@portal.example", [email], message)
        await smtp.quit()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    await sink.wait_for(sink.received + len(messages))  # keep the sink's count in step
    return len(messages) / elapsed


class Sink:
    """The sink process, and the running count of messages it has reported receiving."""

    def __init__(self, latency_ms: int) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(  # noqa: S603 - our own script
            [sys.executable, str(ROOT / "bench" / "notifier_sink.py"), str(self.port),
             str(latency_ms)],
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        self.received = 0
        assert self._line() == "ready"

    def _line(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    async def wait_for(self, total: int) -> None:
        """Return as soon as the sink says it has received `total` messages in all."""
        loop = asyncio.get_running_loop()
        while self.received < total:
            line = await loop.run_in_executor(None, self._line)
            self.received = int(line.split()[1])

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()


async def notifier_run(sink: "Sink", replicas: int, linger_ms: int = 0) -> float:
    smtp_port = sink.port
    run = uuid.uuid4().hex[:8]
    exchange, db_name = f"bench.{run}", f"bench_notifier_{run}"
    mongo = make_client(MONGO_URL)
    db = mongo[db_name]
    addresses = emails(run)
    now = datetime.now(UTC)
    for start in range(0, len(addresses), 1000):
        await db["subscribers"].insert_many(
            [
                {"_id": e, "email": e, "sections": [], "language": "vi", "paused": False,
                 "status": "confirmed", "created_at": now}
                for e in addresses[start : start + 1000]
            ]
        )  # fmt: skip
    processes = []
    urls = []
    for _ in range(replicas):
        port = free_port()
        env = {
            "PATH": os.environ["PATH"],
            "AMQP_URL": AMQP_URL,
            "MONGO_URL": MONGO_URL,
            "EXCHANGE": exchange,
            "MONGO_DB": db_name,
            "HTTP_PORT": str(port),
            "SIGNING_KEY": SIGNING_KEY,
            "SMTP_PORT": str(smtp_port),
            "SEND_CONCURRENCY": str(CONNECTIONS),
            "CHUNK_SIZE": "100",
            "PREFETCH": "4",
            "RECORD_LINGER_MS": str(linger_ms),
            "LOG_LEVEL": "WARNING",
        }
        processes.append(spawn([sys.executable, "-m", "services.notifier"], env))
        urls.append(f"http://127.0.0.1:{port}/readyz")
    bus = Bus(AMQP_URL, exchange)
    try:
        async with aiohttp.ClientSession() as http:
            for url in urls:
                while True:
                    try:
                        async with http.get(url) as response:
                            if response.status == 200:
                                break
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.2)
        await bus.connect()
        started = time.perf_counter()
        await bus.publish(new_envelope(article(run), "content"))
        await sink.wait_for(sink.received + SUBSCRIBERS)
        elapsed = time.perf_counter() - started
        # Not timed: every delivery must also be recorded as sent.
        outcomes = db["delivery_outcomes"]
        while await outcomes.count_documents({"state": "sent"}) < SUBSCRIBERS:  # noqa: ASYNC110
            await asyncio.sleep(0.5)
        return SUBSCRIBERS / elapsed
    finally:
        await bus.close()
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        connection = await aio_pika.connect(AMQP_URL)
        channel = await connection.channel()
        for queue in ("notifier", "notifier.deliveries"):
            await channel.queue_delete(f"{exchange}.{queue}")
            await channel.queue_delete(f"{exchange}.{queue}.dead")
        await channel.exchange_delete(exchange)
        await channel.exchange_delete(f"{exchange}.dead")
        await connection.close()
        await mongo.drop_database(db_name)
        await mongo.close()


def spawn(command: list[str], env: dict[str, str]) -> "subprocess.Popen[str]":
    return subprocess.Popen(  # noqa: S603 - our own modules
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True
    )


async def scenario(title: str, latency_ms: int) -> None:
    sink = Sink(latency_ms)
    try:
        raw = await raw_blast(sink, CONNECTIONS)
        raw_double = await raw_blast(sink, 2 * CONNECTIONS)
        one = await notifier_run(sink, 1)
        two = await notifier_run(sink, 2)
        lingering = await notifier_run(sink, 1, linger_ms=5)
    finally:
        sink.stop()
    print(f"\n{title}")
    print(f"  raw aiosmtplib blast, {CONNECTIONS} connections:   {raw:7.0f} msgs/s")
    print(f"  raw aiosmtplib blast, {2 * CONNECTIONS} connections:  {raw_double:7.0f} msgs/s")
    print(f"  notifier, 1 replica:                 {one:7.0f} msgs/s  {one / raw:.2f}x raw")
    print(
        f"  notifier, 2 replicas:                {two:7.0f} msgs/s  {two / raw:.2f}x raw,"
        f" {two / raw_double:.2f}x raw with {2 * CONNECTIONS} connections,"
        f" {two / one:.2f}x one replica"
    )
    print(
        f"  notifier, 1 replica, RECORD_LINGER_MS=5: {lingering:5.0f} msgs/s"
        f"  {lingering / raw:.2f}x raw"
    )


async def main() -> None:
    print(
        f"{SUBSCRIBERS} subscribers, one article; each replica uses {CONNECTIONS} SMTP "
        f"connections; sink: aiosmtpd in its own process; {os.cpu_count()} CPUs"
    )
    await scenario(
        "sink answers at once (CPU-bound: notifier, sink and FerretDB share the CPUs)", 0
    )
    await scenario("sink answers DATA after 20 ms (a relay across a network)", 20)


if __name__ == "__main__":
    asyncio.run(main())
