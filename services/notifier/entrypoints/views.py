"""Public JSON handlers: sign up, confirm, unsubscribe (one click), preferences."""

from aiohttp import web

from services.notifier.domain.models import (
    PreferencesRequest,
    Subscriber,
    SubscribeRequest,
    require_sections,
)
from services.notifier.entrypoints.edge import token_email
from services.notifier.entrypoints.keys import LIMITS, SECTIONS, SIGNUPS, SUBSCRIPTIONS
from services.notifier.schemas import (
    CONFIRMED,
    RESUBSCRIBED,
    UNSUBSCRIBED,
    Answer,
    Preferences,
)
from shared.platform.http import json_response, read_model

# The same answer whether the address is new, pending, confirmed, unsubscribed or suppressed.
SUBSCRIBE_ANSWER = Answer(
    status="check_your_email",
    message="Nếu địa chỉ hợp lệ, một thư xác nhận sẽ được gửi tới hộp thư của bạn.",
)


async def subscribe(request: web.Request) -> web.Response:
    body = await read_model(request, SubscribeRequest)
    require_sections(body.sections, request.app[SECTIONS].current)  # shown ones only
    request.app[LIMITS].check(request)
    await request.app[SIGNUPS].sign_up(body)
    return json_response(SUBSCRIBE_ANSWER, status=202)


async def confirm(request: web.Request) -> web.Response:
    """POST only: a link scanner's GET must not confirm someone else's sign-up."""
    email = await token_email(request, "confirm")
    subscriber = await request.app[SUBSCRIPTIONS].confirm(email)
    if subscriber.status == "unsubscribed":
        return json_response(Answer(status="unsubscribed", message=UNSUBSCRIBED))
    return json_response(Answer(status="confirmed", message=CONFIRMED))


async def unsubscribe(request: web.Request) -> web.Response:
    """RFC 8058 one-click POST from a mail client (no cookie, no session), or the API."""
    email = await token_email(request, "unsubscribe")
    await request.app[SUBSCRIPTIONS].unsubscribe(email)
    return json_response(Answer(status="unsubscribed", message=UNSUBSCRIBED))


async def resubscribe(request: web.Request) -> web.Response:
    email = await token_email(request, "preferences")
    await request.app[SUBSCRIPTIONS].resubscribe(email)
    return json_response(Answer(status="confirmed", message=RESUBSCRIBED))


async def get_preferences(request: web.Request) -> web.Response:
    email = await token_email(request, "preferences")
    return json_response(to_preferences(await request.app[SUBSCRIPTIONS].get(email)))


async def put_preferences(request: web.Request) -> web.Response:
    email = await token_email(request, "preferences")
    change = await read_model(request, PreferencesRequest)
    sections = request.app[SECTIONS].current
    subscriber = await request.app[SUBSCRIPTIONS].change_preferences(email, change, sections)
    return json_response(to_preferences(subscriber))


def to_preferences(subscriber: Subscriber) -> Preferences:
    return Preferences(
        email=subscriber.email,
        status=subscriber.status,
        sections=subscriber.sections,
        paused=subscriber.paused,
        language=subscriber.language,
    )
