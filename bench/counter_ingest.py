"""Counter ingest benchmark: beacons → content → RabbitMQ → counter → MongoDB, until counted.

Prints, from one run on this machine:
baseline  raw aio-pika: single persistent confirmed messages published to a quorum queue and
    consumed+acked, 128 in flight, by as many Python processes as content gets (default 1).
    Measured before AND after (a), because the machine's load drifts; the higher of the two
    is the reference (the harder target).
(a) the end-to-end ingest rate: wrk (C, Lua script, 64 connections) posts beacons to
    `POST /api/views` for 10 s; a view is "in" when the counter's /api/stats counts it. Rate =
    views counted / time from the first beacon until every confirmed view is counted.
    "confirmed" is content's own count of views in broker-confirmed messages (its /metrics),
    so beacons that wrk cut off at the end, whose views the broker still took, are included:
    lost = confirmed − counted exactly (and 204 answers are printed too).
(b) freshness while (a) runs: a probe posts one beacon of its own article every 20 ms and
    watches that article's count (`/api/stats/articles/probe`): accepted (204) → counted.
(a') page.viewed messages of 100 views published straight to the bus, until counted.
(c) the counter's RSS, idle and under (a).
Processes: counter 1, content BENCH_PROCESSES (default 1, i.e. the CPU the raw baseline gets:
one Python process); with N > 1 the raw baseline also runs N processes, and wrk splits its
64 connections over the N content ports.
Run: .venv/bin/python bench/counter_ingest.py  (RabbitMQ and FerretDB must be up; wrk).
"""

# A local benchmark: it starts this project's services and talks to local servers.
# ruff: noqa: S603, S105, S108, ASYNC110, ASYNC240

import asyncio
import json
import os
import re
import shutil
import socket
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

from shared.contracts.events import PageView, PageViewed, new_envelope  # noqa: E402
from shared.platform.bus import Bus  # noqa: E402
from shared.platform.db import make_client  # noqa: E402

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
MONGO_URL = os.environ.get("MONGO_URL", "mongodb://127.0.0.1:27017/")
PROCESSES = int(os.environ.get("BENCH_PROCESSES", "1"))
RAW_MESSAGES = int(os.environ.get("BENCH_RAW", "10000"))
RAW_IN_FLIGHT = 128
WRK_CONNECTIONS = 64
WRK_SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
DIRECT_MESSAGES, PER_MESSAGE = 200, 100
TOKEN = "bench-editor-token-0123456789"
# Beacons batch by group commit alone (services/content/adapters/beacons.py), the default; set
# VIEW_BATCH_WINDOW_MS to compare a batching window. Passed on and printed with the figures.
VIEW_WINDOW_MS = os.environ.get("VIEW_BATCH_WINDOW_MS", "0")
ACCEPTED = re.compile(
    r'portal_http_request_seconds_count\{method="POST",route="/api/views",status="(\d+)"\}'
    r" ([\d.e+]+)"
)
CONFIRMED = re.compile(r"^content_views_per_message_sum ([\d.e+]+)", re.MULTILINE)


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


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


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


async def beacon_answers(http: aiohttp.ClientSession, contents: list[str]) -> dict[str, int]:
    """Beacon answers by status and views the broker confirmed ("confirmed"), summed over
    the content processes (their own metrics)."""
    answers: dict[str, int] = {}
    for content in contents:
        async with http.get(f"{content}/metrics") as response:
            text = await response.text()
        found = [*ACCEPTED.findall(text), *(("confirmed", v) for v in CONFIRMED.findall(text))]
        for key, value in found:
            answers[key] = answers.get(key, 0) + int(float(value))
    return answers


async def raw_worker(name: str, messages: int, in_flight: int) -> tuple[float, float]:
    """One process of the baseline: publish `messages` single persistent messages, each
    confirmed, to its own quorum queue, and consume+ack them; returns (start, end) times."""
    connection = await aio_pika.connect_robust(AMQP_URL)
    publish_channel = await connection.channel(publisher_confirms=True)
    consume_channel = await connection.channel()
    await consume_channel.set_qos(prefetch_count=256)
    queue = await consume_channel.declare_queue(
        name, durable=True, arguments={"x-queue-type": "quorum"}
    )
    received = 0
    done = asyncio.Event()

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        nonlocal received
        await message.ack()
        received += 1
        if received == messages:
            done.set()

    tag = await queue.consume(on_message)
    body = b'{"views": [{"visitor": "0123456789abcdef", "path": "/"}]}'
    window = asyncio.Semaphore(in_flight)

    async def publish_one() -> None:
        async with window:
            await publish_channel.default_exchange.publish(
                aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                routing_key=name,
            )

    started = time.time()  # wall clock: the processes' intervals are compared
    await asyncio.gather(*(publish_one() for _ in range(messages)))
    await done.wait()
    ended = time.time()
    await queue.cancel(tag)
    await consume_channel.queue_delete(name)
    await connection.close()
    return started, ended


