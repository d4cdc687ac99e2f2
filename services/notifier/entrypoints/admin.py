"""Admin API (bearer ADMIN_TOKEN): delivery counts, "retry failed", subscribers (and their
import and export as CSV), suppressions."""

from contextlib import aclosing
from datetime import UTC, datetime

import structlog
from aiohttp import web

from services.notifier import schemas
from services.notifier.domain.migration import MAX_IMPORT_BYTES
from services.notifier.entrypoints.edge import path_text, require_admin
from services.notifier.entrypoints.keys import (
    DELIVERIES,
    FANOUT,
    MIGRATION,
    STATUS_CACHE,
    SUBSCRIBERS,
    SUBSCRIPTIONS,
    SUPPRESSIONS,
)
from shared.platform.http import json_error, json_response, read_body, read_query

log = structlog.get_logger(__name__)


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


async def import_subscribers(request: web.Request) -> web.Response:
    """A CSV file of confirmed subscribers from an old portal: imported, nobody mailed."""
    require_admin(request)
    charset = (request.charset or "utf-8").lower()
    if request.content_type != "text/csv" or charset not in ("utf-8", "utf8"):
        return json_error(
            415, "unsupported_media_type", "expected Content-Type: text/csv; charset=utf-8"
        )
    data = await read_body(request, MAX_IMPORT_BYTES)
    summary = await request.app[MIGRATION].import_csv(data)
    refusals = [
        schemas.RefusedRow(line=refusal.line, reason=refusal.reason) for refusal in summary.refusals
    ]
    return json_response(
        schemas.ImportAnswer(
            rows=summary.rows,
            imported=summary.imported,
            updated=summary.updated,
            unchanged=summary.unchanged,
            left_out=summary.left_out,
            refused=summary.refused,
            refusals=refusals,
        )
    )


async def export_subscribers(request: web.Request) -> web.StreamResponse:
    """The subscribers as a CSV attachment, written out as they are read."""
    require_admin(request)
    query = await read_query(request, schemas.ExportQuery)
    export = request.app[MIGRATION].export_csv(everyone=query.status == "all")
    name = f"subscribers-{query.status}-{datetime.now(UTC):%Y%m%d-%H%M%S}.csv"
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        }
    )
    async with aclosing(aiter(export)) as chunks:
        # The first piece is read before answering: a database that is down is still a 503.
        first = await anext(chunks)
        await response.prepare(request)
        try:
            await response.write(first.encode())
            async for chunk in chunks:
                await response.write(chunk.encode())
        except ConnectionResetError:
            raise  # the client went away: there is nobody to tell
        except Exception:
            # The answer has begun, so no error can follow it: cut the connection, and the
            # client sees an unfinished download instead of a file that looks whole.
            log.exception("subscribers.export_cut")
            if request.transport is not None:
                request.transport.abort()
            return response
    await response.write_eof()
    return response
