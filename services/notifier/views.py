"""Public HTTP handlers: sign up, confirm, unsubscribe (one click), preferences."""

import structlog
from aiohttp import web

from services.notifier.keys import LIMITS, SETTINGS, SIDE_TASKS, SIGNUPS, SUBSCRIBERS
from services.notifier.models import (
    Answer,
    Preferences,
    PreferencesRequest,
    SubscribeRequest,
    TokenQuery,
)
from services.notifier.tokens import BadToken, Purpose, verify
from shared.contracts.errors import Malformed, NotFound
from shared.platform.db import Document
from shared.platform.http import json_response, read_model, read_query

log = structlog.get_logger(__name__)

# The same answer whether the address is new, pending, confirmed, unsubscribed or suppressed.
SUBSCRIBE_ANSWER = Answer(
    status="check_your_email",
    message="Nếu địa chỉ hợp lệ, một thư xác nhận sẽ được gửi tới hộp thư của bạn.",
)


async def subscribe(request: web.Request) -> web.Response:
    body = await read_model(request, SubscribeRequest)
    request.app[LIMITS].check(request)
    signups = request.app[SIGNUPS]
    # One insert, the same for every address, then the answer; the subscriber, whether a
    # confirmation is due and the email come after it, so neither the body nor the timing
    # says anything about the address.
    request_id = await signups.receive(body)
    request.app[SIDE_TASKS].start(signups.process_later(request_id))
    return json_response(SUBSCRIBE_ANSWER, status=202)


async def token_email(request: web.Request, purpose: Purpose) -> str:
    """The address a link's token was made for; 400 if forged, expired or for another use."""
    query = await read_query(request, TokenQuery)
    key = request.app[SETTINGS].signing_key.get_secret_value().encode()
    try:
        return verify(key, purpose, query.token)
    except BadToken as error:
        raise Malformed(f"{error}: ask for a new link") from None


async def confirm(request: web.Request) -> web.Response:
    """POST only: a link scanner's GET must not confirm someone else's sign-up."""
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


CONFIRMED = "Đăng ký nhận tin đã được xác nhận."
UNSUBSCRIBED = "Bạn đã hủy đăng ký nhận tin."
RESUBSCRIBED = "Bạn đã đăng ký nhận tin trở lại."
