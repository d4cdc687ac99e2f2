"""The subscription API end to end: sign-up, confirmation mail through the real SMTP sink
(Mailpit), confirm by the page's button, preferences, one-click unsubscribe, links of the
first token format, and bad input."""

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from services.notifier.app import create_app
from services.notifier.config import NotifierSettings
from services.notifier.domain.tokens import sign
from services.notifier.entrypoints.keys import COMPOSER, SUBSCRIBERS
from tests.notifier_support import SIGNING_KEY, delete_notifier_topology, legacy_token
from tests.support import AMQP_URL, MONGO_URL, SMTP_HOST, SMTP_PORT, Mailpit, eventually

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(exchange: str, db_name: str) -> AsyncIterator[TestClient[Any, Any]]:
    settings = NotifierSettings(
        amqp_url=AMQP_URL,
        mongo_url=MONGO_URL,
        mongo_db=db_name,
        exchange=exchange,
        smtp_host=SMTP_HOST,
        smtp_port=SMTP_PORT,
        signing_key=SIGNING_KEY,
    )
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client
    await delete_notifier_topology(exchange)


def local(url: str) -> str:
    """The path and query of a link the service made for its public URL."""
    return "/" + url.split("/", 3)[3]


async def status_of(client: TestClient[Any, Any], email: str) -> str:
    subscriber = await client.app[SUBSCRIBERS].get(email)
    assert subscriber is not None
    return str(subscriber.status)


async def test_double_opt_in_through_the_real_smtp_server(
    client: TestClient[Any, Any], mailpit: Mailpit, run_id: str
) -> None:
    address = f"hai-lan-{run_id}@example.vn"
    first = await client.post(
        "/api/subscribers", json={"email": address, "sections": ["thong-bao"]}
    )
    second = await client.post("/api/subscribers", json={"email": address.upper()})
    assert (first.status, second.status) == (202, 202)
    assert await first.json() == await second.json()
    mails = await eventually(lambda: mailpit.messages_to(address), what="the confirmation")
    assert len(mails) == 1, "a second sign-up within minutes must not mail again"
    message = await mailpit.message(mails[0]["ID"])
    headers = await mailpit.headers(mails[0]["ID"])
    assert message["Subject"] == "Xác nhận đăng ký nhận tin"
    assert headers["List-Unsubscribe-Post"] == ["List-Unsubscribe=One-Click"]
    assert headers["List-Unsubscribe"][0].startswith("<http")
    assert message["HTML"] and message["Text"]
    assert await status_of(client, address) == "pending"

    confirm = re.search(r"http\S+/subscriptions/confirm\?token=\S+", message["Text"])
    assert confirm
    page = await client.get(local(confirm.group(0)))
    assert page.status == 200
    button = re.search(r'<form method="post" action="([^"]+)">', await page.text())
    assert button, "the link shows a button"
    assert await status_of(client, address) == "pending", "opening the link confirms nothing"
    confirmed = await client.post(button.group(1).replace("&amp;", "&"))
    assert confirmed.status == 200
    assert "Đã xác nhận" in await confirmed.text()
    assert await status_of(client, address) == "confirmed"

    # The one-click URL of the confirmation's own header: a bare POST, no cookie, no body.
    one_click = headers["List-Unsubscribe"][0].strip("<>")
    response = await client.post(local(one_click))
    assert response.status == 200
    assert (await response.json())["status"] == "unsubscribed"
    assert await status_of(client, address) == "unsubscribed"

    # The confirmation link opened, or even its button pressed, again does not subscribe
    # them again.
    for method, path in (
        ("GET", local(confirm.group(0))),
        ("POST", local(confirm.group(0))),
        ("POST", local(confirm.group(0)).replace("/subscriptions/", "/api/subscribers/")),
    ):
        again = await client.request(method, path)
        assert again.status == 200
        assert await status_of(client, address) == "unsubscribed"


