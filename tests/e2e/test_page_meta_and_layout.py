"""What a search engine, a shared link and a printer get from the pages, and how a long
unbroken word lays out, in headless Chromium through the gateway."""

import json
import uuid
from datetime import datetime
from typing import Any, Literal
from xml.sax.saxutils import escape

import aiohttp
import pytest
from playwright.async_api import Browser, Page
from pydantic import AnyHttpUrl, AwareDatetime, BaseModel, ConfigDict, Field

from tests.e2e.browser_support import (
    Portal,
    artifact,
    browser_fixture,  # noqa: F401 - a fixture
    new_context,
    portal_fixture,  # noqa: F401 - a fixture
    portal_processes_fixture,  # noqa: F401 - a fixture
)
from tests.e2e.conftest import EDITOR_TOKEN

pytestmark = pytest.mark.e2e

SECTION = "tin-tuc-su-kien"
AUTH = {"Authorization": f"Bearer {EDITOR_TOKEN}"}


async def publish(
    http: aiohttp.ClientSession, portal: Portal, title: str, **fields: Any
) -> dict[str, Any]:
    draft = {"title": title, "section": SECTION, "lead": "Tóm tắt bài.", "body": "<p>Nội dung.</p>"}
    async with http.post(
        f"{portal.url}/api/articles", json={**draft, **fields}, headers=AUTH
    ) as response:
        assert response.status == 201, await response.text()
        created = await response.json()
    url = f"{portal.url}/api/articles/{created['id']}/publish"
    async with http.post(url, headers=AUTH) as response:
        assert response.status == 200, await response.text()
        published: dict[str, Any] = await response.json()
        return published


# schema.org's NewsArticle as Google's article guidelines read it: what must be there, of
# which type. Extra fields are allowed (schema.org has many), wrong types are not.
class Thing(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="allow")
    type_: str = Field(alias="@type")
    name: str = Field(min_length=1)


class WebPage(BaseModel):
    type_: Literal["WebPage"] = Field(alias="@type")
    id_: AnyHttpUrl = Field(alias="@id")


class NewsArticleShape(BaseModel):
    model_config = ConfigDict(extra="allow")
    context: Literal["https://schema.org"] = Field(alias="@context")
    type_: Literal["NewsArticle"] = Field(alias="@type")
    headline: str = Field(min_length=1, max_length=110)
    description: str
    url: AnyHttpUrl
    mainEntityOfPage: WebPage  # noqa: N815 - schema.org's name
    datePublished: AwareDatetime  # noqa: N815
    dateModified: AwareDatetime  # noqa: N815
    author: list[Thing] = Field(min_length=1)
    publisher: Thing
    articleSection: str  # noqa: N815
    inLanguage: Literal["vi"]  # noqa: N815
    image: list[AnyHttpUrl] | None = None
    keywords: list[str] | None = None


async def meta(page: Page, selector: str) -> str | None:
    locator = page.locator(selector)
    return await locator.get_attribute("content") if await locator.count() == 1 else None


