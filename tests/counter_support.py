"""Counter test helpers: the service as real processes, batches of views, expected figures."""

import os
import random
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from services.counter.domain.breakdowns import BROWSERS as BROWSERS_TABLE
from services.counter.domain.breakdowns import DEVICES as DEVICES_TABLE
from services.counter.domain.breakdowns import PAGES, SOURCES, names_of
from services.counter.domain.visits import visit_starts
from shared.contracts.events import Device, Envelope, PageView, PageViewed, new_envelope
from tests.processes import ServiceProcess, answers_ok, free_port
from tests.support import AMQP_URL, MONGO_URL, eventually

ADMIN_TOKEN = "counter-admin-token-0123456789"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
TIMEOUT = timedelta(minutes=30)


def counter_env(exchange: str, db_name: str, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "AMQP_URL": AMQP_URL,
        "MONGO_URL": MONGO_URL,
        "EXCHANGE": exchange,
        "MONGO_DB": db_name,
        "ADMIN_TOKEN": ADMIN_TOKEN,
        "STATS_MAX_AGE_SECONDS": "0",  # every read sees the shared documents as they are
        "LEASE_SECONDS": "1",  # a killed folder is replaced within two seconds
        "LOG_LEVEL": "INFO",
        **extra,
    }


class CounterProcess(ServiceProcess):
    @classmethod
    def start(cls, env: dict[str, str], log: Path) -> "CounterProcess":
        return cls.launch("counter", {**env, "HTTP_PORT": str(free_port())}, log, mode="ab")


async def wait_ready(http: aiohttp.ClientSession, service: CounterProcess) -> None:
    async def ready() -> bool:
        assert service.process.poll() is None, service.log.read_text()[-3000:]
        return await answers_ok(http, f"{service.url}/readyz")

    await eventually(ready, timeout=30, what=f"the counter at {service.url}")


@asynccontextmanager
async def running_counter(
    http: aiohttp.ClientSession, env: dict[str, str], log: Path
) -> AsyncIterator[CounterProcess]:
    """A counter process, ready to answer; stopped on the way out (if it still runs)."""
    service = CounterProcess.start(env, log)
    try:
        await wait_ready(http, service)
        yield service
    finally:
        service.stop()


async def get_json(http: aiohttp.ClientSession, url: str, **kwargs: Any) -> Any:
    async with http.get(url, **kwargs) as response:
        assert response.status == 200, await response.text()
        return await response.json()


def make_batches(
    messages: int, per_message: int, visitors: int, seed: int, now: datetime | None = None
) -> list[Envelope[PageViewed]]:
    """Messages of views over the last three hours, with bots and pages that are not articles.

    Views are in random time order within and across messages, so visits are exact only if
    the counter counts them independently of arrival order.
    """
    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    batches = []
    for _ in range(messages):
        views = []
        for _ in range(per_message):
            bot = rng.random() < 0.05
            article = None if rng.random() < 0.1 else f"article-{rng.randrange(30)}"
            views.append(
                PageView(
                    visitor=f"visitor-{seed}-{rng.randrange(visitors):08d}",
                    path=f"/tin/{article}" if article else rng.choice(["/", "/chuyen-muc/a"]),
                    article_id=article,
                    is_bot=bot,
                    agent_family=rng.choice(BOTS if bot else BROWSERS),
                    referrer_host=rng.choice(REFERRERS),
                    device=rng.choice(DEVICES),
                    viewed_at=now - timedelta(seconds=rng.uniform(0, 3 * 3600)),
                )
            )
        batches.append(new_envelope(PageViewed(views=views), "test"))
    return batches


BOTS = ["Googlebot", "bingbot"]
BROWSERS = ["Chrome", "Safari", "CocCoc", None]
REFERRERS = [None, "www.google.com", "m.facebook.com", "zalo.me", "baomoi.com", "google.de"]
DEVICES: list[Device | None] = ["phone", "tablet", "desktop", None]


@dataclass(frozen=True)
class Expected:
    views: int
    visits: int
    visitors: int
    bot_views: int
    articles: Counter[str]
    days: dict[date, tuple[int, int, int]]
    tables: dict[str, Counter[str]]  # the dashboard's, over all the days


