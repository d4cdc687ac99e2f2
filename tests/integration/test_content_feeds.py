"""Feeds, sitemaps and robots.txt of a content replica on the real database and broker,
read back with a real feed parser (feedparser) and XML parser."""

import calendar
import html
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from shared.contracts.sections import STARTER
from tests.content_support import (
    AUTH,
    SECTION,
    Client,
    act,
    create,
    drop_topology,
    error_of,
    publish,
    replica,
    settings_for,
)
from tests.support import eventually

pytestmark = pytest.mark.integration

PUBLIC = "https://portal.example.vn"
OTHER = "thong-bao"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ORGANISATION = "Sở Ngoại vụ tỉnh Quảng Trị"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"


@pytest.fixture
async def client(exchange: str, db_name: str, amqp: Any) -> AsyncIterator[Client]:
    # Another body's portal: the feeds name it from its settings, not from code.
    identity = {"site_name": "Cổng thông tin Sở Ngoại vụ", "site_organisation": ORGANISATION}
    async with replica(settings_for(db_name, exchange, public_url=PUBLIC, **identity)) as client:
        yield client
    await drop_topology(amqp, exchange)


async def fetch(client: Client, path: str, content_type: str) -> bytes:
    response = await client.get(path)
    assert response.status == 200, await response.text()
    assert response.headers["Content-Type"] == f"{content_type}; charset=utf-8"
    assert response.headers["ETag"]
    return await response.read()


async def feed_of(client: Client, path: str) -> Any:
    parsed = feedparser.parse(await fetch(client, path, "application/rss+xml"))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    return parsed


