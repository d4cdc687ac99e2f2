"""The content HTTP API on the real database and broker: statuses and JSON error bodies."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from services.content.app import create_app
from services.content.config import ContentSettings
from tests.support import AMQP_URL, MONGO_URL

pytestmark = pytest.mark.integration

TOKEN = "integration-editor-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def client(exchange: str, db_name: str) -> AsyncIterator[TestClient[Any, Any]]:
    settings = ContentSettings(
        amqp_url=AMQP_URL,
        mongo_url=MONGO_URL,
        mongo_db=db_name,
        exchange=exchange,
        editor_token=TOKEN,
    )
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client


async def error_of(response: Any) -> dict[str, Any]:
    error: dict[str, Any] = (await response.json())["error"]
    return error


async def test_write_api_needs_the_editor_token(client: TestClient[Any, Any]) -> None:
    response = await client.post("/api/articles", json={"title": "x", "section": "y"})
    assert response.status == 401
    assert (await error_of(response))["code"] == "unauthorized"
    wrong = {"Authorization": "Bearer not-the-token"}
    response = await client.post("/api/articles", json={}, headers=wrong)
    assert response.status == 401


async def test_bad_bodies_get_400_or_422_with_the_fields(client: TestClient[Any, Any]) -> None:
    response = await client.post(
        "/api/articles", data="{oops", headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status == 400
    response = await client.post("/api/articles", json={"title": ""}, headers=AUTH)
    assert response.status == 422
    fields = {detail["field"] for detail in (await error_of(response))["details"]}
    assert fields == {"title", "section"}
    response = await client.post("/api/articles", json={"title": "x" * 1_000_000}, headers=AUTH)
    assert response.status == 413


async def test_a_draft_is_hidden_until_published(client: TestClient[Any, Any]) -> None:
    draft = {"title": "Hội nghị Đà Nẵng", "section": "Tin tức", "lead": "Tóm tắt"}
    created = await client.post("/api/articles", json=draft, headers=AUTH)
    assert created.status == 201
    article = await created.json()
    assert article["slug"] == "hoi-nghi-da-nang"
    assert (await client.get("/api/articles/hoi-nghi-da-nang")).status == 404

    published = await client.post(f"/api/articles/{article['id']}/publish", headers=AUTH)
    assert published.status == 200
    assert (await published.json())["status"] == "published"
    response = await client.get("/api/articles/hoi-nghi-da-nang")
    assert response.status == 200
    assert (await response.json())["title"] == "Hội nghị Đà Nẵng"
    listed = await (await client.get("/api/articles?limit=5")).json()
    assert [item["id"] for item in listed["items"]] == [article["id"]]
    page = await client.get("/articles/hoi-nghi-da-nang")
    assert "Hội nghị Đà Nẵng" in await page.text()


async def test_unknown_article_and_bad_limit(client: TestClient[Any, Any]) -> None:
    response = await client.post("/api/articles/nope/publish", headers=AUTH)
    assert response.status == 404
    assert (await error_of(response))["code"] == "not_found"
    assert (await client.get("/api/articles?limit=0")).status == 400
    assert (await client.get("/api/articles?limit=abc")).status == 400


async def test_beacon_is_refused_with_503_when_no_queue_takes_it(
    client: TestClient[Any, Any],
) -> None:
    # Nothing consumes page.viewed on this test's own exchange, so the broker returns the
    # message: the beacon must say so rather than pretend the view was recorded.
    response = await client.post("/api/views", data='{"path": "/"}')
    assert response.status == 503
    assert (await error_of(response))["code"] == "unavailable"
    response = await client.post("/api/views", data='{"path": "no-slash"}')
    assert response.status == 422
