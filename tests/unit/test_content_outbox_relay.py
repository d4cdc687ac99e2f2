"""The outbox relay with fakes: a write's events leave by `_id`, without a scan, and are
retried until the broker confirms them."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.content.outbox import OutboxRelay
from shared.bus import PublishFailed
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

    async def publish_encoded(self, event_type: str, event_id: str, body: bytes) -> None:
        if self.refusals:
            self.refusals -= 1
            raise PublishFailed("broker away")
        self.sent.append(event_id)


def entry(event_id: str) -> dict[str, Any]:
    return {"event_id": event_id, "type": "article.published", "body": "{}"}


@pytest.fixture
async def running() -> AsyncIterator[tuple[OutboxRelay, FakeStore, FakeBus]]:
    store, bus = FakeStore(), FakeBus()
    store.outboxes["left"] = [entry("left-by-a-dead-replica")]
    relay = OutboxRelay(store, bus, poll_seconds=3600)  # type: ignore[arg-type]
    task = asyncio.create_task(relay.run())
    yield relay, store, bus
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_the_start_scan_sends_what_was_left_and_a_write_is_sent_by_id(
    running: tuple[OutboxRelay, FakeStore, FakeBus],
) -> None:
    relay, store, bus = running
    await eventually(lambda: bus.sent == ["left-by-a-dead-replica"], what="the start scan")
    store.outboxes["a1"] = [entry("e1")]
    relay.wake("a1")
    await eventually(lambda: bus.sent[1:] == ["e1"], what="the woken article's event")
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
    await eventually(lambda: "e2" in bus.sent, what="the event after three refusals")
    assert bus.sent.count("e2") == 1
    assert store.outboxes["a2"] == []