async def test_an_article_tells_search_engines_and_link_previews_what_it_is(
    portal: Portal, browser: Browser, http: aiohttp.ClientSession
) -> None:
    # Text that would end the JSON-LD script early if it were written as it is.
    title = f"Hội nghị </script><script>alert(1)</script> “đối ngoại” {uuid.uuid4().hex[:6]}"
    article = await publish(
        http,
        portal,
        title,
        authors=["Nguyễn Văn An", "Trần Thị Bình"],
        tags=["Biên giới", "Biển đảo"],
        cover_image_url="https://anh.example.vn/hoi-nghi.jpg",
    )
    context = await new_context(browser, portal)
    page = await context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    await page.goto(f"/articles/{article['slug']}")

    url = f"{portal.url}/articles/{article['slug']}"
    assert await page.locator('link[rel="canonical"]').get_attribute("href") == url
    assert article["url"] == url
    assert await meta(page, 'meta[property="og:type"]') == "article"
    assert await meta(page, 'meta[property="og:url"]') == url
    assert await meta(page, 'meta[property="og:title"]') == title
    assert await meta(page, 'meta[property="og:description"]') == "Tóm tắt bài."
    assert await meta(page, 'meta[property="og:image"]') == "https://anh.example.vn/hoi-nghi.jpg"
    assert await meta(page, 'meta[property="og:locale"]') == "vi_VN"
    assert await meta(page, 'meta[name="twitter:card"]') == "summary_large_image"
    assert await meta(page, 'meta[name="twitter:title"]') == title
    tags = page.locator('meta[property="article:tag"]')
    assert [await tags.nth(n).get_attribute("content") for n in range(await tags.count())] == [
        "Biên giới",
        "Biển đảo",
    ]

    scripts = page.locator('script[type="application/ld+json"]')
    assert await scripts.count() == 1
    data = NewsArticleShape.model_validate(json.loads(await scripts.text_content() or ""))
    published = datetime.fromisoformat(article["published_at"])
    assert data.headline == title and data.description == "Tóm tắt bài."
    assert str(data.url) == url and str(data.mainEntityOfPage.id_) == url
    assert data.datePublished == published.replace(microsecond=0)
    assert data.datePublished.utcoffset() is not None
    assert data.datePublished.utcoffset().total_seconds() == 7 * 3600  # type: ignore[union-attr]
    assert [a.name for a in data.author] == ["Nguyễn Văn An", "Trần Thị Bình"]
    assert all(a.type_ == "Person" for a in data.author)
    assert data.publisher.type_ == "Organization"
    assert data.articleSection == "Tin tức - Sự kiện"
    assert data.keywords == ["Biên giới", "Biển đảo"]
    assert [str(image) for image in data.image or []] == ["https://anh.example.vn/hoi-nghi.jpg"]
    # The title stayed text: no script of it ran, and the page's CSP refused nothing.
    assert dialogs == []
    assert not [text for text in console if "Content Security Policy" in text], console

    await page.goto("/")
    assert await page.locator('link[rel="canonical"]').get_attribute("href") == f"{portal.url}/"
    assert await meta(page, 'meta[property="og:type"]') == "website"
    assert await page.locator('script[type="application/ld+json"]').count() == 0
    feeds = page.locator('link[rel="alternate"][type="application/rss+xml"]')
    assert await feeds.get_attribute("href") == "/rss.xml"
    await page.goto("/chuyen-muc/tin-tuc-su-kien")
    hrefs = [await feeds.nth(n).get_attribute("href") for n in range(await feeds.count())]
    assert hrefs == ["/rss.xml", "/chuyen-muc/tin-tuc-su-kien/rss.xml"]
    async with http.get(f"{portal.url}{hrefs[1]}") as response:  # through the gateway
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
        assert escape(title) in await response.text()  # as XML text, escaped
    await page.goto("/tim-kiem?q=hoi+nghi")
    assert await meta(page, 'meta[name="robots"]') == "noindex, follow"
    await context.close()


async def test_a_long_unbroken_title_wraps_in_the_sidebar_and_on_a_phone(
    portal: Portal, browser: Browser, http: aiohttp.ClientSession
) -> None:
    long_word = "https://songoaivu.quangtri.gov.vn/" + "tai-lieu-bien-gioi-" * 8
    long = await publish(http, portal, f"Xem {long_word}{uuid.uuid4().hex[:6]}")
    other = await publish(http, portal, f"Tin bên cạnh {uuid.uuid4().hex[:6]}")
    for phone in (False, True):
        context = await new_context(browser, portal, phone=phone)
        page = await context.new_page()
        for slug in (other["slug"], long["slug"]):
            await page.goto(f"/articles/{slug}")
            fits = await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            assert fits, f"{slug} scrolls sideways ({'phone' if phone else 'desktop'})"
            overflowing = await page.evaluate(
                """() => [...document.querySelectorAll('.others, .story, .story h1, .card')]
                     .filter(box => box.scrollWidth > box.clientWidth + 1)
                     .map(box => box.className || box.tagName)"""
            )
            assert overflowing == [], f"{slug}: {overflowing} overflow"
        name = "long-title-phone.png" if phone else "long-title-desktop.png"
        await page.goto(f"/articles/{other['slug']}")
        sidebar = page.locator(".others")
        assert long_word[:30] in (await sidebar.text_content() or "")
        await page.screenshot(path=artifact(name), full_page=True)
        await context.close()


async def test_a_printed_article_shows_the_story_and_its_source_not_the_page_furniture(
    portal: Portal, browser: Browser, http: aiohttp.ClientSession
) -> None:
    article = await publish(http, portal, f"Bài để in {uuid.uuid4().hex[:6]}")
    context = await new_context(browser, portal)
    page = await context.new_page()
    await page.goto(f"/articles/{article['slug']}")
    source = page.locator(".print-only")
    assert not await source.is_visible()  # on screen, the address bar says it
    await page.emulate_media(media="print")
    for furniture in (".sections", ".footer", ".font-size", ".others", ".masthead form"):
        assert not await page.locator(furniture).first.is_visible(), furniture
    assert await page.locator(".story h1").is_visible()
    assert await source.is_visible()
    assert article["url"] in (await source.text_content() or "")
    (artifact("article-print.pdf")).write_bytes(await page.pdf(format="A4"))
    await context.close()
