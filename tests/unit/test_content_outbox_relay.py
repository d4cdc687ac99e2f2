"""The outbox relay with fakes: a write's events leave by `_id`, without a scan, are
retried until the broker confirms them, and a poison entry is set aside."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.content.adapters.outbox import REFUSALS, OutboxRelay
from shared.contracts.events import ArticleUnpublished, encode, new_envelope
from shared.platform.bus import PublishFailed
from tests.support import eventually


class FakeStore:
    def __init__(self) -> None:
        self.outboxes: dict[str, list[dict[str, Any]]] = {}
        self.scans = 0

    async def with_pending_events(self) -> list[dict[str, Any]]:
        self.scans += 1
        return [{"_id": i, "outbox": list(o)} for i, o in self.outboxes.items() if o]

    async def pending_events_of(self, article_id: str) -> dict[str, Any] | None:
        outbox = self.outboxes.get(article_id)
        return None if outbox is None else {"_id": article_id, "outbox": list(outbox)}

    async def mark_sent(self, article_id: str, entry: dict[str, Any]) -> None:
        self.outboxes[article_id].remove(entry)


class FakeBus:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.refusals = 0  # how many publishes to refuse first (the broker is away)
        self.refused: set[str] = set()  # events the broker refuses every time (unroutable)

    async def publish_encoded(self, event_type: str, event_id: str, body: bytes) -> None:
        if event_id in self.refused:
            raise PublishFailed("returned: no route", refused=True)
        if self.refusals:
            self.refusals -= 1
            raise PublishFailed("broker away")
        self.sent.append(event_id)


class FakeQuarantine:
    def __init__(self) -> None:
        self.items: dict[str, str] = {}

    async def put(self, kind: str, key: str, item: Any, reason: str) -> bool:
        self.items[f"{kind}:{key}"] = reason
        return True


def event_id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


def entry(name: str) -> dict[str, Any]:
    data = ArticleUnpublished(article_id="a", slug="a")
    envelope = new_envelope(data, "content", uuid.UUID(event_id(name)))
    return {"event_id": event_id(name), "type": data.TYPE, "body": encode(envelope).decode()}


@pytest.fixture
async def running() -> AsyncIterator[tuple[OutboxRelay, FakeStore, FakeBus]]:
    store, bus = FakeStore(), FakeBus()
    store.outboxes["left"] = [entry("left-by-a-dead-replica")]
    relay = OutboxRelay(store, bus, FakeQuarantine(), poll_seconds=3600)  # type: ignore[arg-type]
    task = asyncio.create_task(relay.run())
    yield relay, store, bus
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_the_start_scan_sends_what_was_left_and_a_write_is_sent_by_id(
    running: tuple[OutboxRelay, FakeStore, FakeBus],
) -> None:
    relay, store, bus = running
    await eventually(
        lambda: bus.sent == [event_id("left-by-a-dead-replica")], what="the start scan"
    )
    store.outboxes["a1"] = [entry("e1")]
    relay.wake("a1")
    await eventually(lambda: bus.sent[1:] == [event_id("e1")], what="the woken article's event")
    assert store.scans == 1  # only the one at start: the write was read by its id
    assert store.outboxes["a1"] == []


async def test_a_refused_event_is_retried_until_confirmed(
    running: tuple[OutboxRelay, FakeStore, FakeBus],
) -> None:
    relay, store, bus = running
    await eventually(lambda: bus.sent, what="the start scan")
    bus.refusals = 3
    store.outboxes["a2"] = [entry("e2")]
    relay.wake("a2")
    await eventually(lambda: event_id("e2") in bus.sent, what="the event after three refusals")
    assert bus.sent.count(event_id("e2")) == 1
    assert store.outboxes["a2"] == []


async def test_an_unreadable_entry_is_set_aside_and_the_next_ones_are_sent() -> None:
    store, bus, quarantine = FakeStore(), FakeBus(), FakeQuarantine()
    broken = {"event_id": event_id("broken"), "type": "article.published", "body": "{"}
    store.outboxes["a"] = [entry("before"), broken, entry("after")]
    relay = OutboxRelay(store, bus, quarantine, poll_seconds=3600)  # type: ignore[arg-type]
    assert await relay.drain() == 2
    assert bus.sent == [event_id("before"), event_id("after")]
    assert store.outboxes["a"] == []
    assert list(quarantine.items) == [f"outbox:a:{event_id('broken')}"]


async def test_an_entry_the_broker_keeps_refusing_is_set_aside_without_holding_others() -> None:
    store, bus, quarantine = FakeStore(), FakeBus(), FakeQuarantine()
    bus.refused.add(event_id("unroutable"))
    store.outboxes["a"] = [entry("unroutable"), entry("a-later")]
    store.outboxes["b"] = [entry("b")]
    relay = OutboxRelay(store, bus, quarantine, poll_seconds=3600)  # type: ignore[arg-type]
    for _ in range(REFUSALS - 1):
        with pytest.raises(PublishFailed):
            await relay.drain()
    assert bus.sent == [event_id("b")]  # sent at the first drain, the refused one aside
    assert event_id("a-later") not in bus.sent  # an article's events stay in order
    assert await relay.drain() == 1
    assert event_id("a-later") in bus.sent
    assert "no route" in quarantine.items[f"outbox:a:{event_id('unroutable')}"]
    assert store.outboxes == {"a": [], "b": []}
