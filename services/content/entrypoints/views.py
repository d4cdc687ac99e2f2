"""Public HTTP handlers: the read API (served through the response cache) and the beacon."""

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

from aiohttp import web

from services.content.adapters.beacons import page_view
from services.content.adapters.visitors import TrustedProxies, client_ip, from_trusted_proxy
from services.content.domain.agents import classify, device_class
from services.content.entrypoints.keys import (
    BATCHER,
    BEACON_LIMITS,
    READER,
    RESPONSES,
    TRUSTED,
    VISITORS,
)
from services.content.schemas import (
    ArticleList,
    LatestQuery,
    NoQuery,
    OtherQuery,
    SearchQuery,
    SectionList,
    SummariesQuery,
    ViewBeacon,
)
from services.content.usecases.read_values import Redirect
from shared.contracts.errors import NotFound, Throttled, Unavailable
from shared.contracts.text import ID_PATTERN
from shared.platform.bus import PublishFailed
from shared.platform.http import REQUEST_ID, json_response, read_model, read_query

# A beacon is a path, an article id and a referrer: a few hundred bytes, 8 KB at the most.
MAX_BEACON_BYTES = 8 * 1024
# A host name as the counter may keep it: letters, digits, '-', '.', or an IPv6 literal.
HOST = re.compile(r"[a-z0-9.:_-]{1,253}")
ID = re.compile(ID_PATTERN)


# Each read is answered from the response cache by its URL (entrypoints/http_cache.py): the
# query is vetted and the reader asked only when the answer is built, on a miss. A URL that
# fails either raises from the build, and nothing is kept for it.


async def list_articles(request: web.Request) -> web.Response:
    async def build() -> bytes:
        query = await read_query(request, LatestQuery)
        page = await request.app[READER].latest(
            limit=query.limit, cursor=query.cursor, section=query.section, tag=query.tag
        )
        return page.model_dump_json().encode()

    return await request.app[RESPONSES].respond(request, build)


async def get_article(request: web.Request) -> web.Response:
    async def build() -> bytes:
        if request.query_string:  # the hot path has none; any given are still vetted
            await read_query(request, NoQuery)
        slug = request.match_info["ref"]
        found = await request.app[READER].by_slug(slug)
        if isinstance(found, Redirect):
            raise web.HTTPMovedPermanently(f"/api/articles/{found.slug}")
        if found is None:
            raise NotFound(f"no published article {slug!r}")
        return found.model_dump_json().encode()

    return await request.app[RESPONSES].respond(request, build)


async def other_news(request: web.Request) -> web.Response:
    async def build() -> bytes:
        query = await read_query(request, OtherQuery)
        reader = request.app[READER]
        found = await reader.by_slug(request.match_info["slug"])
        if not found or isinstance(found, Redirect):
            raise NotFound(f"no published article {request.match_info['slug']!r}")
        items = await reader.other_news(found, limit=query.limit)
        return ArticleList(items=items).model_dump_json().encode()

    return await request.app[RESPONSES].respond(request, build)


async def list_sections(request: web.Request) -> web.Response:
    async def build() -> bytes:
        await read_query(request, NoQuery)
        return SectionList(items=await request.app[READER].sections()).model_dump_json().encode()

    return await request.app[RESPONSES].respond(request, build)


async def article_summaries(request: web.Request) -> web.Response:
    query = await read_query(request, SummariesQuery)
    items = request.app[READER].summaries(query.ids.split(","))
    return json_response(ArticleList(items=items))


async def search_articles(request: web.Request) -> web.Response:
    async def build() -> bytes:
        query = await read_query(request, SearchQuery)
        items = await request.app[READER].search(query.q, limit=query.limit)
        return ArticleList(items=items).model_dump_json().encode()

    return await request.app[RESPONSES].respond(request, build)


async def record_view(request: web.Request) -> web.Response:
    """Answer only after the broker confirmed the view, so an accepted view is never lost."""
    app = request.app
    # The address is only an input of the limits and the salted hash: never stored or queued.
    address = client_ip(request, app[TRUSTED])
    user_agent = request.headers.get("User-Agent", "")
    counted_agent = app[BEACON_LIMITS].admit(address, user_agent)
    if counted_agent is None:
        raise Throttled("too many page views from this address; try again in a minute")
    # sendBeacon posts text/plain, so the body is read as JSON whatever its declared type.
    beacon = await read_model(
        request, ViewBeacon, require_json_type=False, max_bytes=MAX_BEACON_BYTES
    )
    agent = classify(user_agent)
    now = datetime.now(UTC)
    visitor = await app[VISITORS].visitor(address, counted_agent, now)
    view = page_view(
        view_id=view_id(request, app[TRUSTED]),
        visitor=visitor,
        path=beacon.path,
        # Only an article content has live counts as one: a made-up id is a view of the path.
        article_id=beacon.article_id if app[READER].is_live(beacon.article_id) else None,
        referrer_host=referrer_host(beacon.referrer),
        is_bot=agent.is_bot,
        agent_family=agent.family,
        device=device_class(user_agent),
        viewed_at=now,
    )
    try:
        await app[BATCHER].record(view)
    except PublishFailed:
        raise Unavailable("the view could not be recorded; try again") from None
    return web.Response(status=204)


def view_id(request: web.Request, trusted: TrustedProxies) -> str | None:
    """The gateway's request id, which stays the same when the gateway sends the beacon to
    another replica; only the gateway's: a client could otherwise mute others' views."""
    request_id: str | None = request.get(REQUEST_ID)
    if request_id and from_trusted_proxy(request, trusted) and ID.fullmatch(request_id):
        return request_id
    return None


def referrer_host(referrer: str | None) -> str | None:
    """Only the host of the referrer is kept; a malformed one is dropped, not an error."""
    try:
        host = urlsplit(referrer).hostname if referrer else None
    except ValueError:
        return None
    return host if host is not None and HOST.fullmatch(host) else None
