"""Page-view beacons under load (wrk, 64 connections): req/s, p99, server CPU per request,
and views per message.

Every beacon is answered only after the broker confirmed the message holding its view, so
throughput depends on batching: the script reports how many views each `page.viewed`
message carried. Baseline: a bare aiohttp handler (one process, like content) that reads
the same body and answers 204 without the broker. The two are measured in interleaved
rounds (best round each), because the machine's load drifts; the server's CPU time per
request (from /proc) is the figure least disturbed by that. A private queue takes
page.viewed so beacons are confirmed (with no queue bound the broker returns them and the
service answers 503).
Run: `.venv/bin/python bench/content_beacons.py`.
"""

# A local benchmark: it runs local tools (wrk, python) against local URLs.
# ruff: noqa: S603

import asyncio
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import uuid
from pathlib import Path

import aio_pika
from content_http import (
    CONNECTIONS,
    ROOT,
    cleanup,
    content_env,
    ensure_wrk,
    free_port,
    wait_for,
)

DURATION = os.environ.get("BENCH_DURATION", "5s")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
BODY = '{"path": "/articles/tin-moi", "article_id": "abc", "referrer": "https://www.google.com/"}'

BARE_APP = textwrap.dedent(
    """
    import sys
    from aiohttp import web
    async def handler(request):
        await request.read()
        return web.Response(status=204)
    app = web.Application()
    app.router.add_post("/bare", handler)
    app.router.add_get("/", handler)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
    """
)

LUA = textwrap.dedent(
    f"""
    wrk.method = "POST"
    wrk.body = '{BODY}'
    wrk.headers["Content-Type"] = "text/plain"
    wrk.headers["User-Agent"] = "Mozilla/5.0 (Windows NT 10.0) Chrome/120.0 Safari/537.36"
    """
)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def measured(binary: str, url: str, script: str, pid: int) -> tuple[float, float, int, int, float]:
    """wrk's (req/s, p99 ms, requests, non-2xx) and the server's CPU µs per request."""
    before = cpu_seconds(pid)
    rate, p99, total, errors = wrk(binary, url, script)
    return rate, p99, total, errors, (cpu_seconds(pid) - before) / max(total, 1) * 1e6


def wrk(binary: str, url: str, script: str) -> tuple[float, float, int, int]:
    """(req/s, p99 ms, requests, non-2xx answers)."""
    args = [binary, "-t1", f"-c{CONNECTIONS}", f"-d{DURATION}", "--latency", "-s", script, url]
    output = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output)
    assert p99 is not None, output
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return rate, float(p99.group(1)) * scale, total, int(errors.group(1)) if errors else 0


async def bind_queue(exchange: str) -> str:
    """A durable queue taking page.viewed, as the counter's would; returns its name."""
    name = f"{exchange}.bench"
    connection = await aio_pika.connect(AMQP_URL)
    channel = await connection.channel()
    target = await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue(name, durable=True)
    await queue.bind(target, routing_key="page.viewed")
    await connection.close()
    return name


async def count_and_delete(name: str) -> int:
    connection = await aio_pika.connect(AMQP_URL)
    channel = await connection.channel()
    queue = await channel.declare_queue(name, passive=True)
    count = queue.declaration_result.message_count or 0
    await channel.queue_delete(name)
    await connection.close()
    return count


def main() -> None:
    binary = ensure_wrk()
    run = uuid.uuid4().hex[:8]
    db, exchange = f"bench_beacons_{run}", f"bench.beacons.{run}"
    content_port, bare_port = free_port(), free_port()
    env = {
        **content_env(db, exchange, content_port),
        # Group commit alone (beacons.py), the default; set it to compare a batching window.
        "VIEW_BATCH_WINDOW_MS": os.environ.get("VIEW_BATCH_WINDOW_MS", "0"),
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "services.content"], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [sys.executable, "-c", BARE_APP, str(bare_port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ),
    ]  # fmt: skip
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA)
    queue = ""
    try:
        base = f"http://127.0.0.1:{content_port}"
        wait_for(f"{base}/readyz")
        wait_for(f"http://127.0.0.1:{bare_port}/")
        queue = asyncio.run(bind_queue(exchange))
        print(f"wrk -t1, {CONNECTIONS} connections, {ROUNDS} interleaved rounds of {DURATION}, "
              f"{os.cpu_count()} CPUs; each server is one process; "
              f"VIEW_BATCH_WINDOW_MS={env['VIEW_BATCH_WINDOW_MS']}")  # fmt: skip
        bare_rounds, beacon_rounds = [], []
        for _ in range(ROUNDS):
            bare_url = f"http://127.0.0.1:{bare_port}/bare"
            bare_rounds.append(measured(binary, bare_url, script.name, processes[1].pid))
            beacon_rounds.append(
                measured(binary, f"{base}/api/views", script.name, processes[0].pid)
            )
        messages = asyncio.run(count_and_delete(queue))
        queue = ""
        bare, beacons = max(bare_rounds), max(beacon_rounds)
        accepted = sum(r[2] - r[3] for r in beacon_rounds)
        refused = sum(r[3] for r in beacon_rounds)
        print(f"{'endpoint':<30}{'req/s':>10}{'p99 ms':>9}{'× bare':>9}{'CPU µs/req':>12}")
        print(f"{'bare aiohttp 204 (no broker)':<30}{bare[0]:>10.0f}{bare[1]:>9.2f}{1.0:>9.2f}"
              f"{bare[4]:>12.0f}")  # fmt: skip
        print(f"{'POST /api/views (confirmed)':<30}{beacons[0]:>10.0f}{beacons[1]:>9.2f}"
              f"{beacons[0] / bare[0]:>9.2f}{beacons[4]:>12.0f}")  # fmt: skip
        print("rounds req/s: bare " + ", ".join(f"{r[0]:.0f}" for r in bare_rounds)
              + "; beacons " + ", ".join(f"{r[0]:.0f}" for r in beacon_rounds))  # fmt: skip
        print(f"accepted beacons {accepted}, refused {refused}, page.viewed messages "
              f"{messages}: {accepted / max(messages, 1):.1f} views per message")  # fmt: skip
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
        Path(script.name).unlink(missing_ok=True)
        if queue:
            asyncio.run(count_and_delete(queue))
        asyncio.run(cleanup(db, exchange))


if __name__ == "__main__":
    main()
