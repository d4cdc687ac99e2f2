"""The portal in a real browser (headless Debian Chromium), through the nginx gateway."""

import asyncio
import re
import time
import uuid
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, Page, Response, expect

from tests.e2e.browser_support import (
    DESKTOP_AGENT,
    PHONE_AGENT,
    Portal,
    artifact,
    browser_fixture,  # noqa: F401 - a fixture
    fill_body_html,
    new_context,
    portal_fixture,  # noqa: F401 - a fixture
    portal_processes_fixture,  # noqa: F401 - a fixture
    sign_in,
)
from tests.e2e.conftest import EDITOR_TOKEN
from tests.integration.conftest import broker
from tests.support import Mailpit, eventually

pytestmark = pytest.mark.e2e

DATE_LINE = re.compile(
    r"^\d{2}:\d{2}, (Thứ (Hai|Ba|Tư|Năm|Sáu|Bảy)|Chủ Nhật), \d{1,2}-\d{1,2}-\d{4}$"
)
SECTION = ("tin-tuc-su-kien", "Tin tức - Sự kiện")


def unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:6]}"


def agent(base: str) -> str:
    """A user agent no other test uses, so its reader is a new visitor to the counter."""
    return f"{base} portal-test/{uuid.uuid4().hex[:8]}"


async def publish_in_editor(page: Page, title: str, body: str = "<p>Nội dung bài.</p>") -> None:
    await page.get_by_role("button", name="Viết bài mới").click()
    form = page.locator("#article-form")
    await form.get_by_label("Tiêu đề", exact=True).fill(title)
    await form.get_by_label("Chuyên mục").select_option(SECTION[0])
    await form.get_by_label("Sapo (tóm tắt)").fill(f"Sapo của bài {title}.")
    await fill_body_html(page, body)
    await form.get_by_label("Từ khóa", exact=False).fill("Dân vận, Biên giới")
    await form.get_by_label("Tác giả", exact=False).fill("Nguyễn Văn An")
    await form.get_by_role("button", name="Duyệt và xuất bản").click()
    await expect(page.locator("#editor-status")).to_have_text("Đã xuất bản.")
    await expect(page.locator("#article-state")).to_have_attribute("data-status", "published")


async def publish_by_api(
    http: aiohttp.ClientSession, portal: Portal, title: str, tags: tuple[str, ...] = ()
) -> Any:
    auth = {"Authorization": f"Bearer {EDITOR_TOKEN}"}
    draft = {
        "title": title,
        "section": SECTION[0],
        "lead": "Tóm tắt.",
        "body": "<p>Nội dung.</p>",
        "tags": list(tags),
    }
    async with http.post(f"{portal.url}/api/articles", json=draft, headers=auth) as response:
        assert response.status == 201, await response.text()
        created = await response.json()
    url = f"{portal.url}/api/articles/{created['id']}/publish"
    async with http.post(url, headers=auth) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def widget_numbers(page: Page) -> dict[str, int]:
    numbers = {}
    for measure in ("online", "today", "total"):
        text = await page.locator(f'#visitor-widget [data-measure="{measure}"]').inner_text()
        numbers[measure] = int(text.replace(".", "")) if re.fullmatch(r"[\d.]+", text) else -1
    return numbers


async def test_an_article_published_in_the_editor_page_appears_on_the_home_page(
    portal: Portal, browser: Browser
) -> None:
    context = await new_context(browser, portal, agent(DESKTOP_AGENT))
    page = await context.new_page()
    await sign_in(page)
    title = unique("Đẩy mạnh công tác dân vận ở vùng biên")

    # The preview is sanitised by the server: the script is gone, the paragraph stays.
    body = '<p>Đoạn <strong>mở đầu</strong>.</p><script>alert("x")</script>'
    await fill_body_html(page, body)
    await page.get_by_role("button", name="Xem trước").click()
    await expect(page.locator("#preview strong")).to_have_text("mở đầu")
    assert await page.locator("#preview script").count() == 0

    await publish_in_editor(page, title, body)
    row = page.locator("#articles tr", has_text=title)
    await expect(row.locator("[data-status]")).to_have_attribute("data-status", "published")
    await page.screenshot(path=artifact("editor.png"), full_page=True)

    await page.goto("/")
    link = page.get_by_role("link", name=title).first
    await expect(link).to_be_visible()
    await page.screenshot(path=artifact("home.png"), full_page=True)

    await link.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(title)
    story = page.locator("article.story")
    await expect(story.locator(".kicker")).to_have_text(SECTION[1])
    assert DATE_LINE.match(await story.locator("time").first.inner_text())
    await expect(story.locator(".story-body strong")).to_have_text("mở đầu")
    await expect(story.locator(".byline")).to_have_text("Nguyễn Văn An")
    await expect(page.get_by_role("heading", name="Các tin khác")).to_be_visible()
    await page.screenshot(path=artifact("article.png"), full_page=True)
    await context.close()


