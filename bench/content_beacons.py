"""Page-view beacons under load (wrk, 64 connections): req/s, p99, and views per message.

Every beacon is answered only after the broker confirmed the message holding its view, so
throughput depends on batching: the script reports how many views each `page.viewed`
message carried. Baseline: a bare aiohttp handler that reads the same body and answers 204
without the broker. A private queue takes page.viewed so beacons are confirmed (with no
queue bound the broker returns them and the service answers 503).
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
from content_http import CONNECTIONS, ROOT, TOKEN, cleanup, ensure_wrk, free_port, wait_for

DURATION = os.environ.get("BENCH_DURATION", "8s")
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
        **os.environ,
        "MONGO_DB": db,
        "EXCHANGE": exchange,
        "EDITOR_TOKEN": TOKEN,
        "HTTP_PORT": str(content_port),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
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
        print(f"wrk, {CONNECTIONS} connections, {DURATION} each, {os.cpu_count()} CPUs")
        bare = wrk(binary, f"http://127.0.0.1:{bare_port}/bare", script.name)
        beacons = wrk(binary, f"{base}/api/views", script.name)
        messages = asyncio.run(count_and_delete(queue))
        queue = ""
        accepted = beacons[2] - beacons[3]
        print(f"{'endpoint':<30}{'req/s':>10}{'p99 ms':>9}{'× bare':>9}")
        print(f"{'bare aiohttp 204 (no broker)':<30}{bare[0]:>10.0f}{bare[1]:>9.2f}{1.0:>9.2f}")
        print(f"{'POST /api/views (confirmed)':<30}{beacons[0]:>10.0f}{beacons[1]:>9.2f}"
              f"{beacons[0] / bare[0]:>9.2f}")  # fmt: skip
        print(f"accepted beacons {accepted}, refused {beacons[3]}, page.viewed messages "
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
