"""The view batcher with a fake bus: few messages under load, every beacon told its outcome."""

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from services.content.beacons import MAX_BATCH, ViewBatcher
from shared.bus import PublishFailed
from shared.events import PageView


class FakeBus:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[list[str]] = []
        self.fail = fail
        self.release = asyncio.Event()
        self.release.set()

    async def publish(self, envelope: Any) -> None:
        await self.release.wait()
        if self.fail:
            raise PublishFailed("broker away")
        self.sent.append([view.path for view in envelope.data.views])


def view(n: int) -> PageView:
    return PageView(visitor="v" * 32, path=f"/p/{n}", viewed_at=datetime.now(UTC))


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
