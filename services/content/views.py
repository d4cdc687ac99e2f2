"""HTTP handlers of the content service: the write API, the read API, the beacon, the pages."""

import hmac
from datetime import UTC, datetime
from urllib.parse import urlsplit

import structlog
from aiohttp import web

from services.content.keys import BUS, RELAY, SETTINGS, STORE, VISITORS
from services.content.models import Article, ArticleDraft, ArticleList, ViewBeacon
from services.content.visitors import client_ip, is_bot
from shared.bus import PublishFailed
from shared.db import Document
from shared.errors import BadRequest, Unauthorized, Unavailable
from shared.events import PageView, PageViewed, new_envelope
from shared.http import json_response, read_model

log = structlog.get_logger(__name__)

MAX_LIST = 50


def require_editor(request: web.Request) -> str:
    expected = request.app[SETTINGS].editor_token.get_secret_value()
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), expected.encode()):
        raise Unauthorized("a valid editor bearer token is required")
    return "editor"


def to_article(request: web.Request, document: Document) -> Article:
    url = request.app[STORE].url_for(document["slug"])
    return Article.model_validate({**document, "id": document["_id"], "url": url})


async def create_article(request: web.Request) -> web.Response:
    editor = require_editor(request)
    draft = await read_model(request, ArticleDraft)
    document = await request.app[STORE].create(draft, editor)
    return json_response(to_article(request, document), status=201)


async def publish_article(request: web.Request) -> web.Response:
    editor = require_editor(request)
    document = await request.app[STORE].publish(request.match_info["article_id"], editor)
    request.app[RELAY].wake()
    return json_response(to_article(request, document))


async def get_article(request: web.Request) -> web.Response:
    document = await request.app[STORE].get_published_by_slug(request.match_info["slug"])
    return json_response(to_article(request, document))


async def list_articles(request: web.Request) -> web.Response:
    try:
        limit = int(request.query.get("limit", "20"))
    except ValueError:
        raise BadRequest("limit must be an integer") from None
    if not 1 <= limit <= MAX_LIST:
        raise BadRequest(f"limit must be between 1 and {MAX_LIST}")
    documents = await request.app[STORE].latest(limit)
    items = [to_article(request, d) for d in documents]
    return json_response(ArticleList(items=items))


async def record_view(request: web.Request) -> web.Response:
    """Answer only after the broker confirmed the view, so an accepted view is never lost."""
    # sendBeacon posts text/plain, so the body is read as JSON whatever its declared type.
    beacon = await read_model(request, ViewBeacon, require_json_type=False)
    settings = request.app[SETTINGS]
    user_agent = request.headers.get("User-Agent", "")
    now = datetime.now(UTC)
    view = PageView(
        visitor=await request.app[VISITORS].visitor(
            client_ip(request, settings.trusted_proxies), user_agent, now
        ),
        path=beacon.path,
        article_id=beacon.article_id,
        referrer_host=referrer_host(beacon.referrer),
        is_bot=is_bot(user_agent),
        viewed_at=now,
    )
    try:
        await request.app[BUS].publish(new_envelope(PageViewed(views=[view]), "content"))
    except PublishFailed as error:
        log.warning("beacon.refused", error=str(error))
        raise Unavailable("the view could not be recorded; try again") from None
    return web.Response(status=204)


def referrer_host(referrer: str | None) -> str | None:
    """Only the host of the referrer is kept; a malformed one is dropped, not an error."""
    try:
        return urlsplit(referrer).hostname if referrer else None
    except ValueError:
        return None
