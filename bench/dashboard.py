"""The statistics dashboard's API with a year of data, as `make up` runs it.

A year (366 local days ending today) of page views goes through the real path: page.viewed
messages on the stack's exchange, the counter's ingest and fold, into its documents. Each
day has `BENCH_DASHBOARD_VIEWS` views (2,000 by default) from 1,000 sources, of articles
drawn from 10,000, on phones, tablets and desktops. Then, through the gateway, one client
asks again and again for the 30-day and the 12-month dashboard.

Prints p50 and p99 of each (goals: 30 days ≤ 100 ms, 12 months ≤ 300 ms) over the requests
after the first, and the first apart (it reads the days and sums the past months' roll-ups
that no request read yet), beside the same client's p99 for `GET /api/stats` (the widget's
figures, served from memory) in the same run, and how long the year took to fold. No view
arrives while it measures: under live traffic today's version changes at every fold, and a
request sums its days again (each read once per version).
Run: flock /tmp/bench.lock .venv/bin/python bench/dashboard.py
"""

# A local benchmark: it starts this project's services and talks to local servers.
# ruff: noqa: S311

import asyncio
import os
import random
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import Result, limit_goal, publish  # noqa: E402
from stack import AMQP_URL, Stack  # noqa: E402

from shared.contracts.events import PageView, PageViewed, new_envelope  # noqa: E402
from shared.platform.bus import Bus  # noqa: E402

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
DAYS = 366
VIEWS_PER_DAY = int(os.environ.get("BENCH_DASHBOARD_VIEWS", "2000"))
SOURCES, ARTICLES = 1000, 10_000
REQUESTS = int(os.environ.get("BENCH_DASHBOARD_REQUESTS", "200"))
DEVICES = ("phone", "tablet", "desktop")
BROWSERS = ("Chrome", "Safari", "CocCoc", "Firefox", "Edge")


def day_of_views(back: int, rng: random.Random) -> list[PageView]:
    """One local day's views: every source at least once, articles from the 10,000."""
    now = datetime.now(UTC)
    day = now.astimezone(ZONE).date() - timedelta(days=back)
    start = datetime(day.year, day.month, day.day, tzinfo=ZONE).astimezone(UTC)
    span = (now - start).total_seconds() if back == 0 else 86_399
    views = []
    for n in range(VIEWS_PER_DAY):
        article = f"article-{rng.randrange(ARTICLES):05d}"
        views.append(
            PageView(
                visitor=f"bench-visitor-{back:03d}-{rng.randrange(VIEWS_PER_DAY // 2):06d}",
                path=f"/articles/{article}",
                article_id=article,
                referrer_host=f"s{n % SOURCES:04d}.example.vn",
                agent_family=rng.choice(BROWSERS),
                device=rng.choice(DEVICES),
                viewed_at=start + timedelta(seconds=rng.uniform(0, span)),
            )
        )
    return views


async def send_year(exchange: str) -> int:
    rng = random.Random(2026)
    bus = Bus(AMQP_URL, exchange)
    await bus.connect()
    sent = 0
    for back in range(DAYS - 1, -1, -1):  # oldest first, as a year would have come
        views = day_of_views(back, rng)
        for first in range(0, len(views), 1000):
            await bus.publish(new_envelope(PageViewed(views=views[first : first + 1000]), "bench"))
        sent += len(views)
    await bus.close()
    return sent


async def timed(http: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> list[float]:
    """The first request (it reads what no request read yet), then `REQUESTS` more, sorted."""
    timings = []
    for _ in range(REQUESTS + 1):
        started = time.perf_counter()
        async with http.get(url, headers=headers) as answer:
            await answer.read()
            assert answer.status == 200, answer.status
        timings.append((time.perf_counter() - started) * 1000)
    return [timings[0], *sorted(timings[1:])]


def percentile(sorted_ms: list[float], share: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, int(len(sorted_ms) * share))]


async def measure(stack: Stack) -> list[Result]:
    started = time.monotonic()
    sent = await send_year(stack.exchange)
    admin = {"Authorization": f"Bearer {stack.admin_token}"}
    async with aiohttp.ClientSession() as http:
        while True:  # every view folded: the all-time figures say so
            async with http.get(stack.url("/api/stats")) as answer:
                stats = await answer.json()
            if stats["measures"]["views"]["all_time"]["value"] >= sent:
                break
            await asyncio.sleep(1)
        folded_s = time.monotonic() - started
        print(f"{sent:,} views over {DAYS} days sent and folded in {folded_s:.0f} s", flush=True)
        widget = await timed(http, stack.url("/api/stats"), {})
        thirty = await timed(http, stack.url("/api/stats/dashboard?range=30d"), admin)
        year = await timed(http, stack.url("/api/stats/dashboard?range=12m"), admin)
    base = percentile(widget[1:], 0.99)
    note = (
        "p50 {:.0f} ms; first request {:.0f} ms; " + f"{sent:,} views, folded in {folded_s:.0f} s"
    )
    results = []
    for name, timings, goal in (("30 days", thirty, 100.0), ("12 months", year, 300.0)):
        p99 = percentile(timings[1:], 0.99)
        detail = note.format(percentile(timings[1:], 0.5), timings[0])
        result = limit_goal(f"dashboard API, {name}, p99", p99, "ms", goal, detail)
        results.append(replace(result, baseline=base, baseline_name="GET /api/stats p99"))
    return results


def main() -> None:
    with Stack.start() as stack:
        publish(asyncio.run(measure(stack)))


if __name__ == "__main__":
    main()
