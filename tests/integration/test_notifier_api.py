"""The notifier HTTP API with the real database, broker and SMTP sink."""

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from services.notifier.app import create_app
from services.notifier.config import NotifierSettings
from services.notifier.keys import COMPOSER, SUBSCRIBERS
from services.notifier.tokens import sign
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
        signing_key="integration-signing-key-0123456789abcdef",
    )
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client


async def test_signing_up_twice_answers_the_same_and_mails_once(
    client: TestClient[Any, Any], mailpit: Mailpit, run_id: str
) -> None:
    address = f"hai-lan-{run_id}@example.vn"
    first = await client.post("/api/subscribers", json={"email": address})
    second = await client.post("/api/subscribers", json={"email": address.upper()})
    assert (first.status, second.status) == (202, 202)
    assert await first.json() == await second.json()
    mails = await eventually(lambda: mailpit.messages_to(address), what="the confirmation")
    assert len(mails) == 1, "a second sign-up within minutes must not mail again"
    message = await mailpit.message(mails[0]["ID"])
    headers = await mailpit.headers(mails[0]["ID"])
    assert message["Subject"] == "Xác nhận đăng ký nhận tin"
    assert headers["List-Unsubscribe-Post"] == ["List-Unsubscribe=One-Click"]
    assert message["HTML"] and message["Text"]

    confirm = re.search(r"http\S+/api/subscribers/confirm\?token=\S+", message["Text"])
    assert confirm
    path = confirm.group(0).split("/", 3)[3]
    assert (await client.get(f"/{path}")).status == 200


async def test_bad_input_gets_a_json_4xx(client: TestClient[Any, Any]) -> None:
    response = await client.post("/api/subscribers", json={"email": "not-an-address"})
    assert response.status == 422
    assert (await response.json())["error"]["details"][0]["field"] == "email"
    forged = sign(b"not the service's key" * 2, "confirm", "x@example.vn", 3600)
    response = await client.get("/api/subscribers/confirm", params={"token": forged})
    assert response.status == 400
    assert "invalid token" in (await response.json())["error"]["message"]
    assert (await client.get("/api/subscribers/confirm")).status == 400


async def test_unsubscribe_link_shows_a_button_and_post_unsubscribes(
    client: TestClient[Any, Any], run_id: str
) -> None:
    address = f"ba-minh-{run_id}@example.vn"
    await client.post("/api/subscribers", json={"email": address})
    link = client.app[COMPOSER].links.unsubscribe(address)
    path = "/" + link.split("/", 3)[3]

    page = await client.get(path)
    assert page.status == 200
    assert 'method="post"' in await page.text()
    subscribers = client.app[SUBSCRIBERS]
    assert (await subscribers.subscribers.find_one({"_id": address}))["status"] == "pending"

    # RFC 8058: a bare POST, no cookie, no body.
    response = await client.post(path)
    assert response.status == 200
    assert (await subscribers.subscribers.find_one({"_id": address}))["status"] == "unsubscribed"
