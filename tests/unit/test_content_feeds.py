"""Feeds and sitemaps as pure functions: the news window, sitemap pages, dates, hostile text."""

import html
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.content.entrypoints import feed_documents
from services.content.schemas import ArticleSummary
from tests.unit.test_content_reader import article, reader_of

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 5, 5, 3, 0, tzinfo=UTC)


def summary(n: int, published_at: datetime, **fields: str) -> ArticleSummary:
    return ArticleSummary(
        id=f"id{n}",
        slug=f"tin-{n}",
        title=fields.get("title", f"Tin số {n}"),
        lead=fields.get("lead", ""),
        section="Tin tức - Sự kiện",
        section_slug="tin-tuc-su-kien",
        tags=[],
        authors=["Nguyễn Văn A"],
        cover_image_url=None,
        cover_caption="",
        published_at=published_at,
        url=f"https://portal.example.vn/articles/tin-{n}",
    )


def test_the_news_window_includes_its_start_and_nothing_older() -> None:
    start = NOW - feed_documents.NEWS_WINDOW
    items = [
        summary(1, NOW),
        summary(2, start + timedelta(microseconds=1)),
        summary(3, start),
        summary(4, start - timedelta(microseconds=1)),
        summary(5, start - timedelta(days=1)),
    ]
    assert [item.id for item in feed_documents.news_selection(items, NOW)] == ["id1", "id2", "id3"]
    assert feed_documents.news_selection(items, NOW + timedelta(days=3)) == []


def test_the_news_sitemap_keeps_the_newest_up_to_its_limit() -> None:
    items = [summary(n, NOW - timedelta(minutes=n)) for n in range(10)]
    chosen = feed_documents.news_selection(items, NOW, limit=4)
    assert [item.id for item in chosen] == ["id0", "id1", "id2", "id3"]


@pytest.mark.parametrize(
    ("live", "pages"), [(0, 0), (1, 1), (50_000, 1), (50_001, 2), (120_000, 3)]
)
def test_article_sitemaps_hold_at_most_50000_urls_each(live: int, pages: int) -> None:
    assert feed_documents.article_pages(live) == pages


async def test_the_reader_walks_live_articles_oldest_first_in_pages() -> None:
    reader, _ = await reader_of(*(article(n) for n in range(7)), article(7, status="draft"))
    assert reader.count() == 7
    walked = [
        [item.summary.id for item in await reader.oldest_first(offset=offset, limit=3)]
        for offset in (0, 3, 6, 9)
    ]
    assert walked == [["id0", "id1", "id2"], ["id3", "id4", "id5"], ["id6"], []]
    first = (await reader.oldest_first(offset=0, limit=1))[0]
    assert first.updated_at == article(0)["updated_at"]


def test_dates_carry_the_sites_offset() -> None:
    assert feed_documents.rfc822(NOW, ZONE) == "Tue, 05 May 2026 10:00:00 +0700"
    assert feed_documents.w3c(NOW, ZONE) == "2026-05-05T10:00:00+07:00"


def test_robots_txt_names_both_sitemaps() -> None:
    text = feed_documents.robots("https://portal.example.vn").decode()
    assert "Sitemap: https://portal.example.vn/sitemap.xml\n" in text
    assert "Sitemap: https://portal.example.vn/sitemap-news.xml\n" in text
    assert "Disallow: /editor\n" in text
    assert "Disallow: /api/\n" in text


def feed_of(*items: ArticleSummary) -> ET.Element:
    body = feed_documents.rss(
        title="Kênh <thử> & ]]>",
        link="https://portal.example.vn/",
        self_url="https://portal.example.vn/rss.xml",
        description="",
        items=items,
        zone=ZONE,
    )
    return ET.fromstring(body)


@settings(max_examples=300)
@given(title=st.text(), lead=st.text())
def test_any_text_makes_a_well_formed_feed_that_reads_back(title: str, lead: str) -> None:
    channel = feed_of(summary(1, NOW, title=title, lead=lead)).find("channel")
    assert channel is not None
    assert channel.findtext("title") == "Kênh <thử> & ]]>"
    item = channel.find("item")
    assert item is not None
    assert item.findtext("title") == feed_documents.xml_text(title)
    assert html.unescape(item.findtext("description") or "") == feed_documents.xml_text(lead)


def test_characters_xml_cannot_carry_are_left_out() -> None:
    assert (
        feed_documents.xml_text("a\x00b\x1fc\ufffed\uffffe\r\nf\rg\th\ud800😀")
        == "abcde\nf\ng\th😀"
    )
    item = feed_of(summary(1, NOW, title="<b>&amp;</b>\uffff")).find("channel/item")
    assert item is not None
    assert item.findtext("title") == "<b>&amp;</b>"
