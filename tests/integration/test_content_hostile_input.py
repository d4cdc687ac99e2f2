"""Content at the edge, on the real database and broker: what a hostile client can send.

Regression tests of the hardening issue: made-up article ids, oversized beacons, one client
posing as thousands of visitors, control characters in text, and a poison entry in an
article's outbox. (A client that hangs up is tested on the services as processes, in
tests/e2e/test_hostile_input.py: aiohttp's test server cancels the handler instead.)
"""

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from services.content.adapters.outbox import REFUSALS
from services.content.entrypoints.keys import RELAY
from shared.contracts.events import PageView, PageViewed, encode, new_envelope
from shared.platform.db import Document
from tests.content_support import (
    AUTH,
    Client,
    Probe,
    create,
    drop_topology,
    error_of,
    publish,
    replica,
    settings_for,
)
from tests.support import eventually

pytestmark = pytest.mark.integration

CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"


@pytest.fixture
async def probe(amqp: Any, exchange: str) -> AsyncIterator[Probe]:
    """A queue on page.viewed and the article events: beacons are routable, events seen."""
    probe = await Probe.bind(amqp, exchange, "page.viewed", "article.*")
    yield probe
    await drop_topology(amqp, exchange)


@pytest.fixture
async def client(exchange: str, db_name: str) -> AsyncIterator[Client]:
    async with replica(settings_for(db_name, exchange)) as client:
        yield client


