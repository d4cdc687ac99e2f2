"""HTTP handlers of the notifier: subscribe, confirm, unsubscribe, delivery status."""

import html
from datetime import UTC, datetime

import structlog
from aiohttp import web

from services.notifier.keys import COMPOSER, DELIVERIES, MAILER, SETTINGS, SIDE_TASKS, SUBSCRIBERS
from services.notifier.models import SubscribeRequest
from services.notifier.tokens import BadToken, verify
from shared.errors import BadRequest, NotFound
from shared.http import json_response, read_model

log = structlog.get_logger(__name__)

# The same answer whether the address is new, pending or confirmed: nothing is revealed.
SUBSCRIBE_ANSWER = {
    "status": "check_your_email",
    "message": "Nếu địa chỉ hợp lệ, một thư xác nhận sẽ được gửi tới hộp thư của bạn.",
}


async def subscribe(request: web.Request) -> web.Response:
    body = await read_model(request, SubscribeRequest)
    subscribers = request.app[SUBSCRIBERS]
    subscriber = await subscribers.add(body)
    email = str(subscriber["email"])
    if subscriber["status"] != "confirmed" and await subscribers.confirmation_due(
        subscriber, datetime.now(UTC)
    ):
        message = request.app[COMPOSER].confirmation(email)
        # Sent after answering, so the response time does not tell new from known addresses.
        request.app[SIDE_TASKS].start(request.app[MAILER].send_one(message))
    return json_response(SUBSCRIBE_ANSWER, status=202)


def _token_email(request: web.Request, purpose: str) -> str:
    token = request.query.get("token", "")
    if not token:
        raise BadRequest("missing token")
    key = request.app[SETTINGS].signing_key.get_secret_value().encode()
    try:
        return verify(key, purpose, token)
    except BadToken as error:
        raise BadRequest(f"{error}: ask for a new link") from None


async def confirm(request: web.Request) -> web.Response:
    email = _token_email(request, "confirm")
    if not await request.app[SUBSCRIBERS].set_status(email, "confirmed"):
        raise NotFound("no such subscription")
    return json_response({"status": "confirmed", "message": "Đăng ký nhận tin đã được xác nhận."})


async def unsubscribe_page(request: web.Request) -> web.Response:
    """The email's link: a page with a button, because link scanners GET every link."""
    _token_email(request, "unsubscribe")
    page = UNSUBSCRIBE_PAGE.format(action=html.escape(request.path_qs, quote=True))
    return web.Response(text=page, content_type="text/html")


async def unsubscribe(request: web.Request) -> web.Response:
    """The page's button, or RFC 8058 one-click POST from a mail client: no cookie, no session."""
    email = _token_email(request, "unsubscribe")
    await request.app[SUBSCRIBERS].set_status(email, "unsubscribed")
    return json_response({"status": "unsubscribed", "message": "Bạn đã hủy đăng ký nhận tin."})


UNSUBSCRIBE_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Hủy đăng ký nhận tin</title></head>
<body><h1>Hủy đăng ký nhận tin</h1>
<form method="post" action="{action}"><button type="submit">Hủy đăng ký</button></form>
</body></html>"""


async def delivery_status(request: web.Request) -> web.Response:
    article_id = request.match_info["article_id"]
    counts = await request.app[DELIVERIES].count_by_state(article_id)
    return json_response({"article_id": article_id, "deliveries": counts})
