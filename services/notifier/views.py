"""Public HTTP handlers: sign up, confirm, unsubscribe (one click), preferences, status."""

import asyncio
from datetime import UTC, datetime, timedelta

import structlog
from aiohttp import web

from services.notifier.keys import (
    COMPOSER,
    CONFIRMATION_LOCK,
    DELIVERIES,
    LIMITS,
    SENDER,
    SETTINGS,
    SIDE_TASKS,
    STATUS_CACHE,
    SUBSCRIBERS,
    SUPPRESSIONS,
)
from services.notifier.models import (
    Answer,
    DeliveryStatus,
    Preferences,
    PreferencesRequest,
    SubscribeRequest,
    TokenQuery,
)
from services.notifier.smtp import Permanent, Transient
from services.notifier.tokens import BadToken, verify
from shared.db import Document
from shared.errors import BadRequest, NotFound
from shared.http import json_response, read_model, read_query

log = structlog.get_logger(__name__)

# A second sign-up within this interval does not mail again, so the form cannot mail-bomb.
CONFIRMATION_INTERVAL = timedelta(minutes=10)
CONFIRMATION_TRIES = 3

# The same answer whether the address is new, pending, confirmed or suppressed.
SUBSCRIBE_ANSWER = Answer(
    status="check_your_email",
    message="Nếu địa chỉ hợp lệ, một thư xác nhận sẽ được gửi tới hộp thư của bạn.",
)


async def subscribe(request: web.Request) -> web.Response:
    body = await read_model(request, SubscribeRequest)
    request.app[LIMITS].check(request, body.email)
    await request.app[SUBSCRIBERS].add(body)
    # The same work for every address before answering; whether a confirmation is due (and
    # the slow write that records it) happens after, so timing tells nothing either.
    request.app[SIDE_TASKS].start(confirm_if_due(request.app, body.email))
    return json_response(SUBSCRIBE_ANSWER, status=202)


async def confirm_if_due(app: web.Application, email: str) -> None:
    """Mail a confirmation unless the address is confirmed, suppressed or mailed recently."""
    async with app[CONFIRMATION_LOCK]:  # two quick sign-ups on this replica: one email
        subscriber = await app[SUBSCRIBERS].get(email)
        if subscriber is None or subscriber["status"] == "confirmed":
            return
        if await app[SUPPRESSIONS].contains(email):
            return
        now = datetime.now(UTC)
        last = await app[SUBSCRIBERS].confirmation_sent_at(email)
        if last is not None and now - last < CONFIRMATION_INTERVAL:
            return
        await app[SUBSCRIBERS].mark_confirmation_sent(email, now)
    await send_confirmation(app, email, str(subscriber.get("language", "vi")))


async def send_confirmation(app: web.Application, email: str, language: str) -> None:
    sender, message = app[SENDER], app[COMPOSER].confirmation(email, language)
    for attempt in range(1, CONFIRMATION_TRIES + 1):
        try:
            async with sender.slot(during_drain=True) as connection:
                await sender.send(connection, email, message)
            return
        except Permanent as error:
            await app[SUPPRESSIONS].add(email, str(error))
            log.warning("confirmation.refused", error=str(error))
            return
        except Transient as error:
            log.warning("confirmation.retry", attempt=attempt, error=str(error))
            await _sleep_backoff(app, attempt)
    log.error("confirmation.gave_up")


async def _sleep_backoff(app: web.Application, attempt: int) -> None:
    await asyncio.sleep(app[SETTINGS].retry_base_seconds * 2 ** (attempt - 1))


async def token_email(request: web.Request, purpose: str) -> str:
    """The address a signed link was made for; 400 if forged, expired or for another use."""
    query = await read_query(request, TokenQuery)
    key = request.app[SETTINGS].signing_key.get_secret_value().encode()
    try:
        return verify(key, purpose, query.token)
    except BadToken as error:
        raise BadRequest(f"{error}: ask for a new link") from None


async def confirm(request: web.Request) -> web.Response:
    email = await token_email(request, "confirm")
    subscriber = await request.app[SUBSCRIBERS].confirm(email)
    if subscriber is None:
        raise NotFound("no such subscription")
    if subscriber["status"] == "unsubscribed":
        return json_response(Answer(status="unsubscribed", message=UNSUBSCRIBED))
    return json_response(Answer(status="confirmed", message=CONFIRMED))


async def unsubscribe(request: web.Request) -> web.Response:
    """RFC 8058 one-click POST from a mail client (no cookie, no session), or the API."""
    email = await token_email(request, "unsubscribe")
    await request.app[SUBSCRIBERS].set_status(email, "unsubscribed")
    log.info("subscriber.unsubscribed")
    return json_response(Answer(status="unsubscribed", message=UNSUBSCRIBED))


async def resubscribe(request: web.Request) -> web.Response:
    email = await token_email(request, "preferences")
    if await request.app[SUBSCRIBERS].set_status(email, "confirmed") is None:
        raise NotFound("no such subscription")
    return json_response(Answer(status="confirmed", message=RESUBSCRIBED))


async def get_preferences(request: web.Request) -> web.Response:
    email = await token_email(request, "preferences")
    subscriber = await request.app[SUBSCRIBERS].get(email)
    if subscriber is None:
        raise NotFound("no such subscription")
    return json_response(to_preferences(subscriber))


async def put_preferences(request: web.Request) -> web.Response:
    email = await token_email(request, "preferences")
    change = await read_model(request, PreferencesRequest)
    subscriber = await request.app[SUBSCRIBERS].set_preferences(email, change)
    if subscriber is None:
        raise NotFound("no such subscription")
    return json_response(to_preferences(subscriber))


def to_preferences(subscriber: Document) -> Preferences:
    return Preferences(
        email=subscriber["_id"],
        status=subscriber["status"],
        sections=subscriber.get("sections") or [],
        paused=bool(subscriber.get("paused")),
        language=subscriber.get("language", "vi"),
    )


async def delivery_status(request: web.Request) -> web.Response:
    """Public: counts only, so the editor's page can show how the sending goes. Counting
    scans the article's records, so one count per article serves everyone for half a second."""
    article_id = request.match_info["article_id"]
    status = await request.app[STATUS_CACHE].get(article_id, lambda: _count(request, article_id))
    return json_response(status)


async def _count(request: web.Request, article_id: str) -> DeliveryStatus:
    total, counts = await request.app[DELIVERIES].counts(article_id)
    return DeliveryStatus(article_id=article_id, total=total, deliveries=counts)


CONFIRMED = "Đăng ký nhận tin đã được xác nhận."
UNSUBSCRIBED = "Bạn đã hủy đăng ký nhận tin."
RESUBSCRIBED = "Bạn đã đăng ký nhận tin trở lại."
