"""Admin API (bearer ADMIN_TOKEN): delivery counts, "retry failed", subscribers, suppressions."""

from aiohttp import web

from services.notifier import schemas
from services.notifier.entrypoints.edge import path_text, require_admin
from services.notifier.entrypoints.keys import (
    DELIVERIES,
    FANOUT,
    STATUS_CACHE,
    SUBSCRIBERS,
    SUBSCRIPTIONS,
    SUPPRESSIONS,
)
from shared.platform.http import json_response, read_query


async def delivery_status(request: web.Request) -> web.Response:
    """Counts by state, for editors (through content) and admins: who got what is not public.
    Counting scans the article's records, so one count per article serves all for 0.5 s."""
    require_admin(request)
    article_id = path_text(request, "article_id")
    status = await request.app[STATUS_CACHE].get(article_id, lambda: _count(request, article_id))
    return json_response(status)


async def _count(request: web.Request, article_id: str) -> schemas.DeliveryStatus:
    total, counts = await request.app[DELIVERIES].counts(article_id)
    return schemas.DeliveryStatus(article_id=article_id, total=total, deliveries=counts)


async def list_subscribers(request: web.Request) -> web.Response:
    require_admin(request)
    query = await read_query(request, schemas.SubscriberListQuery)
    found = await request.app[SUBSCRIBERS].page(query.status, query.after, query.limit)
    suppressed = await request.app[SUPPRESSIONS].emails()
    subscribers = [
        schemas.Subscriber(
            email=subscriber.email,
            status=subscriber.status,
            sections=subscriber.sections,
            paused=subscriber.paused,
            language=subscriber.language,
            suppressed=subscriber.email in suppressed,
        )
        for subscriber in found
    ]
    after = subscribers[-1].email if len(subscribers) == query.limit else None
    return json_response(schemas.SubscriberList(subscribers=subscribers, next=after))


async def list_suppressions(request: web.Request) -> web.Response:
    require_admin(request)
    found = await request.app[SUPPRESSIONS].all()
    suppressions = [
        schemas.Suppression(
            email=suppression.email,
            reason=suppression.reason,
            suppressed_at=suppression.suppressed_at.isoformat(),
        )
        for suppression in found
    ]
    return json_response(schemas.SuppressionList(suppressions=suppressions))


async def lift_suppression(request: web.Request) -> web.Response:
    require_admin(request)
    email = path_text(request, "email").lower()
    await request.app[SUBSCRIPTIONS].lift_suppression(email)
    return web.Response(status=204)


async def retry_failed(request: web.Request) -> web.Response:
    """Queue again every delivery of the article whose attempts all failed transiently."""
    require_admin(request)
    article_id = path_text(request, "article_id")
    queued = await request.app[FANOUT].retry_failed(article_id)
    return json_response(schemas.RetryAnswer(article_id=article_id, queued=queued), status=202)
