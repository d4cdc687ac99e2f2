"""RabbitMQ goes down and comes back: the outbox keeps every event until it is confirmed."""

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client import REGISTRY
from pymongo import AsyncMongoClient

from services.content.models import ArticleDraft
from services.content.outbox import OutboxRelay
from services.content.store import ArticleStore
from shared.bus import Bus
from shared.db import Document
from shared.events import ArticlePublished, Envelope
from tests.integration.conftest import broker
from tests.support import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
def broker_restored() -> Iterator[None]:
    """Whatever the test does to the broker, leave it running for the next test."""
    yield
    broker("start")


async def test_events_published_around_an_outage_all_arrive(
    bus: Bus, mongo: AsyncMongoClient[Document], db_name: str, broker_restored: None
) -> None:
    received: list[Envelope[Any]] = []

    async def handle(event: Envelope[Any]) -> None:
        received.append(event)

    await bus.consume("notifier", {ArticlePublished: handle})
    store = ArticleStore(mongo[db_name], "https://portal.example")
    relay = OutboxRelay(store, bus, poll_seconds=0.2)
    relay_task = asyncio.create_task(relay.run())
    try:
        before = await store.create(ArticleDraft(title="Trước sự cố", section="Tin"), "e")
        await store.publish(before["_id"], "e")
        relay.wake()
        await eventually(lambda: len(received) == 1, what="the first event")

        broker("stop")
        during = await store.create(ArticleDraft(title="Trong sự cố", section="Tin"), "e")
        await store.publish(during["_id"], "e")
        relay.wake()
        # While the broker is down the event stays queued in its article.
        await eventually(lambda: store.with_pending_events(), what="the event kept in the outbox")
        broker("start")

        await eventually(lambda: len(received) == 2, timeout=60, what="the event sent later")
        assert [e.data.title for e in received] == ["Trước sự cố", "Trong sự cố"]
        await eventually(lambda: _empty(store), what="the outbox emptied")
    finally:
        relay_task.cancel()
        await asyncio.gather(relay_task, return_exceptions=True)


def publish_failures() -> float:
    value = REGISTRY.get_sample_value(
        "portal_events_publish_failed_total", {"type": "article.published"}
    )
    return value or 0.0


async def _empty(store: ArticleStore) -> bool:
    return await store.with_pending_events() == []
