"""Page-view beacons: confirmed before 204 (or spooled while the broker is away), batched."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.content.entrypoints.keys import BATCHER
from tests.content_support import CuttableProxy, Probe, drop_topology, replica, settings_for
from tests.support import AMQP_URL, eventually

pytestmark = pytest.mark.integration

CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"


@pytest.fixture
async def probe(amqp: Any, exchange: str) -> AsyncIterator[Probe]:
    probe = await Probe.bind(amqp, exchange, "page.viewed")
    yield probe
    await drop_topology(amqp, exchange)


def viewed_paths(messages: list[dict[str, Any]]) -> list[str]:
    return [view["path"] for m in messages for view in m["data"]["views"]]


async def test_a_beacon_during_a_broker_outage_is_spooled_then_sent_once(
    exchange: str, db_name: str, probe: Probe
) -> None:
    proxy = CuttableProxy(AMQP_URL)
    await proxy.start()
    try:
        async with replica(settings_for(db_name, exchange, amqp_url=proxy.url)) as client:
            headers = {"User-Agent": CHROME, "Referer": "https://ignored.example"}
            body = '{"path": "/a", "article_id": "x1", "referrer": "https://www.google.com/q"}'
            accepted = await client.post("/api/views", data=body, headers=headers)
            assert accepted.status == 204
            [message] = await eventually(probe.drain, what="the accepted view")
            [view] = message["data"]["views"]
            assert view["path"] == "/a"
            assert view["referrer_host"] == "www.google.com"
            assert view["agent_family"] == "Chrome"
            assert view["is_bot"] is False
            assert "127.0.0.1" not in str(message)  # the address is hashed, never sent

            await proxy.cut()
            # The broker is away: the view is kept in the database and accepted.
            during = await client.post("/api/views", data='{"path": "/during"}')
            assert during.status == 204
            await proxy.start()

            async def during_arrived() -> bool:
                return "/during" in viewed_paths(await probe.drain())

            await eventually(during_arrived, timeout=30, what="the spooled view, sent")
            after = await client.post("/api/views", data='{"path": "/b"}')
            assert after.status == 204

            async def b_arrived() -> bool:
                return "/b" in viewed_paths(await probe.drain())

            await eventually(b_arrived, what="the view accepted after recovery")
            paths = viewed_paths(probe.messages)
            assert (paths.count("/a"), paths.count("/during"), paths.count("/b")) == (1, 1, 1)
    finally:
        await proxy.cut()


async def test_concurrent_beacons_share_messages_and_none_is_lost(
    exchange: str, db_name: str, probe: Probe
) -> None:
    async with replica(settings_for(db_name, exchange, view_batch_window_ms=5)) as client:
        paths = [f"/articles/{n}" for n in range(200)]
        answers = await asyncio.gather(
            *(client.post("/api/views", data=f'{{"path": "{path}"}}') for path in paths)
        )
        assert [answer.status for answer in answers] == [204] * len(paths)
        messages = client.app[BATCHER].messages
        assert messages < len(paths)

        async def all_views() -> bool:
            return len(viewed_paths(await probe.drain())) >= len(paths)

        await eventually(all_views, what="every view on the queue")
        assert sorted(viewed_paths(probe.messages)) == sorted(paths)
        assert len(probe.messages) == messages
