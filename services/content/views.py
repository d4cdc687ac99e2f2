"""Public HTTP handlers: the read API (served through the response cache) and the beacon."""

from datetime import UTC, datetime
from urllib.parse import urlsplit

from aiohttp import web

from services.content.agents import classify
from services.content.beacons import page_view
from services.content.keys import BATCHER, READER, RESPONSES, SETTINGS, VISITORS
from services.content.models import (
    ArticleList,
    LatestQuery,
    NoQuery,
    OtherQuery,
    SearchQuery,
    SectionList,
    ViewBeacon,
)
from services.content.reader import Redirect
from services.content.visitors import client_ip
from shared.bus import PublishFailed
from shared.errors import NotFound, Unavailable
from shared.http import read_model, read_query


async def list_articles(request: web.Request) -> web.Response:
    query = await read_query(request, LatestQuery)

    async def build() -> bytes:
        page = await request.app[READER].latest(
            limit=query.limit, cursor=query.cursor, section=query.section, tag=query.tag
        )
        return page.model_dump_json().encode()

    return await request.app[RESPONSES].respond(request, build)


async def get_article(request: web.Request) -> web.Response:
    if request.query_string:  # the hot path has none; any given are still vetted
        await read_query(request, NoQuery)
    slug = request.match_info["ref"]
    reader = request.app[READER]
    found = await reader.by_slug(slug)
    if isinstance(found, Redirect):
        raise web.HTTPMovedPermanently(f"/api/articles/{found.slug}")
    if found is None:
        raise NotFound(f"no published article {slug!r}")
    article = found

    async def build() -> bytes:
        return article.model_dump_json().encode()

    return await request.app[RESPONSES].respond(request, build)


async def other_news(request: web.Request) -> web.Response:
    query = await read_query(request, OtherQuery)
    reader = request.app[READER]
    found = await reader.by_slug(request.match_info["slug"])
    if not found or isinstance(found, Redirect):
        raise NotFound(f"no published article {request.match_info['slug']!r}")
    article = found

    async def build() -> bytes:
        items = await reader.other_news(article, limit=query.limit)
        return ArticleList(items=items).model_dump_json().encode()

    return await request.app[RESPONSES].respond(request, build)


async def list_sections(request: web.Request) -> web.Response:
    await read_query(request, NoQuery)

    async def build() -> bytes:
        return SectionList(items=await request.app[READER].sections()).model_dump_json().encode()

    return await request.app[RESPONSES].respond(request, build)


async def search_articles(request: web.Request) -> web.Response:
    query = await read_query(request, SearchQuery)

    async def build() -> bytes:
        items = await request.app[READER].search(query.q, limit=query.limit)
        return ArticleList(items=items).model_dump_json().encode()

    return await request.app[RESPONSES].respond(request, build)


async def record_view(request: web.Request) -> web.Response:
    """Answer only after the broker confirmed the view, so an accepted view is never lost."""
    # sendBeacon posts text/plain, so the body is read as JSON whatever its declared type.
    beacon = await read_model(request, ViewBeacon, require_json_type=False)
    app = request.app
    user_agent = request.headers.get("User-Agent", "")
    agent = classify(user_agent)
    now = datetime.now(UTC)
    # The address is only an input of the salted hash: it is never stored nor queued.
    visitor = await app[VISITORS].visitor(
        client_ip(request, app[SETTINGS].trusted_proxies), user_agent, now
    )
    view = page_view(
        visitor=visitor,
        path=beacon.path,
        article_id=beacon.article_id,
        referrer_host=referrer_host(beacon.referrer),
        is_bot=agent.is_bot,
        agent_family=agent.family,
        viewed_at=now,
    )
    try:
        await app[BATCHER].record(view)
    except PublishFailed:
        raise Unavailable("the view could not be recorded; try again") from None
    return web.Response(status=204)


def referrer_host(referrer: str | None) -> str | None:
    """Only the host of the referrer is kept; a malformed one is dropped, not an error."""
    try:
        return urlsplit(referrer).hostname if referrer else None
    except ValueError:
        return None
