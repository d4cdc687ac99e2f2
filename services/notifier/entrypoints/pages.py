"""The pages a subscriber's browser reaches from the links in an email (`/subscriptions/...`).

GET never changes anything (link scanners fetch every link); each change is a form POST.
"""

from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from pydantic import ValidationError

from services.notifier.domain.compose import TEMPLATES
from services.notifier.domain.models import PreferencesRequest, Subscriber
from services.notifier.entrypoints.edge import token_email
from services.notifier.entrypoints.keys import COMPOSER, SECTIONS, SUBSCRIPTIONS
from services.notifier.schemas import CONFIRMED, RESUBSCRIBED, UNSUBSCRIBED, Answer
from shared.contracts.errors import Invalid
from shared.platform.http import json_response


def _local(url: str) -> str:
    """A link's path and query: a form posts back to the host the page came from."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _page(status: int = 200, **context: Any) -> web.Response:
    context.setdefault("action", None)
    context.setdefault("preferences_url", None)
    text = TEMPLATES.get_template("page.html").render(context)
    return web.Response(text=text, status=status, content_type="text/html")


async def confirm_page(request: web.Request) -> web.Response:
    """The confirmation link (and its older `/api/subscribers/confirm` form): a button that
    POSTs back. Mail providers' link scanners GET every link, so a GET that confirmed would
    let anyone subscribe someone else's address: sign it up, and the scanner confirms."""
    await token_email(request, "confirm")  # a dead link says so now, not after the click
    return _page(
        heading="Xác nhận đăng ký nhận tin",
        message="Bấm nút dưới đây để xác nhận bạn muốn nhận tin mới qua thư điện tử.",
        action=f"/subscriptions/confirm?{request.rel_url.raw_query_string}",
        button="Xác nhận đăng ký",
    )


async def confirm_form(request: web.Request) -> web.Response:
    """The page's button: confirms a pending sign-up."""
    email = await token_email(request, "confirm")
    subscriber = await request.app[SUBSCRIPTIONS].confirm(email)
    preferences_url = request.app[COMPOSER].links.preferences(email)
    if subscriber.status == "unsubscribed":
        return _page(
            heading="Đã hủy đăng ký", message=UNSUBSCRIBED, preferences_url=preferences_url
        )
    return _page(heading="Đã xác nhận", message=CONFIRMED, preferences_url=preferences_url)


async def unsubscribe_page(request: web.Request) -> web.Response:
    """The email's link: a button that POSTs back, because link scanners GET every link."""
    await token_email(request, "unsubscribe")
    return _page(
        heading="Hủy đăng ký nhận tin",
        message="Bấm nút dưới đây để không nhận thư từ chúng tôi nữa.",
        action=request.path_qs,
        button="Hủy đăng ký",
    )


async def unsubscribe_form(request: web.Request) -> web.Response:
    """The page's button, or RFC 8058 one-click POST: a page for browsers, JSON otherwise."""
    email = await token_email(request, "unsubscribe")
    await request.app[SUBSCRIPTIONS].unsubscribe(email)
    if "text/html" not in request.headers.get("Accept", ""):
        return json_response(Answer(status="unsubscribed", message=UNSUBSCRIBED))
    links = request.app[COMPOSER].links
    return _page(
        heading="Đã hủy đăng ký",
        message=UNSUBSCRIBED,
        action=_local(links.resubscribe(email)),
        button="Đăng ký lại",
    )


async def resubscribe_form(request: web.Request) -> web.Response:
    email = await token_email(request, "preferences")
    await request.app[SUBSCRIPTIONS].resubscribe(email)
    links = request.app[COMPOSER].links
    return _page(
        heading="Đã đăng ký lại", message=RESUBSCRIBED, preferences_url=links.preferences(email)
    )


async def preferences_page(request: web.Request) -> web.Response:
    email = await token_email(request, "preferences")
    subscriber = await request.app[SUBSCRIPTIONS].get(email)
    return _preferences(request, subscriber, saved=False)


async def preferences_form(request: web.Request) -> web.Response:
    email = await token_email(request, "preferences")
    change = await _read_preferences_form(request)
    sections = request.app[SECTIONS].current
    subscriber = await request.app[SUBSCRIPTIONS].change_preferences(email, change, sections)
    return _preferences(request, subscriber, saved=True)


async def _read_preferences_form(request: web.Request) -> PreferencesRequest:
    form = await request.post()
    try:
        return PreferencesRequest(
            sections=[str(value) for value in form.getall("sections", [])],
            paused=form.get("paused") in ("1", "on", "true"),
        )
    except ValidationError as error:
        details = [
            {"field": ".".join(map(str, e["loc"])), "message": e["msg"]}
            for e in error.errors(include_url=False, include_input=False)
        ]
        raise Invalid("the form does not match the schema", details) from None


def _preferences(request: web.Request, subscriber: Subscriber, saved: bool) -> web.Response:
    links = request.app[COMPOSER].links
    text = TEMPLATES.get_template("preferences.html").render(
        email=subscriber.email,
        saved=saved,
        status=subscriber.status,
        sections=request.app[SECTIONS].current.visible,
        chosen=set(subscriber.sections),
        paused=subscriber.paused,
        action=request.path_qs,
        resubscribe_action=_local(links.resubscribe(subscriber.email)),
        unsubscribe_url=links.unsubscribe(subscriber.email),
    )
    return web.Response(text=text, content_type="text/html")