def views_of(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [view for m in messages if m["type"] == "page.viewed" for view in m["data"]["views"]]


async def test_a_nul_in_the_article_id_is_refused_and_views_go_on(
    client: Client, probe: Probe
) -> None:
    refused = await client.post("/api/views", data='{"path": "/", "article_id": "x\\u0000y"}')
    assert refused.status == 422
    assert (await error_of(refused))["details"][0]["field"] == "article_id"
    accepted = await client.post("/api/views", data='{"path": "/after"}')
    assert accepted.status == 204
    [view] = views_of(await eventually(probe.drain, what="the next view"))
    assert view["path"] == "/after"


async def test_only_a_live_article_id_counts_as_the_article_s_view(
    client: Client, probe: Probe
) -> None:
    live = await publish(client, "Tin đang đăng")
    draft = await create(client, "Bản nháp")
    made_up = uuid.uuid4().hex
    for article_id in (live["id"], draft["id"], made_up):
        body = json.dumps({"path": f"/articles/{article_id}", "article_id": article_id})
        assert (await client.post("/api/views", data=body)).status == 204

    async def three_views() -> list[dict[str, Any]]:
        found = views_of(await probe.drain())
        return found if len(found) == 3 else []

    found = await eventually(three_views, what="the three views")
    assert {view["path"]: view["article_id"] for view in found} == {
        f"/articles/{live['id']}": live["id"],
        f"/articles/{draft['id']}": None,  # not live: a view of its path, not of the article
        f"/articles/{made_up}": None,
    }


async def test_a_beacon_over_8_kb_is_refused_before_it_is_read(
    client: Client, probe: Probe
) -> None:
    body = json.dumps({"path": "/" + "a" * 9000})
    response = await client.post("/api/views", data=body)
    assert response.status == 413
    assert (await error_of(response))["code"] == "payload_too_large"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
        yield b'{"path": "/'
        for _ in range(100):
            yield b"a" * 1000
        yield b'"}'

    response = await client.post("/api/views", data=chunks())
    assert response.status == 413


async def test_one_client_is_rate_limited_and_cannot_pose_as_many_visitors(
    exchange: str, db_name: str, probe: Probe
) -> None:
    """2,000 beacons, each with its own User-Agent, from one address (the finding)."""
    settings = settings_for(
        db_name, exchange, beacon_burst=50, beacons_per_minute=60, visitors_per_address_per_hour=10
    )
    async with replica(settings) as client:
        statuses = []
        for n in range(2000):
            agent = f"{CHROME} build/{n}"
            response = await client.post(
                "/api/views", data='{"path": "/"}', headers={"User-Agent": agent}
            )
            statuses.append(response.status)
            if response.status == 429:
                assert (await error_of(response))["code"] == "too_many_requests"
        # The burst, then about one a second for as long as the loop ran.
        assert 50 <= statuses.count(204) < 50 + 60
        assert statuses.count(204) + statuses.count(429) == 2000

        async def all_views() -> list[dict[str, Any]]:
            found = views_of(await probe.drain())
            return found if len(found) == statuses.count(204) else []

        found = await eventually(all_views, what="every accepted view")
        # Ten distinct visitors, then every further user agent counts as one more, shared.
        assert len({view["visitor"] for view in found}) == 11


async def test_control_characters_are_stripped_from_text_and_refused_in_lines(
    client: Client, probe: Probe
) -> None:
    article = await publish(
        client, "Tin kiểm tra", lead="Dòng một\u0000\nDòng\u0007 hai\u009b", body="<p>a\u0000b</p>"
    )
    assert article["lead"] == "Dòng một\nDòng hai"
    assert article["body"] == "<p>ab</p>"

    async def published_event() -> list[dict[str, Any]]:
        return [m for m in await probe.drain() if m["type"] == "article.published"]

    [event] = await eventually(published_event, what="the article.published event")
    assert event["data"]["lead"] == "Dòng một\nDòng hai"  # what the emails are made of
    title = await client.post(
        "/api/articles", json={"title": "a\u0085b", "section": "thong-bao"}, headers=AUTH
    )
    assert title.status == 422
    assert (await client.get("/api/search", params={"q": "a\u0000b"})).status == 422
    assert (await client.get("/api/articles", params={"cursor": "a\nb"})).status == 422


async def test_an_outbox_entry_the_broker_keeps_refusing_is_set_aside(
    client: Client, amqp: Any, exchange: str, mongo: AsyncMongoClient[Document], db_name: str
) -> None:
    """A poison relay entry between good ones: an event nothing is bound to (a page.viewed
    in an article's outbox, on an exchange where no queue takes page.viewed)."""
    probe = await Probe.bind(amqp, exchange, "article.*")
    first = await publish(client, "Tin thứ nhất")
    data = PageViewed(views=[PageView(visitor="v" * 32, path="/", viewed_at=first["updated_at"])])
    envelope = new_envelope(data, "content")
    poison = {
        "event_id": str(envelope.event_id),
        "type": data.TYPE,
        "body": encode(envelope).decode(),
    }

    async def sent(article_id: str) -> bool:
        stored = await mongo[db_name]["articles"].find_one({"_id": article_id})
        return stored is not None and stored.get("outbox", []) == []

    # Pushed once the relay is done with the article: an update racing the relay's $pull
    # of the sent entry can be lost on FerretDB (the service itself writes under a lock).
    await eventually(lambda: sent(first["id"]), what="the first article's event sent")
    await mongo[db_name]["articles"].update_one({"_id": first["id"]}, {"$push": {"outbox": poison}})
    client.app[RELAY].wake(first["id"])
    second = await publish(client, "Tin thứ hai")

    async def second_published() -> bool:
        messages = await probe.drain()
        return any(m["data"].get("article_id") == second["id"] for m in messages)

    await eventually(second_published, what="the next article's event")
    items = await eventually(
        lambda: mongo[db_name]["quarantine"].find({"kind": "outbox"}).to_list(),
        timeout=30,
        what="the refused entry in quarantine",
    )
    assert [item["_id"] for item in items] == [f"outbox:{first['id']}:{envelope.event_id}"]
    assert "NO_ROUTE" in items[0]["reason"] or "route" in items[0]["reason"].lower()

    await eventually(lambda: sent(first["id"]), what="the entry out of the outbox")
    assert REFUSALS > 1


async def test_a_beacon_s_view_id_is_the_gateway_s_request_id_and_only_the_gateway_s(
    exchange: str, db_name: str, probe: Probe
) -> None:
    direct = {"X-Request-Id": "from-a-client-0001"}
    async with replica(settings_for(db_name, exchange)) as client:
        assert (
            await client.post("/api/views", data='{"path": "/d"}', headers=direct)
        ).status == 204
    behind = settings_for(db_name, exchange, trusted_proxies=["127.0.0.1/32"])
    async with replica(behind) as client:
        gateway = {"X-Request-Id": "0123456789abcdef0123456789abcdef"}
        assert (
            await client.post("/api/views", data='{"path": "/g"}', headers=gateway)
        ).status == 204

    async def both() -> list[dict[str, Any]]:
        found = views_of(await probe.drain())
        return found if len(found) == 2 else []

    ids = {view["path"]: view["view_id"] for view in await eventually(both, what="both views")}
    assert ids == {"/d": None, "/g": "0123456789abcdef0123456789abcdef"}