def moment(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def parsed_time(entry: Any) -> datetime:
    """The entry's pubDate as feedparser read it (a UTC struct_time)."""
    return datetime.fromtimestamp(calendar.timegm(entry.published_parsed), UTC)


def to_second(when: datetime) -> datetime:
    return when.replace(microsecond=0)


def locs(document: bytes, tag: str) -> list[str]:
    return [loc.text or "" for loc in ET.fromstring(document).iter(f"{SITEMAP}{tag}")]


async def article_urls(client: Client) -> list[str]:
    """Every URL of the article sitemaps the index lists."""
    urls = []
    for sitemap in locs(await fetch(client, "/sitemap.xml", "application/xml"), "loc"):
        if "/sitemaps/articles-" in sitemap:
            page = await fetch(client, sitemap.removeprefix(PUBLIC), "application/xml")
            urls += locs(page, "loc")
    return urls


async def test_feeds_list_exactly_the_published_articles_newest_first(client: Client) -> None:
    first = await publish(
        client, "Hội nghị Đà Nẵng", lead="Tóm tắt & <ghi chú>", authors=["Nguyễn Văn Ánh"]
    )
    await create(client, "Bản nháp chưa đăng")  # a draft is in no feed
    notice = await publish(client, "Thông báo lịch tiếp công dân", section=OTHER)
    latest = await publish(
        client, "Đường biên giới Việt – Lào", authors=["Trần Thị Bích", "Lê Đức Thọ"]
    )

    site = await feed_of(client, "/rss.xml")
    assert site.feed.title == f"Cổng thông tin Sở Ngoại vụ – {ORGANISATION}"
    assert site.feed.link == f"{PUBLIC}/"
    assert site.feed.language == "vi"
    assert {"rel": "self", "href": f"{PUBLIC}/rss.xml", "type": "application/rss+xml"} in [
        dict(link) for link in site.feed.links
    ]
    expected = [latest, notice, first]
    assert [entry.title for entry in site.entries] == [a["title"] for a in expected]
    for entry, article in zip(site.entries, expected, strict=True):
        assert entry.link == article["url"] == f"{PUBLIC}/articles/{article['slug']}"
        assert entry.id == article["url"]
        assert parsed_time(entry) == to_second(moment(article["published_at"]))
        assert entry.published.endswith(" +0700"), entry.published  # the site's own offset
        assert [tag.term for tag in entry.tags] == [article["section"]]
    assert [author["name"] for author in site.entries[0].authors] == [  # dc:creator
        "Trần Thị Bích",
        "Lê Đức Thọ",
    ]
    assert [author["name"] for author in site.entries[2].authors] == ["Nguyễn Văn Ánh"]
    assert site.entries[2].summary == html.escape("Tóm tắt & <ghi chú>", quote=False)

    section = await feed_of(client, f"/chuyen-muc/{SECTION}/rss.xml")
    assert section.feed.title.startswith(STARTER.sections[0].name)
    assert section.feed.link == f"{PUBLIC}/chuyen-muc/{SECTION}"
    assert [entry.link for entry in section.entries] == [latest["url"], first["url"]]
    other = await feed_of(client, f"/chuyen-muc/{OTHER}/rss.xml")
    assert [entry.title for entry in other.entries] == ["Thông báo lịch tiếp công dân"]
    empty = await feed_of(client, "/chuyen-muc/dan-van/rss.xml")
    assert empty.entries == []

    moved = await client.get("/feed.xml", allow_redirects=False)
    assert moved.status == 301
    assert moved.headers["Location"] == "/rss.xml"


async def test_an_unpublished_article_leaves_the_feeds_and_sitemaps_at_once(
    client: Client,
) -> None:
    kept = await publish(client, "Bài còn lại")
    gone = await publish(client, "Bài sẽ gỡ xuống")
    assert [e.link for e in (await feed_of(client, "/rss.xml")).entries] == [
        gone["url"],
        kept["url"],
    ]
    assert set(await article_urls(client)) == {kept["url"], gone["url"]}

    await act(client, gone["id"], "unpublish")
    # No wait: the same replica answers from its refreshed read cache.
    assert [e.link for e in (await feed_of(client, "/rss.xml")).entries] == [kept["url"]]
    section = await feed_of(client, f"/chuyen-muc/{SECTION}/rss.xml")
    assert [e.link for e in section.entries] == [kept["url"]]
    assert await article_urls(client) == [kept["url"]]
    news = await fetch(client, "/sitemap-news.xml", "application/xml")
    assert locs(news, "loc") == [kept["url"]]


async def test_an_unknown_sections_feed_is_a_json_404(client: Client) -> None:
    response = await client.get("/chuyen-muc/khong-co/rss.xml")
    assert response.status == 404
    assert response.headers["Content-Type"].startswith("application/json")
    error = await error_of(response)
    assert error["code"] == "not_found"
    assert (await client.get("/sitemaps/articles-1.xml")).status == 404  # no article yet


async def test_sitemaps_list_every_page_and_the_news_only_the_last_two_days(
    client: Client,
) -> None:
    recent = await publish(client, "Tin mới: Đoàn công tác thăm Cồn Cỏ")
    other = await publish(client, "Thông báo mới", section=OTHER)
    old = await create(client, "Tin cũ ba ngày trước")
    three_days_ago = (datetime.now(UTC) - timedelta(days=3)).replace(microsecond=0)
    await act(client, old["id"], "schedule", publish_at=three_days_ago.isoformat())

    async def old_is_live() -> bool:
        return (await client.get(f"/api/articles/{old['slug']}")).status == 200

    await eventually(old_is_live, what="the backdated article to be published")

    index = ET.fromstring(await fetch(client, "/sitemap.xml", "application/xml"))
    assert index.tag == f"{SITEMAP}sitemapindex"
    assert locs(ET.tostring(index), "loc") == [
        f"{PUBLIC}/sitemaps/pages.xml",
        f"{PUBLIC}/sitemaps/articles-1.xml",
    ]
    pages = ET.fromstring(await fetch(client, "/sitemaps/pages.xml", "application/xml"))
    assert pages.tag == f"{SITEMAP}urlset"
    assert [loc.text for loc in pages.iter(f"{SITEMAP}loc")] == [
        f"{PUBLIC}/",
        *(f"{PUBLIC}/chuyen-muc/{section.slug}" for section in STARTER.sections),
    ]
    articles = ET.fromstring(await fetch(client, "/sitemaps/articles-1.xml", "application/xml"))
    listed = {
        url.findtext(f"{SITEMAP}loc"): moment(url.findtext(f"{SITEMAP}lastmod") or "")
        for url in articles.iter(f"{SITEMAP}url")
    }
    # Oldest first; each with the time of its live revision, with the site's offset.
    assert list(listed) == [old["url"], recent["url"], other["url"]]
    for article in (recent, other):
        assert listed[article["url"]] == to_second(moment(article["updated_at"]))
    assert all(when.utcoffset() == timedelta(hours=7) for when in listed.values())

    news = ET.fromstring(await fetch(client, "/sitemap-news.xml", "application/xml"))
    assert news.tag == f"{SITEMAP}urlset"
    entries = {url.findtext(f"{SITEMAP}loc"): url for url in news.iter(f"{SITEMAP}url")}
    assert list(entries) == [other["url"], recent["url"]]  # not the one of three days ago
    for article in (recent, other):
        item = entries[article["url"]].find(f"{NEWS}news")
        assert item is not None
        assert item.findtext(f"{NEWS}publication/{NEWS}name") == ORGANISATION
        assert item.findtext(f"{NEWS}publication/{NEWS}language") == "vi"
        assert item.findtext(f"{NEWS}title") == article["title"]
        published = moment(item.findtext(f"{NEWS}publication_date") or "")
        assert published == to_second(moment(article["published_at"]))
        assert published.utcoffset() == timedelta(hours=7)


async def test_robots_txt_lists_the_sitemaps_and_keeps_crawlers_out_of_the_editor(
    client: Client,
) -> None:
    text = (await fetch(client, "/robots.txt", "text/plain")).decode()
    lines = text.splitlines()
    assert "User-agent: *" in lines
    assert {"Disallow: /editor", "Disallow: /bien-tap", "Disallow: /api/"} <= set(lines)
    assert f"Sitemap: {PUBLIC}/sitemap.xml" in lines
    assert f"Sitemap: {PUBLIC}/sitemap-news.xml" in lines
    disallowed = [line.split(":", 1)[1].strip() for line in lines if line.startswith("Disallow")]
    for path in ("/rss.xml", "/sitemap.xml", "/sitemap-news.xml", "/chuyen-muc/thong-bao/rss.xml"):
        assert not any(path.startswith(rule) for rule in disallowed), path


async def test_a_feed_answers_304_until_an_article_changes(client: Client) -> None:
    await publish(client, "Bài đầu tiên")
    for path in ("/rss.xml", "/sitemap.xml", "/sitemap-news.xml"):
        first = await client.get(path)
        etag = first.headers["ETag"]
        again = await client.get(path, headers={"If-None-Match": etag})
        assert again.status == 304, path
        assert again.headers["ETag"] == etag
    etag = (await client.get("/rss.xml")).headers["ETag"]
    await publish(client, "Bài thứ hai")
    changed = await client.get("/rss.xml", headers={"If-None-Match": etag})
    assert changed.status == 200
    assert changed.headers["ETag"] != etag
    assert "Bài thứ hai" in await changed.text()


# ---- generated text through the real pipeline --------------------------------------------------

# Whatever XML or an XML parser finds hard: markup, entities, CDATA ends, non-characters,
# astral characters; and controls and line ends, which the API refuses in a title and drops
# from a lead (keeping tab and line ends).
MARKUP = ["<", ">", "&", "]]>", "&amp;", "<![CDATA[x]]>", "<b>đậm</b>", "\"'", "\ufffe", "\uffff",
          "Đà Nẵng", "😀"]  # fmt: skip
CONTROLS = ["\x00", "\x08", "\x1f", "\x7f", "\x85", "\r\n", "\r", "\t", "\u2028"]
TEXT = st.lists(
    st.one_of(st.text(max_size=20), st.sampled_from(MARKUP + CONTROLS)), max_size=8
).map("".join)
# Most titles are ones the API takes, so most examples get as far as the feed; the others
# check that it refuses them.
PRINTABLE = st.characters(codec="utf-8", exclude_categories=["Cc", "Cf", "Zl", "Zp"])
LINE = st.lists(
    st.one_of(st.text(PRINTABLE, max_size=20), st.sampled_from(MARKUP)), min_size=1, max_size=8
).map("".join)
TITLE = st.one_of(LINE, TEXT)


def as_parsed(text: str) -> str:
    """`text` as an XML 1.0 parser can read it back: characters outside XML's `Char` gone,
    line ends normalised."""
    kept = "".join(
        c
        for c in text
        if c in "\t\n\r"
        or 0x20 <= ord(c) <= 0xD7FF
        or 0xE000 <= ord(c) <= 0xFFFD
        or ord(c) >= 0x10000
    )
    return kept.replace("\r\n", "\n").replace("\r", "\n")


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(title=TITLE, lead=TEXT)
async def test_generated_titles_and_leads_come_back_whole_from_the_feed(
    client: Client, title: str, lead: str
) -> None:
    response = await client.post(
        "/api/articles", json={"title": title, "section": SECTION, "lead": lead}, headers=AUTH
    )
    if response.status == 422:  # a control character or nothing left in the title
        fields = {detail["field"] for detail in (await error_of(response))["details"]}
        assert fields == {"title"}
        event("title refused")
        return
    assert response.status == 201, await response.text()
    article = await act(client, (await response.json())["id"], "publish")
    event("published")

    body = await fetch(client, "/rss.xml", "application/rss+xml")
    items = ET.fromstring(body).iterfind("channel/item")  # well-formed
    item = next(item for item in items if item.findtext("link") == article["url"])
    assert item.findtext("title") == as_parsed(article["title"])
    assert html.unescape(item.findtext("description") or "") == as_parsed(article["lead"])
    assert not feedparser.parse(body).bozo
    assert {c for c in article["lead"] if ord(c) < 0x20} <= set("\t\n\r")  # the API's part
