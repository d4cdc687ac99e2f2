"""Admin API (bearer ADMIN_TOKEN): delivery counts, "retry failed", subscribers, suppressions."""

import uuid

import structlog
from aiohttp import web

from services.notifier.keys import (
    DELIVERIES,
    FANOUT,
    SETTINGS,
    STATUS_CACHE,
    SUBSCRIBERS,
    SUPPRESSIONS,
)
from services.notifier.models import (
    MAX_ADDRESS_LENGTH,
    DeliveryStatus,
    RetryAnswer,
    Subscriber,
    SubscriberList,
    SubscriberListQuery,
    Suppression,
    SuppressionList,
)
from shared.contracts.errors import Invalid, NotFound
from shared.contracts.text import is_one_line
from shared.platform.http import json_response, read_query, require_admin_token

log = structlog.get_logger(__name__)


def require_admin(request: web.Request) -> None:
    require_admin_token(request, request.app[SETTINGS].admin_token)


def path_text(request: web.Request, name: str) -> str:
    """A path parameter; 422 if it holds a control character or is longer than an address."""
    value = request.match_info[name]
    if not is_one_line(value) or len(value) > MAX_ADDRESS_LENGTH:
        raise Invalid(
            "path parameters do not match the schema",
            [{"field": name, "message": "control characters or too long"}],
        )
    return value


async def delivery_status(request: web.Request) -> web.Response:
    """Counts by state, for editors (through content) and admins: who got what is not public.
    Counting scans the article's records, so one count per article serves all for 0.5 s."""
    require_admin(request)
    article_id = path_text(request, "article_id")
    status = await request.app[STATUS_CACHE].get(article_id, lambda: _count(request, article_id))
    return json_response(status)


async def _count(request: web.Request, article_id: str) -> DeliveryStatus:
    total, counts = await request.app[DELIVERIES].counts(article_id)
    return DeliveryStatus(article_id=article_id, total=total, deliveries=counts)


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
    email = path_text(request, "email").lower()
    if not await request.app[SUPPRESSIONS].lift(email):
        raise NotFound("this address is not suppressed")
    log.info("suppression.lifted")
    return web.Response(status=204)


async def retry_failed(request: web.Request) -> web.Response:
    """Queue again every delivery of the article whose attempts all failed transiently."""
    require_admin(request)
    article_id = path_text(request, "article_id")
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