async def test_a_link_scanner_opening_the_confirmation_link_confirms_nothing(
    client: TestClient[Any, Any], run_id: str
) -> None:
    """Finding 1: only a POST (the page's button, or the JSON API) confirms."""
    address = f"quet-lien-ket-{run_id}@example.vn"
    await client.app[SUBSCRIBERS].add(address, [], "vi")
    link = local(client.app[COMPOSER].links.confirm(address))
    api = link.replace("/subscriptions/", "/api/subscribers/")
    for path in (link, api):  # the link in today's emails, and the older one
        page = await client.get(path, headers={"Accept": "text/html"})
        assert page.status == 200
        assert page.content_type == "text/html"
        text = await page.text()
        assert 'method="post"' in text and "Xác nhận đăng ký" in text
        assert await status_of(client, address) == "pending"

    answer = await client.post(api)
    assert answer.status == 200
    assert await answer.json() == {
        "status": "confirmed",
        "message": "Đăng ký nhận tin đã được xác nhận.",
    }
    assert await status_of(client, address) == "confirmed"


async def test_links_of_the_first_token_format_still_work(
    client: TestClient[Any, Any], run_id: str
) -> None:
    """Finding 4: emails already sent carry readable HMAC tokens; their links keep working."""
    key = SIGNING_KEY.encode()
    address = f"thu-cu-{run_id}@example.vn"
    await client.app[SUBSCRIBERS].add(address, [], "vi")

    confirm = f"/subscriptions/confirm?token={legacy_token(key, 'confirm', address, 3600)}"
    assert 'method="post"' in await (await client.get(confirm)).text()
    assert await status_of(client, address) == "pending"
    assert (await client.post(confirm)).status == 200
    assert await status_of(client, address) == "confirmed"

    preferences = legacy_token(key, "preferences", address, None, now=1_000_000)
    saved = await client.put(
        "/api/subscribers/preferences",
        params={"token": preferences},
        json={"sections": ["thong-bao"], "paused": False},
    )
    assert saved.status == 200
    assert (await saved.json())["sections"] == ["thong-bao"]

    unsubscribe = legacy_token(key, "unsubscribe", address, None, now=1_000_000)
    left = await client.post("/subscriptions/unsubscribe", params={"token": unsubscribe})
    assert left.status == 200
    assert await status_of(client, address) == "unsubscribed"


async def test_an_existing_address_gets_the_same_answer_as_a_new_one(
    client: TestClient[Any, Any], run_id: str
) -> None:
    known = f"da-co-{run_id}@example.vn"
    await client.app[SUBSCRIBERS].add(known, [], "vi")
    await client.app[SUBSCRIBERS].set_status(known, "confirmed")
    for address in (known, f"moi-{run_id}@example.vn"):
        response = await client.post("/api/subscribers", json={"email": address})
        assert response.status == 202
        assert (await response.json())["status"] == "check_your_email"


async def test_unsubscribe_link_shows_a_button_and_its_post_unsubscribes(
    client: TestClient[Any, Any], run_id: str
) -> None:
    address = f"ba-minh-{run_id}@example.vn"
    await client.app[SUBSCRIBERS].add(address, [], "vi")
    path = local(client.app[COMPOSER].links.unsubscribe(address))

    page = await client.get(path)
    assert page.status == 200
    assert 'method="post"' in await page.text()
    assert await status_of(client, address) == "pending", "a GET must change nothing"

    response = await client.post(path, headers={"Accept": "text/html"})
    assert response.status == 200
    assert "Đăng ký lại" in await response.text()
    assert await status_of(client, address) == "unsubscribed"

    # Resubscribing from the page the link leads to.
    resubscribe = local(client.app[COMPOSER].links.resubscribe(address))
    assert (await client.post(resubscribe)).status == 200
    assert await status_of(client, address) == "confirmed"


async def test_preferences_by_page_and_by_json(client: TestClient[Any, Any], run_id: str) -> None:
    address = f"tuy-chon-{run_id}@example.vn"
    await client.app[SUBSCRIBERS].add(address, [], "vi")
    await client.app[SUBSCRIBERS].set_status(address, "confirmed")
    link = local(client.app[COMPOSER].links.preferences(address))

    page = await client.get(link)
    assert page.status == 200
    assert 'name="sections"' in await page.text()
    saved = await client.post(link, data={"sections": ["dan-van", "thong-bao"], "paused": "1"})
    assert saved.status == 200
    api = link.replace("/subscriptions/", "/api/subscribers/")
    current = await (await client.get(api)).json()
    assert current["sections"] == ["dan-van", "thong-bao"]
    assert current["paused"] is True

    changed = await client.put(api, json={"sections": ["thong-bao"], "paused": False})
    assert changed.status == 200
    assert (await changed.json())["sections"] == ["thong-bao"]
    unknown = await client.put(api, json={"sections": ["khong-co"]})
    assert unknown.status == 422
    assert "unknown section" in (await unknown.json())["error"]["details"][0]["message"]


