"""Write-behind ingest: batched inserts, each handler released only once its batch is stored."""

import asyncio
from typing import Any, cast

import pytest
from pymongo.errors import AutoReconnect, BulkWriteError

from services.counter.adapters.ingest import Ingest
from services.counter.adapters.records import unpack_messages
from shared.contracts.events import PageView
from shared.platform.bus import RetryLater
from tests.support import eventually

VIEW = PageView.model_validate(
    {"visitor": "v" * 16, "path": "/", "viewed_at": "2026-04-25T03:00:00+00:00"}
)


class FakeInbox:
    """Unique `_id`s like the real collection; can be told to fail like a database that is down."""

    def __init__(self) -> None:
        self.documents: dict[str, Any] = {}
        self.inserts: list[int] = []
        self.started = 0  # inserts begun, stored or not
        self.down = False
        self.gate = asyncio.Event()
        self.gate.set()

    async def insert_many(self, documents: list[dict[str, Any]], ordered: bool) -> None:
        assert ordered is False
        self.started += 1
        await self.gate.wait()
        self.inserts.append(len(documents))
        if self.down:
            raise AutoReconnect("connection refused")
        errors = []
        for index, document in enumerate(documents):
            if document["_id"] in self.documents:
                errors.append({"index": index, "code": 11000, "errmsg": "duplicate"})
            else:
                self.documents[document["_id"]] = document
        if errors:
            raise BulkWriteError({"writeErrors": errors})

    @property
    def stored(self) -> list[str]:
        """The event ids stored, in order, as many times as they were stored."""
        return [
            event_id
            for document in self.documents.values()
            for event_id, _ in unpack_messages(document)
        ]


async def running(inbox: FakeInbox) -> tuple[Ingest, "asyncio.Task[None]"]:
    ingest = Ingest(cast(Any, inbox), linger=0.01, max_events=100)
    return ingest, asyncio.create_task(ingest.run())


async def test_concurrent_messages_share_one_document_and_return_once_stored() -> None:
    inbox = FakeInbox()
    ingest, task = await running(inbox)
    ids = [f"event-{n}" for n in range(50)]

    async def handle(event_id: str) -> None:
        await ingest.add(event_id, [VIEW])
        assert event_id in inbox.stored  # released only after its insert

    await asyncio.gather(*(handle(event_id) for event_id in ids))
    assert inbox.inserts == [1]  # one insert of one document
    assert inbox.stored == ids
    ingest.stop()
    await task


async def test_a_flush_takes_at_most_max_events() -> None:
    inbox = FakeInbox()
    ingest, task = await running(inbox)
    await asyncio.gather(*(ingest.add(f"e{n}", [VIEW]) for n in range(250)))
    assert sorted(inbox.stored) == sorted(f"e{n}" for n in range(250))
    assert len(inbox.documents) == 3  # 100, 100, 50
    ingest.stop()
    await task


async def test_a_redelivered_message_is_stored_again_for_the_fold_to_recognise() -> None:
    inbox = FakeInbox()
    ingest, task = await running(inbox)
    await ingest.add("event-1", [VIEW])
    await asyncio.gather(ingest.add("event-1", [VIEW]), ingest.add("event-2", [VIEW]))
    assert sorted(inbox.stored) == ["event-1", "event-1", "event-2"]
    ingest.stop()
    await task


async def test_a_database_outage_makes_handlers_retry_later_not_ack() -> None:
    inbox = FakeInbox()
    inbox.down = True
    ingest, task = await running(inbox)
    with pytest.raises(RetryLater):
        await ingest.add("event-1", [VIEW])
    assert inbox.stored == []
    ingest.stop()
    await task


async def test_stop_flushes_what_is_pending_before_returning() -> None:
    inbox = FakeInbox()
    inbox.gate.clear()  # the first insert hangs until released
    ingest, task = await running(inbox)
    first = asyncio.create_task(ingest.add("event-1", [VIEW]))
    await eventually(lambda: inbox.started == 1, what="the first insert to begin")
    second = asyncio.create_task(ingest.add("event-2", [VIEW]))
    await asyncio.sleep(0)  # let it queue behind the hanging insert
    ingest.stop()
    inbox.gate.set()
    await asyncio.gather(first, second, task)
    assert sorted(inbox.stored) == ["event-1", "event-2"]
