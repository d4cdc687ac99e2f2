"""The documents of feeds and search engines, as pure functions (articles in, bytes out): RSS
2.0 feeds, sitemaps, the Google News sitemap, robots.txt. The handlers are in feeds.py.

Written with the standard library (`xml.sax.saxutils.XMLGenerator`,
`email.utils.format_datetime`) rather than a feed library such as feedgen, because:

- sitemaps and the news sitemap need an XML writer anyway, and one writer for all four
  formats means one place where text is escaped and filtered;
- feedgen (last release 2023) builds on lxml, which raises on characters XML 1.0 cannot
  carry (U+FFFF passes the API's text rules) instead of leaving them out, and stamps every
  feed with the time it was built, so two replicas, or two builds of one generation, would
  answer different bytes and different ETags for the same articles;
- XMLGenerator streams: a sitemap page of 50,000 URLs is written, never held as a tree.

Every answer is built from the read cache and kept in the response cache per URL and
read-cache generation (entrypoints/http_cache.py), with an ETag: correct right after a
publish, an edit or an unpublish on any replica, and a lookup in memory otherwise.
"""

import html
import io
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import XMLGenerator
from xml.sax.xmlreader import AttributesImpl
from zoneinfo import ZoneInfo

from services.content.schemas import ArticleSummary

FEED_ITEMS = 50
SITEMAP_URLS = 50_000  # the protocol's limit per sitemap file
NEWS_WINDOW = timedelta(days=2)  # Google News reads only articles this recent
NEWS_ITEMS = 1_000  # and at most this many per news sitemap

RSS = "application/rss+xml"

ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"


# Everything but XML 1.0's `Char`: C0 controls other than tab and line ends, lone
# surrogates, U+FFFE and U+FFFF. Such a character cannot be written, even as a reference.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """`text` as an XML parser will read it back: what XML 1.0 cannot carry left out (the
    API refuses or drops control characters already; U+FFFE and U+FFFF pass it), and line
    ends as a parser normalises them."""
    return _NOT_XML.sub("", text).replace("\r\n", "\n").replace("\r", "\n")


class XmlWriter:
    """One XML document written as it goes, indented; every text and attribute value is
    escaped by XMLGenerator and filtered by `xml_text`. Names are this module's constants."""

    def __init__(self) -> None:
        self._out = io.BytesIO()
        self._xml = XMLGenerator(self._out, encoding="utf-8", short_empty_elements=True)
        self._xml.startDocument()
        self._depth = 0

    @contextmanager
    def element(self, name: str, **attrs: str) -> Iterator[None]:
        self._indent()
        self._xml.startElement(name, AttributesImpl(_attributes(attrs)))
        self._xml.ignorableWhitespace("\n")
        self._depth += 1
        yield
        self._depth -= 1
        self._indent()
        self._xml.endElement(name)
        self._xml.ignorableWhitespace("\n")

    def leaf(self, name: str, text: str, **attrs: str) -> None:
        self._indent()
        self._xml.startElement(name, AttributesImpl(_attributes(attrs)))
        self._xml.characters(xml_text(text))
        self._xml.endElement(name)
        self._xml.ignorableWhitespace("\n")

    def getvalue(self) -> bytes:
        self._xml.endDocument()
        return self._out.getvalue()

    def _indent(self) -> None:
        self._xml.ignorableWhitespace("  " * self._depth)


def _attributes(attrs: Mapping[str, str]) -> dict[str, str]:
    # A Python keyword cannot hold ':' ("xmlns:atom"): `xmlns__atom` stands for it.
    return {name.replace("__", ":"): xml_text(value) for name, value in attrs.items()}


def rfc822(moment: datetime, zone: ZoneInfo) -> str:
    """RSS's date: `Tue, 05 May 2026 14:03:07 +0700`, with the site's real offset."""
    return format_datetime(moment.astimezone(zone))


def w3c(moment: datetime, zone: ZoneInfo) -> str:
    """Sitemaps' date: ISO 8601 with the site's offset, `2026-05-05T14:03:07+07:00`."""
    return moment.astimezone(zone).isoformat(timespec="seconds")


