"""The counter's API over real processes: baseline import, the live stream, bad parameters."""

import asyncio
import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from shared.contracts.events import PageView, PageViewed, new_envelope
from shared.platform.bus import Bus
from tests.counter_support import (
    ADMIN_TOKEN,
    ZONE,
    CounterProcess,
    counter_env,
    expected_figures,
    get_json,
    make_batches,
    running_counter,
)
from tests.processes import ROOT
from tests.support import eventually

pytestmark = pytest.mark.integration

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
STREAM_DEADLINE_SECONDS = 10.0


@pytest.fixture
async def counter(
    bus: Bus, exchange: str, db_name: str, tmp_path: Path, http: aiohttp.ClientSession
) -> AsyncIterator[CounterProcess]:
    env = counter_env(exchange, db_name)
    async with running_counter(http, env, tmp_path / "counter.log") as service:
        yield service
    log = service.log.read_text()
    assert "http.unhandled" not in log and "fold.failed" not in log, log[-3000:]


async def test_baseline_import_then_views_total_is_baseline_plus_visits(
    counter: CounterProcess, bus: Bus, http: aiohttp.ClientSession, exchange: str, db_name: str
) -> None:
    url = f"{counter.url}/api/stats/baseline"
    async with http.put(url, json={"visits": 1628979}) as response:
        assert response.status == 401
    for _ in range(2):  # idempotent: the same value twice is the same state
        async with http.put(url, json={"visits": 1628979}, headers=ADMIN) as response:
            assert response.status == 200
            assert (await response.json())["visits"] == {"value": 1628979, "formatted": "1.628.979"}
    stats = await get_json(http, f"{counter.url}/api/stats")
    assert stats["widget"]["total"]["formatted"] == "1.628.979"

    batches = make_batches(5, 100, visitors=40, seed=5)
    for batch in batches:
        await bus.publish(batch)
    visits = expected_figures(batches).visits

    async def total() -> Any:
        current = await get_json(http, f"{counter.url}/api/stats")
        return current if current["measures"]["visits"]["all_time"]["value"] == visits else None

    stats = await eventually(total, what="the visits counted")
    assert stats["measures"]["baseline"]["value"] == 1628979
    assert stats["measures"]["total"]["value"] == 1628979 + visits
    assert stats["widget"]["total"] == {
        "label": "Tổng",
        "measure": "total",
        "value": 1628979 + visits,
        "formatted": f"{1628979 + visits:,}".replace(",", "."),
    }
    assert stats["widget"]["today"]["measure"] == "visits.today"

    # The command-line import writes the same document.
    env = {**counter_env(exchange, db_name), "HTTP_PORT": "8082"}
    done = subprocess.run(
        [sys.executable, "-m", "services.counter", "baseline", "--visits", "2000000"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "2.000.000" in done.stdout
    stats = await get_json(http, f"{counter.url}/api/stats")
    assert stats["measures"]["total"]["value"] == 2000000 + visits


async def test_the_stream_pushes_the_new_numbers_after_a_view(
    counter: CounterProcess, bus: Bus, http: aiohttp.ClientSession
) -> None:
    # The one-second freshness is measured by bench/counter_streams.py; a test on a
    # loaded 2-CPU machine asserts that the change is pushed, not how fast.
    async with http.get(f"{counter.url}/api/stats/stream") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        events = _events(response.content)
        initial = await asyncio.wait_for(anext(events), timeout=10)
        assert initial["widget"]["today"]["label"] == "Hôm nay"
        assert initial["today"] == initial["online"] == 0
        view = PageView(visitor="stream-visitor-0001", path="/", viewed_at=datetime.now(UTC))
        await bus.publish(new_envelope(PageViewed(views=[view]), "test"))
        sent = time.monotonic()
        current = initial
        while not (current["today"] == 1 and current["online"] == 1):
            current = await asyncio.wait_for(anext(events), timeout=STREAM_DEADLINE_SECONDS)
        print(f"the stream showed the view {time.monotonic() - sent:.3f} s after it was sent")
        assert current["formatted"] == {"online": "1", "today": "1", "total": "1"}


async def _events(content: aiohttp.StreamReader) -> AsyncIterator[dict[str, Any]]:
    name = None
    async for raw in content:
        line = raw.decode().rstrip("\r\n")
        if line.startswith("event:"):
            name = line.partition(":")[2].strip()
        elif line.startswith("data:") and name == "stats":
            yield json.loads(line.partition(":")[2])


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/stats/daily?from=2026-02-30&to=2026-03-01", 422),
        ("/api/stats/daily?from=2026-03-02&to=2026-03-01", 422),
        ("/api/stats/daily?from=2020-01-01&to=2026-03-01", 422),
        ("/api/stats/daily?from=2026-03-01", 422),
        ("/api/stats/daily?from[$gt]=x&to=2026-03-01", 400),
        ("/api/stats/top?limit=0", 422),
        ("/api/stats/top?limit=abc", 422),
        ("/api/stats/top?limit=1&limit=2", 400),
        ("/api/stats/bots", 401),
    ],
)
async def test_bad_parameters_get_a_json_error(
    counter: CounterProcess, http: aiohttp.ClientSession, path: str, status: int
) -> None:
    async with http.get(f"{counter.url}{path}") as response:
        assert response.status == status
        body = await response.json()
        assert body["error"]["code"] and body["error"]["message"]


async def test_top_articles_and_bots_by_family(
    counter: CounterProcess, bus: Bus, http: aiohttp.ClientSession
) -> None:
    batches = make_batches(4, 100, visitors=30, seed=7)
    for batch in batches:
        await bus.publish(batch)
    expected = expected_figures(batches)
    views = [view for batch in batches for view in batch.data.views]

    async def top() -> Any:
        found = await get_json(http, f"{counter.url}/api/stats/top", params={"limit": "5"})
        # The views span three hours, so they may straddle local midnight: "top" is today's.
        today = Counter(
            view.article_id
            for view in views
            if view.article_id
            and not view.is_bot
            and view.viewed_at.astimezone(ZONE).date().isoformat() == found["day"]
        )
        best = [n for _, n in today.most_common(5)]
        return found if [item["views"] for item in found["items"]] == best else None

    await eventually(top, what="the top articles")

    async def bots() -> Any:
        found = await get_json(http, f"{counter.url}/api/stats/bots", headers=ADMIN)
        return found if sum(found["all_time"].values()) == expected.bot_views else None

    excluded = await eventually(bots, what="the bots by family")
    families = Counter(view.agent_family for view in views if view.is_bot)
    assert excluded["all_time"] == dict(families)
