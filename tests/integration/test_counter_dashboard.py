"""The dashboard's API over a real counter: periods, their edges, the cap, CSV and access."""

import csv
import io
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import aiohttp
import pytest

from services.counter.domain import layout
from services.counter.domain.breakdowns import BROWSERS, OTHER
from shared.contracts.events import PageView, PageViewed, new_envelope
from shared.platform.bus import Bus
from shared.platform.db import make_client
from shared.platform.storage.packed import unpack_counts
from tests.counter_support import (
    ADMIN,
    ZONE,
    CounterProcess,
    counter_env,
    get_json,
    running_counter,
)
from tests.support import MONGO_URL, eventually

pytestmark = pytest.mark.integration

DASHBOARD = "/api/stats/dashboard"


@pytest.fixture
async def counter(
    bus: Bus, exchange: str, db_name: str, tmp_path: Path, http: aiohttp.ClientSession
) -> AsyncIterator[CounterProcess]:
    async with running_counter(http, counter_env(exchange, db_name), tmp_path / "c.log") as c:
        yield c


def local(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), ZONE).astimezone(UTC)


def view(visitor: str, at: datetime, **fields: object) -> PageView:
    values: dict[str, object] = {"path": "/", "agent_family": "Chrome", "device": "phone"}
    return PageView(visitor=f"visitor-{visitor:0>10}", viewed_at=at, **(values | fields))


async def send(bus: Bus, views: list[PageView]) -> None:
    for start in range(0, len(views), 500):
        await bus.publish(new_envelope(PageViewed(views=views[start : start + 500]), "test"))


async def board(http: aiohttp.ClientSession, url: str, **params: str) -> dict[str, object]:
    result: dict[str, object] = await get_json(
        http, f"{url}{DASHBOARD}", params=params, headers=ADMIN
    )
    return result


async def views_folded(http: aiohttp.ClientSession, url: str, first: date, last: date) -> int:
    found = await board(http, url, range="custom", **{"from": str(first), "to": str(last)})
    figures = found["figures"]
    assert isinstance(figures, dict)
    return int(figures["views"]["value"])


async def test_a_range_across_local_midnight_splits_the_days_and_the_hours(
    counter: CounterProcess, bus: Bus, http: aiohttp.ClientSession
) -> None:
    day = datetime.now(ZONE).date() - timedelta(days=3)
    # 23:59:30 and 00:00:30 local: one visitor, one minute apart, two local days.
    before, after = local(day, 23, 59, 30), local(day + timedelta(days=1), 0, 0, 30)
    await send(bus, [view("a", before, referrer_host="www.google.com.vn"), view("a", after)])

    async def both_folded() -> bool:
        return await views_folded(http, counter.url, day, day + timedelta(days=1)) == 2

    await eventually(both_folded, what="both views")
    period = {"range": "custom", "from": str(day), "to": str(day + timedelta(days=1))}
    found = await board(http, counter.url, **period)
    series = found["series"]
    assert isinstance(series, list)
    assert [(p["day"], p["views"], p["visits"], p["visitors"]) for p in series] == [
        (str(day), 1, 1, 1),
        (str(day + timedelta(days=1)), 1, 1, 1),  # a new day: a new visitor and visit
    ]
    hours = await board(http, counter.url, range="custom", **{"from": str(day), "to": str(day)})
    assert hours["granularity"] == "hour"
    by_hour = {p["hour"]: p["views"] for p in hours["series"]}  # type: ignore[attr-defined]
    assert by_hour[23] == 1 and sum(by_hour.values()) == 1
    tables = found["tables"]
    assert isinstance(tables, dict)
    assert {r["name"]: r["views"]["value"] for r in tables["sources"]} == {
        "Google": 1,
        "(trực tiếp)": 1,
    }