# --- documents (pure: articles in, bytes out) ------------------------------------------------


def rss(
    *,
    title: str,
    link: str,
    self_url: str,
    description: str,
    items: Iterable[ArticleSummary],
    zone: ZoneInfo,
) -> bytes:
    """An RSS 2.0 feed of `items` in the order given."""
    doc = XmlWriter()
    with (
        doc.element("rss", version="2.0", xmlns__atom=ATOM_NS, xmlns__dc=DC_NS),
        doc.element("channel"),
    ):
        doc.leaf("title", title)
        doc.leaf("link", link)
        doc.leaf("description", description)
        doc.leaf("language", "vi")
        doc.leaf("atom:link", "", href=self_url, rel="self", type=RSS)
        for item in items:
            with doc.element("item"):
                doc.leaf("title", item.title)
                doc.leaf("link", item.url)
                doc.leaf("guid", item.url, isPermaLink="true")
                doc.leaf("pubDate", rfc822(item.published_at, zone))
                # The lead is plain text and readers show a description as HTML.
                doc.leaf("description", html.escape(item.lead, quote=False))
                doc.leaf("category", item.section)
                for author in item.authors:
                    doc.leaf("dc:creator", author)
    return doc.getvalue()


def urlset(urls: Iterable[tuple[str, datetime | None]], zone: ZoneInfo) -> bytes:
    """A sitemap: each URL with its `lastmod` when it has one."""
    return _locations("urlset", "url", urls, zone)


def sitemap_index(sitemaps: Iterable[tuple[str, datetime | None]], zone: ZoneInfo) -> bytes:
    """A sitemap index: each sitemap with its `lastmod` when it has one."""
    return _locations("sitemapindex", "sitemap", sitemaps, zone)


def _locations(
    root: str, entry: str, locations: Iterable[tuple[str, datetime | None]], zone: ZoneInfo
) -> bytes:
    doc = XmlWriter()
    with doc.element(root, xmlns=SITEMAP_NS):
        for loc, lastmod in locations:
            with doc.element(entry):
                doc.leaf("loc", loc)
                if lastmod is not None:
                    doc.leaf("lastmod", w3c(lastmod, zone))
    return doc.getvalue()


def news_sitemap(items: Iterable[ArticleSummary], publication: str, zone: ZoneInfo) -> bytes:
    doc = XmlWriter()
    with doc.element("urlset", xmlns=SITEMAP_NS, xmlns__news=NEWS_NS):
        for item in items:
            with doc.element("url"):
                doc.leaf("loc", item.url)
                with doc.element("news:news"):
                    with doc.element("news:publication"):
                        doc.leaf("news:name", publication)
                        doc.leaf("news:language", "vi")
                    doc.leaf("news:publication_date", w3c(item.published_at, zone))
                    doc.leaf("news:title", item.title)
    return doc.getvalue()


def news_selection(
    newest_first: Iterable[ArticleSummary],
    now: datetime,
    *,
    window: timedelta = NEWS_WINDOW,
    limit: int = NEWS_ITEMS,
) -> list[ArticleSummary]:
    """What the news sitemap lists: the newest articles, up to `limit` of them, published
    no earlier than `window` before `now`. Always the first `n` of `newest_first`."""
    since = now - window
    chosen: list[ArticleSummary] = []
    for item in newest_first:
        if item.published_at < since or len(chosen) == limit:
            break
        chosen.append(item)
    return chosen


def article_pages(live: int, per_page: int = SITEMAP_URLS) -> int:
    """How many article sitemaps `live` articles fill."""
    return math.ceil(live / per_page)


def robots(base: str) -> bytes:
    lines = [
        "User-agent: *",
        "Allow: /",
        "Disallow: /editor",
        "Disallow: /bien-tap",
        "Disallow: /api/",
        "",
        f"Sitemap: {base}/sitemap.xml",
        f"Sitemap: {base}/sitemap-news.xml",
    ]
    return ("\n".join(lines) + "\n").encode()
