"""Admin API (bearer ADMIN_TOKEN): subscribers, suppressions, "retry failed"."""

import uuid

import structlog
from aiohttp import web

from services.notifier.keys import DELIVERIES, FANOUT, SETTINGS, SUBSCRIBERS, SUPPRESSIONS
from services.notifier.models import (
    RetryAnswer,
    Subscriber,
    SubscriberList,
    SubscriberListQuery,
    Suppression,
    SuppressionList,
)
from shared.errors import NotFound
from shared.http import json_response, read_query, require_admin_token

log = structlog.get_logger(__name__)


def require_admin(request: web.Request) -> None:
    require_admin_token(request, request.app[SETTINGS].admin_token)


async def list_subscribers(request: web.Request) -> web.Response:
    require_admin(request)
    query = await read_query(request, SubscriberListQuery)
    found = await request.app[SUBSCRIBERS].page(query.status, query.after, query.limit)
    suppressed = await request.app[SUPPRESSIONS].emails()
    subscribers = [
        Subscriber(
            email=doc["_id"],
            status=doc["status"],
            sections=doc.get("sections") or [],
            paused=bool(doc.get("paused")),
            language=doc.get("language", "vi"),
            suppressed=doc["_id"] in suppressed,
        )
        for doc in found
    ]
    after = subscribers[-1].email if len(subscribers) == query.limit else None
    return json_response(SubscriberList(subscribers=subscribers, next=after))


async def list_suppressions(request: web.Request) -> web.Response:
    require_admin(request)
    found = await request.app[SUPPRESSIONS].all()
    return json_response(
        SuppressionList(
            suppressions=[
                Suppression(
                    email=doc["_id"],
                    reason=doc.get("reason", ""),
                    suppressed_at=doc["suppressed_at"].isoformat(),
                )
                for doc in found
            ]
        )
    )


async def lift_suppression(request: web.Request) -> web.Response:
    require_admin(request)
    email = request.match_info["email"].lower()
    if not await request.app[SUPPRESSIONS].lift(email):
        raise NotFound("this address is not suppressed")
    log.info("suppression.lifted")
    return web.Response(status=204)


async def retry_failed(request: web.Request) -> web.Response:
    """Queue again every delivery of the article whose attempts all failed transiently."""
    require_admin(request)
    article_id = request.match_info["article_id"]
    deliveries = request.app[DELIVERIES]
    article = await deliveries.article(article_id)
    if article is None:
        raise NotFound("no deliveries for this article")
    failed = await deliveries.failed(article_id)
    if failed:
        limit = max(failed.values()) + request.app[SETTINGS].max_attempts
        emails = sorted(failed)
        languages = await request.app[SUBSCRIBERS].languages(emails)
        await request.app[FANOUT].enqueue(article, emails, languages, limit, uuid.uuid4())
    log.info("deliveries.retry_queued", article_id=article_id, queued=len(failed))
    return json_response(RetryAnswer(article_id=article_id, queued=len(failed)), status=202)
