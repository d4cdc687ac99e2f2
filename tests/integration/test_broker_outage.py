"""RabbitMQ goes down and comes back: the outbox keeps every event until it is confirmed."""

from collections.abc import Iterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from shared.contracts.events import ArticlePublished, Envelope
from shared.platform.bus import Bus
from shared.platform.db import Document
from tests.content_support import publish, replica, settings_for
from tests.integration.conftest import broker
from tests.support import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
def broker_restored() -> Iterator[None]:
    """Whatever the test does to the broker, leave it running for the next test."""
    yield
    broker("start")


async def test_events_published_around_an_outage_all_arrive(
    bus: Bus, mongo: AsyncMongoClient[Document], db_name: str, exchange: str,
    broker_restored: None,
) -> None:  # fmt: skip
    # Delivery is at least once: an ack in flight when the broker stops brings the event
    # again, so the test counts distinct events, as every consumer does (by `event_id`).
    received: dict[str, str] = {}

    async def handle(event: Envelope[Any]) -> None:
        received.setdefault(str(event.event_id), event.data.title)

    await bus.consume("notifier", {ArticlePublished: handle})
    articles = mongo[db_name]["articles"]
    async with replica(settings_for(db_name, exchange)) as content:
        await publish(content, "Trước sự cố")
        await eventually(lambda: len(received) == 1, what="the first event")

        broker("stop")
        # The editor's publish succeeds while the broker is down: the event waits in the article.
        await publish(content, "Trong sự cố")
        await eventually(
            lambda: articles.find_one({"outbox.event_id": {"$exists": True}}),
            what="the event kept in the outbox",
        )
        broker("start")

        await eventually(lambda: len(received) == 2, timeout=60, what="the event sent later")
        assert list(received.values()) == ["Trước sự cố", "Trong sự cố"]
        await eventually(lambda: _outbox_empty(articles), timeout=30, what="the outbox emptied")


async def _outbox_empty(articles: AsyncCollection[Document]) -> bool:
    return await articles.find_one({"outbox.event_id": {"$exists": True}}) is None
