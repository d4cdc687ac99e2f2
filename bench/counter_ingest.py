"""Counter ingest benchmark: beacons → content → RabbitMQ → counter → MongoDB, until counted.

Prints, from one run on this machine:
(a) the end-to-end ingest rate (POST /api/views on content, counted in the counter's
    /api/stats), and page.viewed messages published straight to the bus (100 views each),
    against the raw rate of aio-pika publishing single persistent confirmed messages to a
    quorum queue and consuming them, on the same broker;
(b) freshness while (a) runs: beacon accepted (204) → visible in /api/stats (p50/p99);
(c) the counter's RSS, idle and under (a).
Run: .venv/bin/python bench/counter_ingest.py  (RabbitMQ and FerretDB must be up).
"""

# A local benchmark: it starts this project's services and talks to local servers.
# ruff: noqa: S603, S105, S108, ASYNC110, ASYNC240

import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shared.bus import Bus  # noqa: E402
from shared.db import make_client  # noqa: E402
from shared.events import PageView, PageViewed, new_envelope  # noqa: E402

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
MONGO_URL = os.environ.get("MONGO_URL", "mongodb://127.0.0.1:27017/")
BEACONS = int(os.environ.get("BENCH_BEACONS", "20000"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "128"))
RAW_MESSAGES = int(os.environ.get("BENCH_RAW", "10000"))
WRK_CONNECTIONS, WRK_SECONDS = 64, 10
DIRECT_MESSAGES, PER_MESSAGE = 200, 100
TOKEN = "bench-editor-token-0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def start(name: str, env: dict[str, str], log: Path) -> "subprocess.Popen[bytes]":
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", f"services.{name}"],
            cwd=ROOT,
            env={"PATH": os.environ["PATH"], "AMQP_URL": AMQP_URL, "MONGO_URL": MONGO_URL, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def wait_ready(http: aiohttp.ClientSession, url: str) -> None:
    for _ in range(600):
        try:
            async with http.get(f"{url}/readyz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} never became ready")


async def counted(http: aiohttp.ClientSession, counter: str) -> int:
    async with http.get(f"{counter}/api/stats") as response:
        stats: dict[str, Any] = await response.json()
    measures = stats["measures"]
    return int(measures["views"]["all_time"]["value"] + measures["bot_views"]["all_time"]["value"])


async def raw_baseline(run: str) -> float:
    """Single persistent messages, each confirmed, to a quorum queue, consumed and acked."""
    connection = await aio_pika.connect_robust(AMQP_URL)
    publish_channel = await connection.channel(publisher_confirms=True)
    consume_channel = await connection.channel()
    await consume_channel.set_qos(prefetch_count=256)
    name = f"bench.{run}.raw"
    queue = await consume_channel.declare_queue(
        name, durable=True, arguments={"x-queue-type": "quorum"}
    )
    received = 0
    done = asyncio.Event()

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        nonlocal received
        await message.ack()
        received += 1
        if received == RAW_MESSAGES:
            done.set()

    tag = await queue.consume(on_message)
    body = b'{"views": [{"visitor": "0123456789abcdef", "path": "/"}]}'
    window = asyncio.Semaphore(CLIENTS)  # as many in flight as the beacon clients

    async def publish_one() -> None:
        async with window:
            await publish_channel.default_exchange.publish(
                aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                routing_key=name,
            )

    started = time.perf_counter()
    await asyncio.gather(*(publish_one() for _ in range(RAW_MESSAGES)))
    await done.wait()
    elapsed = time.perf_counter() - started
    await queue.cancel(tag)
    await consume_channel.queue_delete(name)
    await connection.close()
    return RAW_MESSAGES / elapsed


async def beacons(
    http: aiohttp.ClientSession, content: str, counter: str, pid: int
) -> tuple[float, int, list[float], float]:
    """Post beacons from concurrent clients; return rate, lost, freshness samples, peak RSS."""
    accepted_at: list[float] = []
    refused = 0
    next_index = 0
    finished = asyncio.Event()

    async def client() -> None:
        nonlocal next_index, refused
        while next_index < BEACONS:
            index = next_index
            next_index += 1
            agent = f"Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 bench/{index % 2000}"
            beacon = {"path": f"/bai-viet/{index % 50}", "article_id": f"a{index % 50}"}
            async with http.post(
                f"{content}/api/views", json=beacon, headers={"User-Agent": agent}
            ) as response:
                if response.status == 204:
                    accepted_at.append(time.perf_counter())
                else:
                    refused += 1

    freshness: list[float] = []
    peak = 0.0

    async def watch() -> None:
        nonlocal peak
        seen = 0
        while not finished.is_set() or seen < len(accepted_at):
            now_counted = await counted(http, counter)
            observed = time.perf_counter()
            peak = max(peak, rss_mb(pid))
            # Views are counted in about the order they were accepted: the k-th counted view
            # stands for the k-th accepted beacon.
            limit = min(now_counted, len(accepted_at))
            freshness.extend(observed - accepted_at[k] for k in range(seen, limit))
            seen = max(seen, limit)
            await asyncio.sleep(0.01)

    started = time.perf_counter()
    watcher = asyncio.create_task(watch())
    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    finished.set()
    await watcher
    elapsed = time.perf_counter() - started
    total = await counted(http, counter)
    lost = len(accepted_at) - total
    if refused:
        print(f"   ({refused} beacons refused with an error status)")
    return len(accepted_at) / elapsed, lost, freshness, peak


async def direct(bus: Bus, http: aiohttp.ClientSession, counter: str, before: int) -> float:
    """page.viewed messages of 100 views published straight to the bus, until counted."""
    now = datetime.now(UTC)
    envelopes = [
        new_envelope(
            PageViewed(
                views=[
                    PageView(
                        visitor=f"direct-visitor-{(m * 7 + i) % 3000:06d}",
                        path="/",
                        article_id=f"a{i % 50}",
                        viewed_at=now,
                    )
                    for i in range(PER_MESSAGE)
                ]
            ),
            "bench",
        )
        for m in range(DIRECT_MESSAGES)
    ]
    started = time.perf_counter()
    window = asyncio.Semaphore(16)

    async def send(envelope: Any) -> None:
        async with window:
            await bus.publish(envelope)

    await asyncio.gather(*(send(e) for e in envelopes))
    target = before + DIRECT_MESSAGES * PER_MESSAGE
    while await counted(http, counter) < target:
        await asyncio.sleep(0.005)
    return DIRECT_MESSAGES * PER_MESSAGE / (time.perf_counter() - started)


WRK_LUA = """
counter = 0
request = function()
  counter = counter + 1
  wrk.headers["Content-Type"] = "text/plain"
  wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux) Chrome/126.0 wrk/" .. (counter % 2000)
  return wrk.format("POST", "/api/views", nil,
    '{"path": "/bai-viet/1", "article_id": "w' .. (counter % 50) .. '"}')
end
"""


async def wrk_load(
    http: aiohttp.ClientSession, content: str, counter: str, pid: int, logs: Path
) -> tuple[float, int, int, list[float], float]:
    """wrk posts beacons as fast as content takes them, while a probe sends one beacon of its
    own article every 20 ms and watches that article's count: freshness under full load."""
    script = logs / "beacons.lua"
    script.write_text(WRK_LUA)
    before = await counted(http, counter)
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        "wrk", "-t2", f"-c{WRK_CONNECTIONS}", f"-d{WRK_SECONDS}s", "-s", str(script),
        content, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    probe_sent: list[float] = []
    freshness: list[float] = []
    peak = 0.0

    async def probe() -> None:
        while process.returncode is None:
            async with http.post(
                f"{content}/api/views",
                json={"path": "/probe", "article_id": "probe"},
                headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 probe"},
            ) as response:
                if response.status == 204:
                    probe_sent.append(time.perf_counter())
            await asyncio.sleep(0.02)

    async def watch() -> None:
        nonlocal peak
        seen = 0
        while process.returncode is None or seen < len(probe_sent):
            async with http.get(f"{counter}/api/stats/articles/probe") as response:
                views = int((await response.json())["views"])
            observed = time.perf_counter()
            peak = max(peak, rss_mb(pid))
            limit = min(views, len(probe_sent))
            freshness.extend(observed - probe_sent[k] for k in range(seen, limit))
            seen = max(seen, limit)
            await asyncio.sleep(0.01)

    probing = asyncio.gather(probe(), watch())
    output = (await process.communicate())[0].decode()
    await probing
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    accepted = total - (int(errors.group(1)) if errors else 0) + len(probe_sent)
    # Requests cut off when wrk stops may still be accepted: wait for the count to settle.
    last, stable = -1, 0
    while stable < 20:
        now_counted = await counted(http, counter) - before
        stable = stable + 1 if now_counted == last and now_counted >= accepted else 0
        last = now_counted
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - started - 20 * 0.05
    return last / elapsed, accepted, last, freshness, peak


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def main() -> None:
    run = os.urandom(4).hex()
    exchange = f"bench.{run}"
    logs = Path(os.environ.get("BENCH_LOGS", f"/tmp/bench-counter-{run}"))
    logs.mkdir(parents=True, exist_ok=True)
    counter_port, content_port = free_port(), free_port()
    counter = f"http://127.0.0.1:{counter_port}"
    content = f"http://127.0.0.1:{content_port}"
    common = {"EXCHANGE": exchange, "LOG_LEVEL": "WARNING"}
    processes = [
        start("counter", {**common, "HTTP_PORT": str(counter_port),
                          "MONGO_DB": f"bench_counter_{run}"}, logs / "counter.log"),
        start("content", {**common, "HTTP_PORT": str(content_port),
                          "MONGO_DB": f"bench_content_{run}", "EDITOR_TOKEN": TOKEN,
                          "PUBLIC_URL": content, "COUNTER_PUBLIC_URL": counter},
              logs / "content.log"),
    ]  # fmt: skip
    counter_pid = processes[0].pid
    try:
        connector = aiohttp.TCPConnector(limit=CLIENTS + 8)
        async with aiohttp.ClientSession(connector=connector) as http:
            await wait_ready(http, counter)
            await wait_ready(http, content)
            await asyncio.sleep(1.0)  # settle: idle means started and doing nothing
            idle = rss_mb(counter_pid)

            raw = await raw_baseline(run)
            rate, lost, freshness, peak = await beacons(http, content, counter, counter_pid)
            wrk_rate, wrk_accepted, wrk_counted, wrk_fresh, wrk_peak = await wrk_load(
                http, content, counter, counter_pid, logs
            )
            peak = max(peak, wrk_peak)
            bus = Bus(AMQP_URL, exchange)
            await bus.connect()
            direct_rate = await direct(bus, http, counter, await counted(http, counter))
            await bus.close()
            peak = max(peak, rss_mb(counter_pid))

        print(f"counter ingest benchmark (run {run}, {os.cpu_count()} CPUs, FerretDB+SQLite)")
        print(
            f"baseline  raw aio-pika, single persistent confirmed messages, {CLIENTS} in "
            f"flight, quorum queue, consumed+acked: {raw:,.0f} msg/s ({RAW_MESSAGES} msgs)"
        )
        print(
            f"(a) beacons → content → RabbitMQ → counter → FerretDB, counted: {rate:,.0f} "
            f"views/s ({BEACONS} beacons, {CLIENTS} clients), lost {lost}; "
            f"ratio to raw {rate / raw:.2f}x"
        )
        print(
            f"(a') page.viewed straight to the bus ({PER_MESSAGE} views/msg), counted: "
            f"{direct_rate:,.0f} views/s; ratio to raw {direct_rate / raw:.2f}x"
        )
        p50, p99 = percentile(freshness, 0.5) * 1000, percentile(freshness, 0.99) * 1000
        print(
            f"(b) freshness, beacon accepted → in /api/stats: p50 {p50:.0f} ms, "
            f"p99 {p99:.0f} ms, max {max(freshness) * 1000:.0f} ms, "
            f"mean {statistics.fmean(freshness) * 1000:.0f} ms ({len(freshness)} samples)"
        )
        print(
            f"(a2) same path, load from wrk ({WRK_CONNECTIONS} connections, {WRK_SECONDS} s): "
            f"{wrk_rate:,.0f} views/s counted; accepted {wrk_accepted}, counted {wrk_counted}, "
            f"lost {max(0, wrk_accepted - wrk_counted)}; ratio to raw {wrk_rate / raw:.2f}x"
        )
        p50, p99 = percentile(wrk_fresh, 0.5) * 1000, percentile(wrk_fresh, 0.99) * 1000
        print(
            f"(b2) freshness under the wrk load (probe beacon every 20 ms → its article count): "
            f"p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {max(wrk_fresh) * 1000:.0f} ms "
            f"({len(wrk_fresh)} samples)"
        )
        print(f"(c) counter RSS: idle {idle:.1f} MB, under load (peak) {peak:.1f} MB")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        amqp = await aio_pika.connect(AMQP_URL)
        channel = await amqp.channel()
        for name in (f"{exchange}.counter", f"{exchange}.counter.dead"):
            await channel.queue_delete(name)
        for name in (exchange, f"{exchange}.dead"):
            await channel.exchange_delete(name)
        await amqp.close()
        mongo = make_client(MONGO_URL)
        for name in (f"bench_counter_{run}", f"bench_content_{run}"):
            await mongo.drop_database(name)
        await mongo.close()


if __name__ == "__main__":
    asyncio.run(main())
