"""The view batcher with a fake bus: few messages under load, every beacon told its outcome,
and every message a valid `page.viewed` envelope (decoded by the contract's own decoder)."""

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from services.content.adapters.beacons import (
    MAX_BATCH,
    View,
    ViewBatcher,
    encode_page_viewed,
    page_view,
)
from shared.contracts.events import PageView, PageViewed, decode, encode, new_envelope
from shared.platform.bus import PublishFailed


class FakeBus:
    def __init__(self, fail: bool = False, refuse: bool = False) -> None:
        self.sent: list[list[str]] = []
        self.fail, self.refuse = fail, refuse
        self.is_connected = True
        self.release = asyncio.Event()
        self.release.set()

    async def publish_encoded(self, event_type: str, event_id: str, body: bytes) -> None:
        await self.release.wait()
        if self.fail or self.refuse:
            raise PublishFailed("broker away", refused=self.refuse)
        envelope = decode(body)  # what a consumer does: the contract is checked on every message
        assert (envelope.type, str(envelope.event_id)) == (event_type, event_id)
        assert isinstance(envelope.data, PageViewed)
        self.sent.append([view.path for view in envelope.data.views])


def view(n: int) -> View:
    return page_view(
        visitor="v" * 32,
        path=f"/p/{n}",
        article_id=None,
        referrer_host=None,
        is_bot=False,
        agent_family="Chrome",
        viewed_at=datetime.now(UTC),
    )


def test_a_message_decodes_to_the_same_views_as_the_pydantic_contract() -> None:
    viewed_at = datetime(2026, 11, 26, 17, 0, 0, 123456, tzinfo=UTC)
    fields: dict[str, Any] = {
        "visitor": "0123456789abcdef0123456789abcdef",
        "path": '/tin-tức/bài-viết?x="1"',
        "article_id": "a1",
        "referrer_host": "www.google.com",
        "is_bot": True,
        "agent_family": "Googlebot",
    }
    event_id = uuid.uuid4()
    ours = decode(encode_page_viewed([page_view(**fields, viewed_at=viewed_at)], event_id))
    reference = decode(
        encode(new_envelope(PageViewed(views=[PageView(**fields, viewed_at=viewed_at)]), "x"))
    )
    assert ours.data == reference.data
    assert (ours.event_id, ours.type, ours.version, ours.producer) == (
        event_id,
        "page.viewed",
        1,
        "content",
    )


async def test_concurrent_views_share_messages_and_all_are_sent_once() -> None:
    bus = FakeBus()
    batcher = ViewBatcher(bus, window_seconds=0.001, lanes=2)  # type: ignore[arg-type]
    batcher.start()
    await asyncio.gather(*(batcher.record(view(n)) for n in range(2500)))
    await batcher.close()
    paths = [path for message in bus.sent for path in message]
    assert sorted(paths) == sorted(f"/p/{n}" for n in range(2500))
    assert len(bus.sent) < 2500
    assert max(len(message) for message in bus.sent) <= MAX_BATCH


async def test_every_view_of_a_refused_message_is_refused() -> None:
    bus = FakeBus(fail=True)
    batcher = ViewBatcher(bus, window_seconds=0.001)  # type: ignore[arg-type]
    batcher.start()
    results = await asyncio.gather(
        *(batcher.record(view(n)) for n in range(10)), return_exceptions=True
    )
    assert all(isinstance(result, PublishFailed) for result in results)
    await batcher.close()


async def test_close_sends_what_is_queued_and_refuses_new_views() -> None:
    bus = FakeBus()
    bus.release.clear()  # the broker is slow: views queue up
    batcher = ViewBatcher(bus, window_seconds=0)  # type: ignore[arg-type]
    batcher.start()
    waiting = [asyncio.create_task(batcher.record(view(n))) for n in range(5)]
    await asyncio.sleep(0)
    closing = asyncio.create_task(batcher.close())
    await asyncio.sleep(0)
    bus.release.set()
    await closing
    await asyncio.gather(*waiting)
    assert sorted(p for message in bus.sent for p in message) == [f"/p/{n}" for n in range(5)]
    with pytest.raises(PublishFailed):
        await batcher.record(view(9))


class FakeSpool:
    def __init__(self, fail: bool = False) -> None:
        self.kept: dict[str, bytes] = {}
        self.fail = fail

    async def keep(self, event_id: str, body: bytes) -> None:
        if self.fail:
            raise ConnectionError("database away")
        self.kept[event_id] = body


async def test_while_the_broker_is_away_views_are_spooled_and_accepted() -> None:
    bus, spool = FakeBus(), FakeSpool()
    bus.is_connected = False
    batcher = ViewBatcher(bus, spool, window_seconds=0.001)  # type: ignore[arg-type]
    batcher.start()
    await asyncio.gather(*(batcher.record(view(n)) for n in range(20)))
    await batcher.close()
    assert bus.sent == []
    spooled = [decode(body) for body in spool.kept.values()]
    assert sorted(str(envelope.event_id) for envelope in spooled) == sorted(spool.kept)
    paths = [v.path for envelope in spooled for v in envelope.data.views]  # type: ignore[attr-defined]
    assert sorted(paths) == sorted(f"/p/{n}" for n in range(20))


async def test_a_publish_that_fails_is_spooled_but_a_refusal_is_reported() -> None:
    spool = FakeSpool()
    batcher = ViewBatcher(FakeBus(fail=True), spool, window_seconds=0)  # type: ignore[arg-type]
    batcher.start()
    await batcher.record(view(1))  # accepted: safe in the spool
    await batcher.close()
    assert len(spool.kept) == 1
    refusing = ViewBatcher(FakeBus(refuse=True), spool, window_seconds=0)  # type: ignore[arg-type]
    refusing.start()
    with pytest.raises(PublishFailed):  # no queue takes page views: a fault, not an outage
        await refusing.record(view(2))
    await refusing.close()
    assert len(spool.kept) == 1


async def test_with_the_broker_and_the_database_away_a_view_is_refused() -> None:
    bus = FakeBus()
    bus.is_connected = False
    batcher = ViewBatcher(bus, FakeSpool(fail=True), window_seconds=0)  # type: ignore[arg-type]
    batcher.start()
    with pytest.raises(PublishFailed):
        await batcher.record(view(1))
    await batcher.close()
