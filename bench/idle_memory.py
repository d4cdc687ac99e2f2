"""Each service's resident memory when idle, as `make up` runs it.

The stack starts (bench/stack.py), serves one request of each kind so every lazy part is
loaded (templates, the read cache, the OpenAPI documents), then idles; RSS is read after
`BENCH_IDLE_SECONDS`. Baseline: a bare Python process that imports what every service
imports (aiohttp, aio-pika, PyMongo, pydantic, structlog, prometheus_client) and idles.

Run: `.venv/bin/python bench/idle_memory.py`.
"""

# A local benchmark: local processes and URLs.
# ruff: noqa: S603, S310

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import Result, publish
from stack import Stack, rss_mb

IDLE_SECONDS = float(os.environ.get("BENCH_IDLE_SECONDS", "20"))
GOAL_MB = 80.0
BARE = (
    "import time, aiohttp, aio_pika, pymongo, pydantic, structlog, prometheus_client\n"
    "print('ready', flush=True)\n"
    "time.sleep(3600)\n"
)
WARM_UP = (
    "/",
    "/api/articles",
    "/api/stats",
    "/docs/content/openapi.json",
    "/docs/counter/openapi.json",
    "/docs/notifier/openapi.json",
    "/dang-ky-nhan-tin",
)


def main() -> None:
    bare = subprocess.Popen([sys.executable, "-c", BARE], stdout=subprocess.PIPE, text=True)
    try:
        assert bare.stdout is not None and bare.stdout.readline().strip() == "ready"
        with Stack.start() as stack:
            article = stack.call(
                "POST", "/api/articles", {"title": "Bài thử", "section": "dan-van"}
            )
            stack.call("POST", f"/api/articles/{article['id']}/publish")
            for path in WARM_UP:
                with urllib.request.urlopen(stack.url(path), timeout=10) as response:
                    response.read()
            time.sleep(IDLE_SECONDS)  # idling is what is measured
            baseline = rss_mb(bare.pid)
            results = [
                Result(
                    f"{name}: RSS idle",
                    rss_mb(stack.pid(name)),
                    "MB",
                    baseline,
                    "bare Python with the same imports",
                    f"≤ {GOAL_MB:g} MB",
                    rss_mb(stack.pid(name)) <= GOAL_MB,
                )
                for name in ("content", "counter", "notifier")
            ]
    finally:
        bare.terminate()
        bare.wait(timeout=10)
    publish(results)


if __name__ == "__main__":
    main()