def expected_figures(batches: list[Envelope[PageViewed]]) -> Expected:
    """The figures by the reference definitions, computed from every view at once."""
    humans = [v for batch in batches for v in batch.data.views if not v.is_bot]
    by_day: dict[date, list[PageView]] = {}
    for view in humans:
        by_day.setdefault(view.viewed_at.astimezone(ZONE).date(), []).append(view)
    days = {
        day: (
            len(views),
            len(visit_starts([(v.visitor, v.viewed_at) for v in views], TIMEOUT)),
            len({v.visitor for v in views}),
        )
        for day, views in by_day.items()
    }
    return Expected(
        views=len(humans),
        visits=sum(visits for _, visits, _ in days.values()),
        visitors=sum(visitors for _, _, visitors in days.values()),
        bot_views=sum(1 for b in batches for v in b.data.views if v.is_bot),
        articles=Counter(v.article_id for v in humans if v.article_id),
        days=days,
        tables=expected_tables(batches),
    )


def expected_tables(batches: list[Envelope[PageViewed]]) -> dict[str, Counter[str]]:
    """Each table of the dashboard, by the reference definitions (no cap is reached here)."""
    views = [v for batch in batches for v in batch.data.views]
    humans = [v for v in views if not v.is_bot]
    names = [names_of(v.path, v.referrer_host, v.agent_family, v.device) for v in humans]
    return {
        "articles": Counter(v.article_id for v in humans if v.article_id),
        "pages": Counter(n[PAGES] for n in names),
        "sources": Counter(n[SOURCES] for n in names),
        "browsers": Counter(n[BROWSERS_TABLE] for n in names),
        "devices": Counter(n[DEVICES_TABLE] for n in names),
        "bots": Counter(v.agent_family or "unknown" for v in views if v.is_bot),
    }


async def assert_exact(
    http: aiohttp.ClientSession, url: str, expected: Expected, timeout: float = 30
) -> dict[str, Any]:
    """Wait until the figures match, then check that every breakdown reconciles."""

    async def figures() -> Any:
        stats = await get_json(http, f"{url}/api/stats")
        measures = stats["measures"]
        current = (
            measures["views"]["all_time"]["value"],
            measures["visits"]["all_time"]["value"],
            measures["visitors"]["all_time"]["value"],
            measures["bot_views"]["all_time"]["value"],
        )
        wanted = (expected.views, expected.visits, expected.visitors, expected.bot_views)
        assert current[0] <= expected.views, f"more views than sent: {current} > {wanted}"
        return stats if current == wanted else None

    stats: dict[str, Any] = await eventually(figures, timeout=timeout, what="exact totals")
    first, last = min(expected.days), max(expected.days)
    daily = await get_json(
        http, f"{url}/api/stats/daily", params={"from": str(first), "to": str(last)}
    )
    assert daily["totals"]["views"] == expected.views
    assert daily["totals"]["visits"] == expected.visits
    assert daily["totals"]["visitors"] == expected.visitors
    for row in daily["days"]:
        wanted = expected.days.get(date.fromisoformat(row["date"]), (0, 0, 0))
        assert (row["views"], row["visits"], row["visitors"]) == wanted

    async def articles_reconcile() -> bool:
        for article, views in expected.articles.items():
            found = await get_json(http, f"{url}/api/stats/articles/{article}")
            if found["views"] != views or found["periods"]["all_time"]["value"] != views:
                return False
        return True

    other = stats["measures"]["other_views"]["all_time"]["value"]
    assert sum(expected.articles.values()) + other == expected.views

    await eventually(articles_reconcile, timeout=10, what="per-article views to reconcile")
    await assert_dashboard(http, url, expected, first, last)
    return stats


async def assert_dashboard(
    http: aiohttp.ClientSession, url: str, expected: Expected, first: date, last: date
) -> None:
    """The dashboard of those days: every table and the daily series, exactly."""
    params = {"range": "custom", "from": str(first), "to": str(last)}
    board = await get_json(http, f"{url}/api/stats/dashboard", params=params, headers=ADMIN)
    for table, counts in expected.tables.items():
        found = {row["name"]: row["views"]["value"] for row in board["tables"][table]}
        assert found == dict(counts), table
    by_day: dict[date, tuple[int, int, int]] = {}
    for point in board["series"]:  # by day; or by hour, for one day
        day = date.fromisoformat(point["day"])
        views, visits, visitors = by_day.get(day, (0, 0, 0))
        by_day[day] = (views + point["views"], visits + point["visits"],
                       visitors + point["visitors"])  # fmt: skip
    assert {day: by_day[day] for day in expected.days} == expected.days
    figures = board["figures"]
    assert [figures[f]["value"] for f in ("views", "visits", "visitors")] == [
        expected.views, expected.visits, expected.visitors
    ]  # fmt: skip