async def test_an_empty_range_and_a_year_and_a_day_and_refused_ranges(
    counter: CounterProcess, http: aiohttp.ClientSession
) -> None:
    period = {"range": "custom", "from": "2001-01-01", "to": "2001-01-31"}
    empty = await board(http, counter.url, **period)
    assert empty["figures"] == {
        name: {"value": 0, "formatted": "0"} for name in ("visitors", "visits", "views")
    }
    assert empty["change"] == {"visitors": None, "visits": None, "views": None}
    assert all(rows == [] for rows in empty["tables"].values())  # type: ignore[attr-defined]
    longest = await board(
        http, counter.url, range="custom", **{"from": "2024-01-01", "to": "2024-12-31"}
    )
    assert len(longest["series"]) == 366  # type: ignore[arg-type]
    assert longest["previous_start"] == "2022-12-31"  # the 366 days before
    refused = [
        {"range": "custom", "from": "2024-01-01", "to": "2025-01-01"},  # 367 days
        {"range": "custom", "from": "2024-02-02", "to": "2024-02-01"},
        {"range": "custom", "from": "2024-02-30", "to": "2024-03-01"},
        {"range": "custom"},
        {"range": "7d", "from": "2024-01-01"},
        {"range": "week"},
        {"range": "custom", "from": "1999-12-31", "to": "2000-01-01"},
    ]
    for params in refused:
        async with http.get(f"{counter.url}{DASHBOARD}", params=params, headers=ADMIN) as answer:
            assert answer.status in (400, 422), params
            assert "error" in await answer.json()


async def test_staff_only_until_an_administrator_makes_it_public(
    counter: CounterProcess, http: aiohttp.ClientSession
) -> None:
    urls = [DASHBOARD, f"{DASHBOARD}/chart.svg", f"{DASHBOARD}/export.csv?table=sources"]
    for path in urls:
        async with http.get(f"{counter.url}{path}") as answer:
            assert answer.status == 401, path
            assert "error" in await answer.json()
    access = f"{counter.url}{DASHBOARD}/access"
    async with http.put(access, json={"public": True}) as answer:
        assert answer.status == 401
    async with http.put(access, json={"public": True}, headers=ADMIN) as answer:
        assert answer.status == 200
    for path in urls:
        async with http.get(f"{counter.url}{path}") as answer:
            assert answer.status == 200, path
    async with http.get(f"{counter.url}{DASHBOARD}/chart.svg") as answer:
        assert answer.content_type == "image/svg+xml"
        assert (await answer.text()).startswith("<svg")
    async with http.put(access, json={"public": False}, headers=ADMIN) as answer:
        assert answer.status == 200
    async with http.get(f"{counter.url}{DASHBOARD}") as answer:
        assert answer.status == 401