async def raw_baseline(run: str) -> float:
    """PROCESSES baseline processes at once (each its share of messages and window)."""
    share, window = str(RAW_MESSAGES // PROCESSES), str(RAW_IN_FLIGHT // PROCESSES)
    command = [sys.executable, __file__, "raw-worker"]
    workers = [
        await asyncio.create_subprocess_exec(
            *command, f"bench.{run}.raw{n}", share, window, stdout=asyncio.subprocess.PIPE
        )
        for n in range(PROCESSES)
    ]
    outputs = await asyncio.gather(*(worker.communicate() for worker in workers))
    spans: list[tuple[float, float]] = [tuple(json.loads(out)) for out, _ in outputs]
    # All messages over the span from the first start to the last end (interpreter start-up
    # and connecting are outside it, as they are outside the end-to-end measure).
    elapsed = max(end for _, end in spans) - min(start for start, _ in spans)
    return (RAW_MESSAGES // PROCESSES) * PROCESSES / elapsed


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
    http: aiohttp.ClientSession, contents: list[str], counter: str, pid: int, logs: Path
) -> dict[str, Any]:
    """wrk posts beacons as fast as content takes them, while a probe sends one beacon of its
    own article every 20 ms and watches that article's count: freshness under full load."""
    script = logs / "beacons.lua"
    script.write_text(WRK_LUA)
    before_counted = await counted(http, counter)
    before_answers = await beacon_answers(http, contents)
    started = time.perf_counter()
    share = WRK_CONNECTIONS // len(contents)
    command = ["wrk", "-t1", f"-c{share}", f"-d{WRK_SECONDS}s", "-s", str(script)]
    processes = [
        await asyncio.create_subprocess_exec(
            *command, content, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        for content in contents
    ]
    probe_sent: list[float] = []
    freshness: list[float] = []
    peak = 0.0

    def running() -> bool:
        return any(process.returncode is None for process in processes)

    async def probe() -> None:
        while running():
            async with http.post(
                f"{contents[0]}/api/views",
                json={"path": "/probe", "article_id": "probe"},
                headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 probe"},
            ) as response:
                if response.status == 204:
                    probe_sent.append(time.perf_counter())
            await asyncio.sleep(0.02)

    async def watch() -> None:
        nonlocal peak
        seen = 0
        while running() or seen < len(probe_sent):
            async with http.get(f"{counter}/api/stats/articles/probe") as response:
                views = int((await response.json())["views"])
            observed = time.perf_counter()
            peak = max(peak, rss_mb(pid))
            limit = min(views, len(probe_sent))
            freshness.extend(observed - probe_sent[k] for k in range(seen, limit))
            seen = max(seen, limit)
            await asyncio.sleep(0.01)

    probing = asyncio.gather(probe(), watch())
    outputs = [(await process.communicate())[0].decode() for process in processes]
    await probing
    wrk_seconds = time.perf_counter() - started
    answers = await beacon_answers(http, contents)
    statuses = {s: n - before_answers.get(s, 0) for s, n in answers.items()}
    accepted = statuses.pop("204", 0)
    # Every view in a confirmed message must be counted, once: that includes the views of
    # beacons wrk cut off when it stopped (no 204 was seen, yet the broker had them).
    confirmed = statuses.pop("confirmed", 0)
    while (now_counted := await counted(http, counter) - before_counted) < confirmed:
        if time.perf_counter() - started > WRK_SECONDS + 60:
            break  # something was lost: report it rather than wait forever
        await asyncio.sleep(0.005)
    elapsed = time.perf_counter() - started
    await asyncio.sleep(1.5)  # /api/stats is at most 1 s old: a double count would show now
    final = await counted(http, counter) - before_counted
    sent = 0
    for output in outputs:
        found = re.search(r"(\d+) requests in", output)
        sent += int(found.group(1)) if found else 0
    return {
        "rate": now_counted / elapsed,
        "accepted": accepted,
        "confirmed": confirmed,
        "refused": {s: n for s, n in statuses.items() if n},
        "counted": final,
        "wrk_rate": sent / wrk_seconds,
        "drain": elapsed - wrk_seconds,
        "freshness": freshness,
        "peak": peak,
    }


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


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install -y wrk")
    run = os.urandom(4).hex()
    exchange = f"bench.{run}"
    logs = Path(os.environ.get("BENCH_LOGS", f"/tmp/bench-counter-{run}"))
    logs.mkdir(parents=True, exist_ok=True)
    counter_port = free_port()
    counter = f"http://127.0.0.1:{counter_port}"
    ports = [free_port() for _ in range(PROCESSES)]
    contents = [f"http://127.0.0.1:{port}" for port in ports]
    common = {"EXCHANGE": exchange, "LOG_LEVEL": "WARNING"}
    processes = [
        start("counter", {**common, "HTTP_PORT": str(counter_port),
                          "MONGO_DB": f"bench_counter_{run}"}, logs / "counter.log"),
        *(start("content", {**common, "HTTP_PORT": str(port),
                            "MONGO_DB": f"bench_content_{run}", "EDITOR_TOKEN": TOKEN,
                            "PUBLIC_URL": contents[0],
                            # wrk is one address: the per-client limits would refuse it.
                            "BEACON_BURST": "1000000000", "BEACONS_PER_MINUTE": "1000000000",
                            "VIEW_BATCH_WINDOW_MS": VIEW_WINDOW_MS},
                logs / f"content-{port}.log") for port in ports),
    ]  # fmt: skip
    counter_pid = processes[0].pid
    try:
        async with aiohttp.ClientSession() as http:
            await wait_ready(http, counter)
            for content in contents:
                await wait_ready(http, content)
            await asyncio.sleep(1.0)  # settle: idle means started and doing nothing
            idle = rss_mb(counter_pid)

            raw_before = await raw_baseline(run)
            cpu_before = [cpu_seconds(process.pid) for process in processes]
            load = await wrk_load(http, contents, counter, counter_pid, logs)
            cpu = [cpu_seconds(p.pid) - b for p, b in zip(processes, cpu_before, strict=True)]
            raw_after = await raw_baseline(run)
            bus = Bus(AMQP_URL, exchange)
            await bus.connect()
            direct_rate = await direct(bus, http, counter, await counted(http, counter))
            await bus.close()
            peak = max(load["peak"], rss_mb(counter_pid))

        raw = max(raw_before, raw_after)
        rate, confirmed, final = load["rate"], load["confirmed"], load["counted"]
        print(f"counter ingest benchmark (run {run}, {os.cpu_count()} CPUs shared by RabbitMQ, "
              f"FerretDB, wrk, content ×{PROCESSES}, counter ×1; "
              f"VIEW_BATCH_WINDOW_MS={VIEW_WINDOW_MS})")  # fmt: skip
        print(
            f"baseline  raw aio-pika, single persistent confirmed messages, {RAW_IN_FLIGHT} in "
            f"flight, quorum queue, consumed+acked, {PROCESSES} process(es): "
            f"{raw_before:,.0f} msg/s before (a), {raw_after:,.0f} after; reference {raw:,.0f}"
        )
        print(
            f"(a) beacons (wrk, {WRK_CONNECTIONS} connections, {WRK_SECONDS} s) → content "
            f"×{PROCESSES} → RabbitMQ → counter → FerretDB, until counted: {rate:,.0f} views/s; "
            f"ratio to raw {rate / raw:.2f}x"
        )
        print(
            f"    answered 204: {load['accepted']}, views confirmed by the broker: {confirmed}, "
            f"counted {final}: lost {max(0, confirmed - final)}, counted twice "
            f"{max(0, final - confirmed)}; refused {load['refused'] or 0}; "
            f"beacons answered {load['wrk_rate']:,.0f}/s, count caught up "
            f"{load['drain'] * 1000:.0f} ms after wrk stopped"
        )
        per_view = 1e6 / max(confirmed, 1)
        print(
            f"    CPU during (a) (load, then until counted): content {sum(cpu[1:]):.1f} s "
            f"({sum(cpu[1:]) * per_view:.0f} µs/view), counter {cpu[0]:.1f} s "
            f"({cpu[0] * per_view:.0f} µs/view)"
        )
        fresh = load["freshness"]
        p50, p99 = percentile(fresh, 0.5) * 1000, percentile(fresh, 0.99) * 1000
        print(
            f"(b) freshness during (a), probe beacon accepted → its article's count: "
            f"p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {max(fresh) * 1000:.0f} ms "
            f"({len(fresh)} samples)"
        )
        print(
            f"(a') page.viewed straight to the bus ({PER_MESSAGE} views/msg), counted: "
            f"{direct_rate:,.0f} views/s; ratio to raw {direct_rate / raw:.2f}x"
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
    if sys.argv[1:2] == ["raw-worker"]:
        name, messages, in_flight = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        print(json.dumps(asyncio.run(raw_worker(name, messages, in_flight))))
    else:
        asyncio.run(main())