async def test_a_reader_makes_the_widget_go_up_in_another_open_page(
    portal: Portal, browser: Browser, http: aiohttp.ClientSession
) -> None:
    article = await publish_by_api(http, portal, unique("Tin được đọc"))
    async with http.get(f"{portal.url}/api/stats") as response:
        before = await response.json()

    # Each page comes from a new visitor (its own user agent), so each adds one to Online
    # and one visit to Hôm nay. The watcher first sees itself counted...
    watcher = await new_context(browser, portal, agent(DESKTOP_AGENT))
    watching = await watcher.new_page()
    await watching.goto("/")
    itself = {"online": before["online"] + 1, "today": before["today"] + 1}
    await eventually(lambda: _shows(watching, itself), what=f"the watcher's widget at {itself}")
    await watching.evaluate("window.notReloaded = true")

    # ...then, without a reload, the reader who opens an article on a phone.
    reader = await new_context(browser, portal, agent(PHONE_AGENT), phone=True)
    reading = await reader.new_page()
    await reading.goto(f"/articles/{article['slug']}")
    await expect(reading.get_by_role("heading", level=1)).to_have_text(article["title"])
    grown = {"online": itself["online"] + 1, "today": itself["today"] + 1}
    await eventually(lambda: _shows(watching, grown), what=f"the watcher's widget at {grown}")
    assert await watching.evaluate("window.notReloaded === true"), "the watcher page reloaded"
    await reader.close()
    await watcher.close()


async def _shows(page: Page, expected: dict[str, int]) -> bool:
    shown = await widget_numbers(page)
    return all(shown[measure] == value for measure, value in expected.items())


async def test_a_subscriber_confirms_by_email_and_gets_the_next_article(
    portal: Portal, browser: Browser, mailpit: Mailpit
) -> None:
    address = f"ban-doc-{uuid.uuid4().hex[:8]}@example.vn"
    context = await new_context(browser, portal, agent(DESKTOP_AGENT))
    page = await context.new_page()
    await page.goto("/dang-ky-nhan-tin")
    form = page.locator("form[data-subscribe]")
    await form.get_by_label("Địa chỉ email").fill(address)
    await form.get_by_label(SECTION[1]).check()
    await form.get_by_role("button", name="Đăng ký").click()
    await expect(form.get_by_role("status")).to_contain_text("Cảm ơn bạn")
    await expect(form.get_by_role("status")).to_contain_text(address)

    confirmation = (await eventually(lambda: mailpit.messages_to(address), what="confirmation"))[0]
    text = (await mailpit.message(confirmation["ID"]))["Text"]
    link = re.search(re.escape(portal.url) + r"/\S*confirm\S*", text)
    assert link, f"no confirmation link through the gateway in:\n{text}"
    opened = await page.goto(link.group(0))
    assert opened is not None and opened.status == 200
    # Opening the link confirms nothing (mail scanners open every link); the button does.
    await page.get_by_role("button", name="Xác nhận đăng ký").click()
    await expect(page.get_by_role("heading", name="Đã xác nhận")).to_be_visible()

    await sign_in(page)
    title = unique("Thông báo lịch tiếp công dân")
    await publish_in_editor(page, title)

    async def article_emails() -> list[dict[str, Any]]:
        return [m for m in await mailpit.messages_to(address) if m["Subject"] == title]

    await eventually(article_emails, timeout=30, what="the article email")
    await context.close()