async def test_past_the_cap_a_browser_counts_as_other_and_every_table_reconciles(
    counter: CounterProcess, bus: Bus, http: aiohttp.ClientSession
) -> None:
    day = datetime.now(ZONE).date() - timedelta(days=1)
    families = [f"Trình duyệt {n:03d}" for n in range(BROWSERS.cap + 5)]
    sent = [
        view(str(n), local(day, 10, n // 60, n % 60), agent_family=family, path=f"/p/{n % 7}")
        for n, family in enumerate(families)
    ]
    # Client text as names: a formula, an operator, a dotted name, all stored and read back.
    hostile = ['=HYPERLINK("http://x")', "$where", "a.b"]
    sent += [
        view(f"h{n}", local(day, 11), path=f"/{name}", referrer_host=name)
        for n, name in enumerate(hostile)
    ]
    await send(bus, sent)
    period = {"range": "custom", "from": str(day), "to": str(day)}

    async def folded() -> bool:
        return await views_folded(http, counter.url, day, day) == len(sent)

    await eventually(folded, what="every view")
    found = await board(http, counter.url, **period)
    tables = found["tables"]
    assert isinstance(tables, dict)
    csv_url = f"{counter.url}{DASHBOARD}/export.csv"
    async with http.get(csv_url, params={**period, "table": "browsers"}, headers=ADMIN) as answer:
        text = (await answer.read()).decode("utf-8-sig")
    rows = {name: int(n) for name, n in list(csv.reader(io.StringIO(text)))[1:]}
    # One fold: "Chrome" (the hostile views') and the first 99 other names, in name order.
    named = {*families, "Chrome"}
    assert len(rows) == BROWSERS.cap + 1 and rows[OTHER] == len(named) - BROWSERS.cap
    assert sum(rows.values()) == len(sent)
    sources = {row["name"] for row in tables["sources"]}
    assert {'=hyperlink("http://x")', "$where", "a.b"} <= sources
    pages = {row["name"] for row in tables["pages"]}
    assert {'/=HYPERLINK("http://x")', "/$where", "/a.b"} <= pages
    for table in ("pages", "sources", "devices"):
        async with http.get(csv_url, params={**period, "table": table}, headers=ADMIN) as answer:
            text = (await answer.read()).decode("utf-8-sig")
        counts = Counter({name: int(n) for name, n in list(csv.reader(io.StringIO(text)))[1:]})
        assert sum(counts.values()) == len(sent), table
    async with http.get(csv_url, params={**period, "table": "sources"}, headers=ADMIN) as answer:
        text = (await answer.read()).decode("utf-8-sig")
    assert """'=hyperlink(""http://x"")",1""" in text  # quoted: a spreadsheet shows it as text
    async with http.get(csv_url, params={**period, "table": "series"}, headers=ADMIN) as answer:
        series = list(csv.reader(io.StringIO((await answer.read()).decode("utf-8-sig"))))
    assert series[0] == ["thời điểm", "khách", "lượt truy cập", "lượt xem"]
    assert sum(int(row[3]) for row in series[1:]) == len(sent) and len(series) == 25


async def test_a_past_month_is_rolled_up_once_and_again_after_a_late_view(
    counter: CounterProcess, bus: Bus, http: aiohttp.ClientSession, db_name: str
) -> None:
    today = datetime.now(ZONE).date()
    first = (today.replace(day=1) - timedelta(days=40)).replace(day=1)  # a past month
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    sent = [view(f"m{n}", local(first + timedelta(days=n), 9), referrer_host="zalo.me")
            for n in range(3)]  # fmt: skip
    await send(bus, sent)
    period = {"range": "custom", "from": str(first), "to": str(last)}

    async def sources() -> dict[str, int]:
        found = await board(http, counter.url, **period)
        return {row["name"]: row["views"]["value"] for row in found["tables"]["sources"]}  # type: ignore[index]

    async def zalo(wanted: int) -> bool:
        return (await sources()).get("Zalo") == wanted

    await eventually(lambda: zalo(3), what="the month's three views")
    mongo = make_client(MONGO_URL)
    stored = await mongo[db_name][layout.ROLLUPS].find_one({"_id": layout.month_key(first)})
    assert unpack_counts(stored)["sources"] == {"Zalo": 3}  # summed once, kept
    await send(bus, [view("late", local(last, 23), referrer_host="zalo.me")])  # a late view
    await eventually(lambda: zalo(4), what="the late view in the month's roll-up")
    stored = await mongo[db_name][layout.ROLLUPS].find_one({"_id": layout.month_key(first)})
    assert unpack_counts(stored)["sources"] == {"Zalo": 4}
    await mongo.close()


async def test_the_past_months_are_rolled_up_before_anyone_asks(
    bus: Bus, exchange: str, db_name: str, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    env = counter_env(exchange, db_name, DASHBOARD_ROLLUP_SECONDS="1")
    first = (datetime.now(ZONE).date().replace(day=1) - timedelta(days=1)).replace(day=1)
    async with running_counter(http, env, tmp_path / "c.log"):
        await send(bus, [view("early", local(first, 8), referrer_host="zalo.me")])
        mongo = make_client(MONGO_URL)
        rollups = mongo[db_name][layout.ROLLUPS]

        async def stored() -> bool:  # no dashboard request made it: the background did
            rolled = await rollups.find_one({"_id": layout.month_key(first)})
            return unpack_counts(rolled).get("sources") == {"Zalo": 1}

        await eventually(stored, what="last month's roll-up")
        await mongo.close()