async def test_forged_expired_and_misused_tokens_are_refused(
    client: TestClient[Any, Any],
) -> None:
    key = SIGNING_KEY.encode()
    forged = sign(b"not the service's key" * 2, "unsubscribe", "x@example.vn", None)
    expired = sign(key, "confirm", "x@example.vn", 60, now=1_000_000)
    wrong_use = sign(key, "confirm", "x@example.vn", 3600)
    cases = [
        ("POST", "/subscriptions/unsubscribe", forged, "invalid token"),
        ("POST", "/api/subscribers/unsubscribe", forged, "invalid token"),
        ("GET", "/subscriptions/confirm", expired, "expired token"),
        ("POST", "/subscriptions/confirm", expired, "expired token"),
        ("GET", "/api/subscribers/confirm", expired, "expired token"),
        ("POST", "/api/subscribers/confirm", expired, "expired token"),
        ("POST", "/subscriptions/unsubscribe", wrong_use, "invalid token"),
        ("GET", "/subscriptions/preferences", "abc", "malformed token"),
        (
            "POST",
            "/subscriptions/unsubscribe",
            legacy_token(b"k" * 32, "unsubscribe", "x", None),
            "invalid token",
        ),
    ]
    for method, path, token, message in cases:
        response = await client.request(method, path, params={"token": token})
        assert response.status == 400, path
        assert message in (await response.json())["error"]["message"]
    missing = await client.get("/subscriptions/confirm")
    assert missing.status == 422


async def test_bad_sign_ups_get_a_json_4xx(client: TestClient[Any, Any]) -> None:
    cases: list[tuple[Any, int, str]] = [
        ({"email": "not-an-address"}, 422, "email"),
        ({"email": "a@example.vn", "sections": ["khong-co"]}, 422, "sections"),
        ({"email": "a@example.vn", "language": "fr"}, 422, "language"),
        ({"email": "a@example.vn", "extra": 1}, 422, "extra"),
    ]
    for body, status, field in cases:
        response = await client.post("/api/subscribers", json=body)
        assert response.status == status, body
        assert (await response.json())["error"]["details"][0]["field"] == field
    oversized = await client.post(
        "/api/subscribers",
        data=b'{"email": "' + b"a" * 300_000 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert oversized.status == 413
    not_json = await client.post(
        "/api/subscribers", data=b"{", headers={"Content-Type": "application/json"}
    )
    assert not_json.status == 400


async def test_control_characters_are_refused_everywhere_with_a_json_422(
    client: TestClient[Any, Any], run_id: str
) -> None:
    """Finding 6: tokens, forms and bodies (the admin routes' in test_notifier_delivery)."""
    address = f"ky-tu-{run_id}@example.vn"
    await client.app[SUBSCRIBERS].add(address, [], "vi")
    token = sign(SIGNING_KEY.encode(), "preferences", address, None)
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/subscriptions/preferences", {"params": {"token": token + "\x00"}}),
        ("POST", "/subscriptions/unsubscribe", {"params": {"token": "a\x1bb"}}),
        ("POST", "/api/subscribers/confirm", {"params": {"token": "a\u202eb"}}),
        (
            "POST",
            "/subscriptions/preferences",
            {"params": {"token": token}, "data": {"sections": "thong\x00-bao"}},
        ),
        (
            "PUT",
            "/api/subscribers/preferences",
            {"params": {"token": token}, "json": {"sections": ["thong\u2028bao"]}},
        ),
        ("POST", "/api/subscribers", {"json": {"email": "a\x00b@example.vn"}}),
    ]
    for method, path, options in cases:
        response = await client.request(method, path, **options)
        assert response.status == 422, (method, path, options)
        assert (await response.json())["error"]["code"] == "validation_error"


async def test_delivery_counts_are_refused_while_no_admin_token_is_set(
    client: TestClient[Any, Any],
) -> None:
    """Finding 5: like every admin route, 403 (disabled) without ADMIN_TOKEN."""
    response = await client.get("/api/deliveries/any-article")
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "forbidden"