async def test_a_plus_makes_the_text_larger_and_the_choice_follows_the_reader(
    portal: Portal, browser: Browser, http: aiohttp.ClientSession
) -> None:
    first = await publish_by_api(http, portal, unique("Hội nghị giao ban"))
    second = await publish_by_api(http, portal, unique("Tập huấn công tác dân vận"))
    context = await new_context(browser, portal, agent(DESKTOP_AGENT))
    page = await context.new_page()
    await page.goto(f"/articles/{second['slug']}")
    text = page.locator(".story-body p").first

    async def size() -> float:
        return float(await text.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))

    normal = await size()
    await page.get_by_role("button", name="Tăng cỡ chữ").click()
    larger = await size()
    assert larger > normal

    # Another article, reached through "Các tin khác": the text stays larger.
    await page.locator(".others").get_by_role("link", name=first["title"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(first["title"])
    assert await size() == larger
    await page.get_by_role("button", name="Cỡ chữ mặc định").click()
    assert await size() == normal
    await context.close()


async def test_the_home_page_is_small_accessible_and_fits_a_phone(
    portal: Portal, browser: Browser, http: aiohttp.ClientSession
) -> None:
    article = await publish_by_api(http, portal, unique("Tin trên điện thoại"))
    context = await new_context(browser, portal, agent(PHONE_AGENT), phone=True)
    page = await context.new_page()
    responses: list[Response] = []
    page.on("response", lambda response: responses.append(response))
    await page.goto("/")
    # The widget's first numbers came (the last request the page makes, bar the stream).
    await expect(page.locator('#visitor-widget [data-measure="today"]')).to_have_text(
        re.compile(r"^[\d.]+$")
    )
    await page.screenshot(path=artifact("home-phone.png"), full_page=True)
    sizes = {
        response.url: len(await response.body())
        for response in responses
        if response.request.resource_type not in {"image", "eventsource", "ping"}
        and response.status == 200
    }
    total = sum(sizes.values())
    assert any("/static/" in url for url in sizes), sizes
    print(f"home page and assets (uncompressed, before images): {total} bytes", sizes)
    assert total < 100_000, f"home page and assets weigh {total} bytes: {sizes}"

    article_path = f"/articles/{article['slug']}"
    pages = ("/", article_path, "/bien-tap/dang-nhap", "/dang-ky-nhan-tin", "/tim-kiem?q=dan+van")
    for path in pages:
        await page.goto(path)
        fits = await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert fits, f"{path} scrolls sideways on a phone"
        if path == article_path:
            await page.screenshot(path=artifact("article-phone.png"), full_page=True)
        problems = await page.evaluate(ACCESSIBILITY_PROBLEMS)
        assert problems == [], f"{path}: {problems}"
    await context.close()


# A few checks a screen reader user would notice first.
ACCESSIBILITY_PROBLEMS = """() => {
  const problems = [];
  if (document.documentElement.lang !== "vi") problems.push("html lang is not vi");
  if (document.querySelectorAll("h1").length !== 1) problems.push("not exactly one h1");
  if (!document.querySelector("main")) problems.push("no main landmark");
  for (const img of document.querySelectorAll("img")) {
    if (!img.hasAttribute("alt")) problems.push("img without alt: " + img.src);
  }
  for (const field of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    if (!field.labels.length && !field.getAttribute("aria-label")) {
      problems.push("field without a label: " + (field.name || field.id));
    }
  }
  for (const button of document.querySelectorAll("button")) {
    if (!button.textContent.trim() && !button.getAttribute("aria-label")) {
      problems.push("button without a name");
    }
  }
  return problems;
}"""


async def test_search_ignores_diacritics_and_tags_have_pages(
    portal: Portal, browser: Browser, http: aiohttp.ClientSession
) -> None:
    marker = uuid.uuid4().hex[:6]
    title = f"Đà Nẵng tăng cường dân vận {marker}"
    tag = f"Miền Trung {marker}"
    await publish_by_api(http, portal, title, tags=(tag,))
    context = await new_context(browser, portal, agent(DESKTOP_AGENT))
    page = await context.new_page()
    await page.goto("/")
    await page.get_by_role("searchbox", name="Tìm kiếm tin bài").fill(f"da nang {marker}")
    await page.keyboard.press("Enter")
    await page.get_by_role("link", name=title).click()
    await page.get_by_role("link", name=tag).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Từ khóa: {tag}")
    await expect(page.get_by_role("link", name=title)).to_be_visible()

    await page.goto(f"/chuyen-muc/{SECTION[0]}")
    await expect(page.get_by_role("heading", level=1)).to_have_text(SECTION[1])
    await expect(page.get_by_role("link", name=title)).to_be_visible()
    response = await page.goto("/chuyen-muc/khong-co")
    assert response is not None and response.status == 404
    await context.close()


async def test_assets_are_cached_under_their_hash_and_pages_are_not(
    portal: Portal, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{portal.url}/") as response:
        assert response.headers["Cache-Control"] == "no-cache"
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        page = await response.text()
    found = re.search(r"/static/([0-9a-f]+)/site\.css", page)
    assert found, page
    async with http.get(f"{portal.url}{found.group(0)}") as response:
        assert response.status == 200
        assert "immutable" in response.headers["Cache-Control"]
        etag = response.headers["ETag"]
    async with http.get(f"{portal.url}{found.group(0)}", headers={"If-None-Match": etag}) as again:
        assert again.status == 304
    async with http.get(f"{portal.url}/static/{found.group(1)}/nothing.css") as response:
        assert response.status == 404


async def test_the_editor_page_saves_schedules_unpublishes_and_returns_to_draft(
    portal: Portal, browser: Browser
) -> None:
    context = await new_context(browser, portal, agent(DESKTOP_AGENT))
    page = await context.new_page()
    await sign_in(page)
    form = page.locator("#article-form")
    state = page.locator("#article-state")
    title = unique("Kế hoạch tuyên truyền")
    await form.get_by_label("Tiêu đề", exact=True).fill(title)
    await form.get_by_label("Chuyên mục").select_option("thong-bao")
    await form.get_by_role("button", name="Lưu nháp").click()
    await expect(state).to_have_attribute("data-status", "draft")

    # A day ahead in the browser's own zone: the page sends it as an ISO instant.
    await form.get_by_label("Hẹn giờ xuất bản").fill(
        await page.evaluate(
            "() => { const d = new Date(Date.now() + 864e5 - new Date().getTimezoneOffset() * 6e4);"
            " return d.toISOString().slice(0, 16); }"
        )
    )
    await form.get_by_role("button", name="Hẹn giờ").click()
    await expect(state).to_have_attribute("data-status", "scheduled")

    await form.get_by_role("button", name="Duyệt và xuất bản").click()
    await expect(state).to_have_attribute("data-status", "published")
    slug_link = page.locator("#article-link a")
    path = await slug_link.get_attribute("href")
    assert path

    await form.get_by_role("button", name="Gỡ bài").click()
    await expect(state).to_have_attribute("data-status", "unpublished")
    row = page.locator("#articles tr", has_text=title)
    await expect(row.locator("[data-status]")).to_have_attribute("data-status", "unpublished")
    reader = await context.new_page()
    response = await reader.goto(path)
    assert response is not None and response.status == 404

    await form.get_by_role("button", name="Chuyển về nháp").click()
    await expect(state).to_have_attribute("data-status", "draft")
    await context.close()


async def test_the_gateway_replaces_a_forged_forwarded_for(
    portal: Portal, http: aiohttp.ClientSession
) -> None:
    async def stats() -> dict[str, Any]:
        async with http.get(f"{portal.url}/api/stats") as response:
            result: dict[str, Any] = await response.json()
            return result

    article = await publish_by_api(http, portal, unique("Tin từ hai địa chỉ"))
    before = await stats()
    # One browser claiming two addresses: if the header were believed, two visitors.
    user_agent = agent(DESKTOP_AGENT)
    beacon = {"path": f"/articles/{article['slug']}", "article_id": article["id"]}
    for forged in ("203.0.113.1", "203.0.113.2"):
        headers = {"User-Agent": user_agent, "X-Forwarded-For": forged}
        async with http.post(f"{portal.url}/api/views", json=beacon, headers=headers) as response:
            assert response.status == 204, await response.text()

    async def article_views() -> int:
        async with http.get(f"{portal.url}/api/stats/articles/{article['id']}") as response:
            return int((await response.json())["views"])

    await eventually(lambda: _equals(article_views(), 2), what="both views of the article")
    views = before["measures"]["views"]["today"]["value"]

    async def with_both() -> dict[str, Any] | None:
        now = await stats()  # other pages' late views may add more, never fewer
        return now if now["measures"]["views"]["today"]["value"] >= views + 2 else None

    after = await eventually(with_both, what="both views in /api/stats")
    assert after["online"] == before["online"] + 1


async def _equals(value: Any, expected: int) -> bool:
    return bool(await value == expected)


async def _at_least(value: Any, expected: int) -> int | None:
    """The value once it reached `expected` (None before)."""
    found = int(await value)
    return found if found >= expected else None


async def test_an_old_slug_redirects_to_the_renamed_article(
    portal: Portal, http: aiohttp.ClientSession
) -> None:
    article = await publish_by_api(http, portal, unique("Tên cũ của bài"))
    auth = {"Authorization": f"Bearer {EDITOR_TOKEN}"}
    renamed = f"ten-moi-{uuid.uuid4().hex[:6]}"
    url = f"{portal.url}/api/articles/{article['id']}"
    async with http.patch(url, json={"slug": renamed}, headers=auth) as response:
        assert response.status == 200, await response.text()
    old = f"{portal.url}/articles/{article['slug']}"
    async with http.get(old, allow_redirects=False) as response:
        assert response.status == 301
        assert response.headers["Location"] == f"/articles/{renamed}"
    async with http.get(f"{portal.url}/articles/{renamed}") as response:
        assert response.status == 200
        assert article["title"] in await response.text()


async def test_page_loads_during_a_broker_outage_are_each_counted_once(
    portal: Portal, browser: Browser, http: aiohttp.ClientSession
) -> None:
    """RabbitMQ stopped for 10 s while a reader browses: the beacons are kept and sent later."""
    article = await publish_by_api(http, portal, unique("Tin trong lúc mất kết nối"))

    async def views_today() -> int:
        async with http.get(f"{portal.url}/api/stats") as response:
            return int((await response.json())["measures"]["views"]["today"]["value"])

    async def article_views() -> int:
        async with http.get(f"{portal.url}/api/stats/articles/{article['id']}") as response:
            return int((await response.json())["views"])

    start = await views_today()
    context = await new_context(browser, portal, agent(DESKTOP_AGENT))
    page = await context.new_page()
    await page.goto(f"/articles/{article['slug']}")
    await eventually(lambda: _equals(article_views(), 1), what="the first load counted")
    # The day's figure is read from the summary, which a fold writes after the article's own
    # document: it may not hold the first load yet when the article does.
    before = await eventually(
        lambda: _at_least(views_today(), start + 1), what="the first load in /api/stats"
    )
    assert before is not None
    stopped_at = time.monotonic()
    await asyncio.to_thread(broker, "stop")
    try:
        loads = [f"/articles/{article['slug']}", "/", f"/chuyen-muc/{SECTION[0]}"] * 2
        for path in loads:
            response = await page.goto(path)
            assert response is not None and response.status == 200
        article_loads = loads.count(f"/articles/{article['slug']}")
        await asyncio.sleep(max(0.0, 10 - (time.monotonic() - stopped_at)))  # a 10 s outage
    finally:
        await asyncio.to_thread(broker, "start")
    # Every load counted: the day's figure is the whole portal's, where a late view of an
    # earlier test may add one, so it is checked as a floor; the article is this test's
    # alone, so its figure is exact: each load during the outage counted once, not twice.
    await eventually(
        lambda: _at_least(views_today(), before + len(loads)),
        timeout=60,
        what="every page load during the outage, counted",
    )
    await eventually(
        lambda: _equals(article_views(), 1 + article_loads), what="the article's loads, each once"
    )
    assert await article_views() == 1 + article_loads
    await context.close()
