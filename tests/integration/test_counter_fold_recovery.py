"""A fold cut short at each step, then finished by the next holder: every view counted once.

The folder runs in this process on the real FerretDB; the crash is an exception raised at
the chosen step, after which the crashed folder is abandoned and a new one takes over.
"""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from pymongo import AsyncMongoClient

from services.counter.adapters.records import inbox_document, pack_views
from services.counter.adapters.store import Collections
from services.counter.fold import Folder
from services.counter.fold.apply import Applier
from services.counter.fold.summary import Summary
from services.counter.fold.tally import Delta
from shared.contracts.events import PageView
from shared.platform.db import Document
from shared.platform.quarantine import Quarantine
from shared.platform.storage.lease import Lease, LeaseLost
from tests.support import eventually

pytestmark = pytest.mark.integration

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


class Crash(Exception):
    pass


class AlwaysHeld:
    async def held(self) -> bool:
        return True

    async def check(self) -> None:
        pass


class Lost:
    """The lease is gone when the fold checks it, just before committing (after claiming)."""

    async def held(self) -> bool:
        return False

    async def check(self) -> None:
        pass


def folder(collections: Collections, lease: Any) -> Folder:
    return Folder(
        collections,
        Quarantine(collections.db),
        cast(Any, lease),
        ZONE,
        visit_timeout=timedelta(minutes=30),
        online_window=timedelta(minutes=5),
        max_views=250,  # several folds for the views below
        idle_seconds=0.05,
    )


async def raise_crash(*_: object, **__: object) -> None:
    raise Crash


@pytest.mark.parametrize("step", ["before_commit", "after_commit", "before_summary"])
async def test_a_fold_cut_short_is_finished_once_by_the_next_holder(
    mongo: AsyncMongoClient[Document], db_name: str, step: str
) -> None:
    collections = Collections(mongo[db_name])
    now = datetime.now(UTC)
    messages = [
        (
            f"event-{m}",
            [
                PageView(visitor=f"visitor-{(m * 7 + i) % 40:04d}-abcdefgh", path="/",
                         article_id=f"a{i % 3}", viewed_at=now - timedelta(seconds=m))
                for i in range(10)
            ],
        )
        for m in range(100)
    ]  # fmt: skip
    # Stored by ingest in three flushes, one message twice (a redelivery).
    batches = [messages[:40], messages[40:80], [*messages[80:], messages[5]]]
    for batch in batches:
        document = inbox_document([(event_id, pack_views(views)) for event_id, views in batch])
        await collections.inbox.insert_one(document)

    first = folder(collections, AlwaysHeld())
    await first._recover()
    assert await first.fold_once() > 0  # a fold that completes
    if step == "before_commit":
        first._lease = cast(Any, Lost())
    elif step == "after_commit":
        first._apply = raise_crash  # type: ignore[method-assign]
    else:
        first._summary.publish = raise_crash  # type: ignore[method-assign]
    with pytest.raises((Crash, LeaseLost)):
        await first.fold_once()

    second = folder(collections, AlwaysHeld())
    await second._recover()
    while await second.fold_once():
        pass
    total = await collections.totals.find_one({"_id": "total"})
    summary = await collections.totals.find_one({"_id": "summary"})
    assert total is not None and summary is not None
    assert total["views"] == 1000
    assert total["visitors"] == 40 and total["visits"] == 40
    assert summary["total"]["views"] == 1000
    assert await collections.inbox.count_documents({}) == 0


async def test_a_holder_that_stalls_past_its_lease_writes_nothing_after_it(
    mongo: AsyncMongoClient[Document], db_name: str
) -> None:
    """A slow fold (not a dead one) must not apply its work on top of the new holder's."""
    collections = Collections(mongo[db_name])
    now = datetime.now(UTC)
    views = [
        PageView(visitor=f"visitor-{i % 7:04d}-abcdefgh", path="/", viewed_at=now)
        for i in range(30)
    ]
    document = inbox_document([("event-1", pack_views(views))])
    await collections.inbox.insert_one(document)

    stalled = folder(collections, Lease(collections.leases, "fold", "stalled", period=0.5))
    await eventually(stalled._lease.held, what="the first holder to take the lease")
    await stalled._recover()
    gate = asyncio.Event()
    apply = stalled._apply

    async def apply_after_gate(*args: Any, **kwargs: Any) -> None:
        await gate.wait()  # committed, then stalled past the end of its lease
        await apply(*args, **kwargs)

    stalled._apply = apply_after_gate  # type: ignore[method-assign]
    first_fold = asyncio.create_task(stalled.fold_once())

    successor = folder(collections, Lease(collections.leases, "fold", "successor", period=0.5))
    await eventually(successor._lease.held, timeout=10, what="the successor to take over")
    await successor._recover()  # finishes the stalled holder's committed fold
    gate.set()
    outcome = (await asyncio.gather(first_fold, return_exceptions=True))[0]
    while await successor.fold_once():  # (if the stalled one was too slow even to commit)
        pass
    total = await collections.totals.find_one({"_id": "total"})
    assert total is not None and total["views"] == 30
    assert isinstance(outcome, LeaseLost)


async def test_a_delta_written_twice_for_one_fold_counts_once(
    mongo: AsyncMongoClient[Document], db_name: str
) -> None:
    """A write retried after it took effect (SQLite busy at commit), or a fold re-applied by
    a new holder, must not add its increments twice: the update only matches a document
    that does not have that fold yet."""
    collections = Collections(mongo[db_name])
    summary = Summary(collections, ZONE, 300_000, AlwaysHeld().check)
    applier = Applier(collections, Quarantine(collections.db), summary, AlwaysHeld().check)
    delta = Delta("totals_test", "day:2026-11-30", {"views": 3, "visits": 1})
    stored = collections.named("totals_test")

    assert await applier._apply_deltas(7, [delta], guarded=False) == [delta]
    assert await applier._apply_deltas(7, [delta], guarded=False) == [delta]  # our own retry
    assert await applier._apply_deltas(7, [delta], guarded=True) == []  # a new holder's
    found = await stored.find_one({"_id": delta.key})
    assert found is not None and (found["views"], found["visits"], found["seq"]) == (3, 1, 7)

    assert await applier._apply_deltas(8, [delta], guarded=False) == [delta]  # the next fold
    found = await stored.find_one({"_id": delta.key})
    assert found is not None and (found["views"], found["seq"]) == (6, 8)

    # A document written before folds carried their number is still counted.
    await stored.insert_one({"_id": "old", "views": 10})
    old = Delta("totals_test", "old", {"views": 1})
    assert await applier._apply_deltas(9, [old], guarded=False) == [old]
    found = await stored.find_one({"_id": "old"})
    assert found is not None and (found["views"], found["seq"]) == (11, 9)
