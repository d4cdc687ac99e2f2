"""The statistics dashboard in headless Chromium, through the gateway: a known week of views
sent through the bus shows exactly, moves live with a new beacon, and exports the same
numbers as CSV."""

import csv
import io
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from playwright.async_api import Browser, Page

from services.counter.domain.breakdowns import DIRECT, source_name
from shared.contracts.events import PageView, PageViewed, new_envelope
from shared.platform.bus import Bus
from shared.presentation.vietnamese import group_digits
from tests.e2e.browser_support import (
    ADMIN_TOKEN,
    DESKTOP_AGENT,
    Portal,
    artifact,
    browser_fixture,  # noqa: F401 - a fixture
    new_context,
    portal_fixture,  # noqa: F401 - a fixture
    portal_processes_fixture,  # noqa: F401 - a fixture
)
from tests.e2e.conftest import EDITOR_TOKEN
from tests.support import AMQP_URL, eventually

pytestmark = pytest.mark.e2e

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SOURCES = ["www.google.com.vn", "m.facebook.com", None, "zalo.me", "baomoi.com"]
BROWSERS = ["Chrome", "Safari", "Firefox"]
DEVICES = ["phone", "desktop", "tablet"]
DEVICE_NAMES = {"phone": "Điện thoại", "desktop": "Máy tính", "tablet": "Máy tính bảng"}


def known_week(article_id: str, article_path: str) -> list[PageView]:
    """Views on each of the last seven local days (today's in the last hour), each by its own
    visitor: day n has n + 3 views."""
    now = datetime.now(UTC)
    today = now.astimezone(ZONE).date()
    views: list[PageView] = []
    for back in range(7):
        day = today - timedelta(days=back)
        for n in range(back + 3):
            at = datetime.combine(day, time(10, n), ZONE).astimezone(UTC)
            if back == 0:
                at = now - timedelta(minutes=30 - n)
            on_article = n % 2 == 0
            views.append(
                PageView(
                    visitor=f"dashboard-visitor-{back}-{n:04d}",
                    path=article_path if on_article else "/",
                    article_id=article_id if on_article else None,
                    referrer_host=SOURCES[(back + n) % len(SOURCES)],
                    agent_family=BROWSERS[n % len(BROWSERS)],
                    device=DEVICES[(back * n) % len(DEVICES)],
                    viewed_at=at,
                )
            )
    return views


async def figure(page: Page, name: str) -> str:
    return (await page.locator(f"#fig-{name} .value").text_content() or "").strip()


async def table(page: Page, name: str) -> dict[str, str]:
    rows = page.locator(f"#table-{name} tbody tr")
    found: dict[str, str] = {}
    for index in range(await rows.count()):
        cells = rows.nth(index).locator("th, td")
        found[(await cells.nth(0).text_content() or "").strip()] = (
            await cells.nth(1).text_content() or ""
        ).strip()
    return found


async def test_a_known_week_shows_exactly_moves_live_and_exports_the_same_numbers(
    portal: Portal, browser: Browser, http: aiohttp.ClientSession
) -> None:
    draft = {"title": "Hội nghị đối ngoại tỉnh", "section": "tin-tuc-su-kien", "lead": "Tóm tắt."}
    editor = {"Authorization": f"Bearer {EDITOR_TOKEN}"}
    async with http.post(f"{portal.url}/api/articles", json=draft, headers=editor) as answer:
        article = await answer.json()
    url = f"{portal.url}/api/articles/{article['id']}/publish"
    async with http.post(url, headers=editor) as answer:
        article = await answer.json()
    path = f"/articles/{article['slug']}"
    views = known_week(article["id"], path)
    bus = Bus(AMQP_URL, portal.exchange)
    await bus.connect()
    await bus.publish(new_envelope(PageViewed(views=views), "test"))
    await bus.close()

    async def folded() -> bool:
        params = {"range": "7d"}
        url = f"{portal.url}/api/stats/dashboard"
        async with http.get(url, params=params, headers=ADMIN) as answer:
            board = await answer.json()
        return bool(board["figures"]["views"]["value"] == len(views))

    await eventually(folded, timeout=30, what="the week's views folded")

    context = await new_context(browser, portal)
    page = await context.new_page()
    await page.goto("/thong-ke")
    await page.fill("#board-token", ADMIN_TOKEN)
    await page.click("#board-signin button[type=submit]")
    await page.wait_for_selector("#board:not([hidden])")
    total = group_digits(len(views))  # one view per visitor and day: visits = visitors = views
    for name in ("views", "visits", "visitors"):
        assert await figure(page, name) == total, name
    sources = Counter(source_name(v.referrer_host) for v in views)
    assert await table(page, "sources") == {k: group_digits(n) for k, n in sources.items()}
    browsers = Counter(v.agent_family for v in views)
    assert await table(page, "browsers") == {k: group_digits(n) for k, n in browsers.items()}
    devices = Counter(DEVICE_NAMES[v.device or ""] for v in views)
    assert await table(page, "devices") == {k: group_digits(n) for k, n in devices.items()}
    on_article = sum(1 for v in views if v.article_id)

    async def titled() -> bool:
        return await table(page, "articles") == {article["title"]: group_digits(on_article)}

    await eventually(titled, what="the top article by its title")
    series = page.locator("#table-series tbody tr")
    assert await series.count() == 7
    await page.screenshot(path=artifact("dashboard-1280.png"), full_page=True)

    # The CSV of a table, by its button, holds the numbers the page shows.
    async with page.expect_download() as downloading:
        await page.click('button.csv[data-table="sources"]')
    download = await downloading.value
    text = (await download.path()).read_bytes().decode("utf-8-sig")
    rows = {name: int(n) for name, n in list(csv.reader(io.StringIO(text)))[1:]}
    assert rows == dict(sources)

    # A new beacon moves Online and today's figures without a reload.
    await page.evaluate("window.notReloaded = true")
    online_before = await figure(page, "online")
    beacon = {"path": "/", "referrer": None}
    headers = {"User-Agent": DESKTOP_AGENT, "Content-Type": "application/json"}
    async with http.post(f"{portal.url}/api/views", json=beacon, headers=headers) as answer:
        assert answer.status == 204

    async def moved() -> bool:
        return await figure(page, "views") == group_digits(len(views) + 1)

    await eventually(moved, timeout=20, what="the new view on the page")
    assert await page.evaluate("window.notReloaded") is True
    assert int(await figure(page, "online")) == int(online_before) + 1
    assert (await table(page, "sources"))[DIRECT] == group_digits(sources[DIRECT] + 1)
    await context.close()

    phone = await new_context(browser, portal, phone=True)
    page = await phone.new_page()
    await page.goto("/thong-ke")
    await page.fill("#board-token", ADMIN_TOKEN)
    await page.click("#board-signin button[type=submit]")
    await page.wait_for_selector("#board:not([hidden])")
    assert await figure(page, "views") == group_digits(len(views) + 1)
    width = await page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 390, f"the dashboard is {width} px wide on a 390 px phone"
    await page.screenshot(path=artifact("dashboard-390.png"), full_page=True)
    await phone.close()
