"""Feeds and search engines over HTTP (docs/content.md): each document is built from the read
cache (feed_documents.py) and kept in the response cache per URL and generation, with an
ETag: right after a publish, an edit or an unpublish on any replica, a lookup in memory
otherwise."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from aiohttp import web

from services.content.entrypoints.feed_documents import (
    FEED_ITEMS,
    NEWS_ITEMS,
    RSS,
    SITEMAP_URLS,
    article_pages,
    news_selection,
    news_sitemap,
    robots,
    rss,
    sitemap_index,
    urlset,
)
from services.content.entrypoints.http_cache import Built
from services.content.entrypoints.keys import READER, RESPONSES, SECTIONS, SETTINGS, SITE
from services.content.usecases.read_values import Modified
from services.content.usecases.reading import ArticleReader
from shared.contracts.errors import NotFound

XML = "application/xml"
TEXT = "text/plain"


# --- handlers --------------------------------------------------------------------------------


async def site_feed(request: web.Request) -> web.Response:
    async def build() -> bytes:
        found = await request.app[READER].latest(limit=FEED_ITEMS)
        base, site = _base(request), request.app[SITE].current
        return rss(
            title=site.title,
            link=f"{base}/",
            self_url=f"{base}/rss.xml",
            description=f"Tin mới nhất của {site.title}",
            items=found.items,
            zone=site.zone,
        )

    return await _serve(request, RSS, build)


async def old_site_feed(request: web.Request) -> web.Response:
    raise web.HTTPMovedPermanently("/rss.xml")


async def section_feed(request: web.Request) -> web.Response:
    async def build() -> bytes:
        section = request.app[SECTIONS].current.get(request.match_info["slug"])
        if section is None or section.hidden:
            raise NotFound("Không có chuyên mục này.")
        found = await request.app[READER].latest(limit=FEED_ITEMS, section=section.slug)
        base, site = _base(request), request.app[SITE].current
        return rss(
            title=f"{section.name} · {site.title}",
            link=f"{base}/chuyen-muc/{section.slug}",
            self_url=f"{base}/chuyen-muc/{section.slug}/rss.xml",
            description=f"{section.name}: tin mới nhất của {site.title}",
            items=found.items,
            zone=site.zone,
        )

    return await _serve(request, RSS, build)


async def sitemap(request: web.Request) -> web.Response:
    """The sitemap index: the home and section pages, then the articles, oldest first,
    `SITEMAP_URLS` to a sitemap."""

    async def build() -> bytes:
        reader, base = request.app[READER], _base(request)
        sitemaps: list[tuple[str, datetime | None]] = [(f"{base}/sitemaps/pages.xml", None)]
        for number in range(1, article_pages(reader.count()) + 1):
            found = await _article_page(reader, number)
            lastmod = max((item.updated_at for item in found), default=None)
            sitemaps.append((f"{base}/sitemaps/articles-{number}.xml", lastmod))
        return sitemap_index(sitemaps, request.app[SITE].current.zone)

    return await _serve(request, XML, build)


async def pages_sitemap(request: web.Request) -> web.Response:
    async def build() -> bytes:
        base = _base(request)
        shown = request.app[SECTIONS].current.visible
        urls = [f"{base}/", *(f"{base}/chuyen-muc/{section.slug}" for section in shown)]
        return urlset(((url, None) for url in urls), request.app[SITE].current.zone)

    return await _serve(request, XML, build)


async def articles_sitemap(request: web.Request) -> web.Response:
    async def build() -> bytes:
        reader = request.app[READER]
        number = int(request.match_info["number"])
        if number > article_pages(reader.count()):
            raise NotFound(f"no article sitemap {number}")
        urls = ((item.summary.url, item.updated_at) for item in await _article_page(reader, number))
        return urlset(urls, request.app[SITE].current.zone)

    return await _serve(request, XML, build)


async def news(request: web.Request) -> web.Response:
    found = await request.app[READER].latest(limit=NEWS_ITEMS)
    chosen = news_selection(found.items, datetime.now(UTC))
    # The cache keys on the URL and the read cache's generation, but this list also shrinks
    # as time passes. Within one generation its length tells which list it is (the newest
    # `n`), so the length joins the key: an article past the window is never served.
    key = f"{request.path}#entries={len(chosen)}"

    async def build() -> bytes:
        site = request.app[SITE].current
        return news_sitemap(chosen, site.organisation, site.zone)

    return await _serve(request, XML, build, key)


async def robots_txt(request: web.Request) -> web.Response:
    async def build() -> bytes:
        return robots(_base(request))

    return await _serve(request, TEXT, build)


async def _article_page(reader: ArticleReader, number: int) -> list[Modified]:
    """The articles of article sitemap `number` (from 1)."""
    return await reader.oldest_first(offset=(number - 1) * SITEMAP_URLS, limit=SITEMAP_URLS)


def _base(request: web.Request) -> str:
    """Where readers reach the portal (PUBLIC_URL): links never follow the Host header."""
    return request.app[SETTINGS].public_base


async def _serve(
    request: web.Request,
    content_type: str,
    build: Callable[[], Awaitable[bytes]],
    key: str | None = None,
) -> web.Response:
    """The cached answer for this URL (or `key`) and generation, with its ETag, or 304."""
    cache = request.app[RESPONSES]

    async def built() -> Built:
        return Built(await build(), 200, content_type)

    return await cache.answer(request, built, {"Cache-Control": cache.cache_control}, key)
