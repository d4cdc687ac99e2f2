"""The fold lease and the message claims on the real FerretDB: unique inserts decide."""

import asyncio
import time
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from services.counter.adapters.store import Collections
from services.counter.fold.claims import MessageClaims
from shared.platform.db import Document
from shared.platform.storage.lease import Lease, LeaseLost
from shared.platform.storage.writes import no_fence
from tests.support import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
def db(mongo: AsyncMongoClient[Document], db_name: str) -> Any:
    return mongo[db_name]


async def test_one_holder_at_a_time_and_a_silent_holder_is_replaced_after_its_fence(
    db: AsyncDatabase[Document],
) -> None:
    # Slots of a second: a loaded test machine may pause this loop for a good part of one.
    first = Lease(db["leases"], "fold", "first", period=1.0)
    second = Lease(db["leases"], "fold", "second", period=1.0)
    slots_held: set[int] = set()
    while len(slots_held) < 3:  # across several slots: the renewal ahead works
        one, other = await first.held(), await second.held()
        # The first asked first, so it took the lease, and keeps it while it asks.
        assert not other
        if one:
            slots_held.add(int(time.time()))
        await asyncio.sleep(0.01)
    await first.check()  # holding: a write may start
    # The first stops renewing (as if killed, or stalled): the second takes over, and only
    # once the first may no longer start a write.
    await eventually(second.held, timeout=10, what="the second replica to take the lease")
    assert not first.valid()
    with pytest.raises(LeaseLost):
        await first.check()
    assert not await first.held()


async def test_claims_count_each_message_once_and_take_over_uncommitted_claims(
    db: AsyncDatabase[Document],
) -> None:
    collections = Collections(db)
    claims = MessageClaims(collections, no_fence)
    assert await claims.claim(["a", "b"], seq=1) == {"a", "b"}
    await collections.fold_records(1).insert_one({"_id": 1, "events": ["a", "b"]})
    # Duplicates of counted messages are refused, new ones taken.
    assert await claims.claim(["a", "b", "c"], seq=2) == {"c"}
    # Fold 2 crashed before committing; its next attempt takes only "c" again...
    assert await MessageClaims(collections, no_fence).claim(["c"], seq=2) == {"c"}
    await collections.fold_records(2).insert_one({"_id": 2, "events": ["c"]})
    # ...an attempt at fold 3 claims "d" and "e" and crashes; the committed fold 3 took "d"
    # only, so "e" is still free for fold 4.
    assert await claims.claim(["d", "e"], seq=3) == {"d", "e"}
    await collections.fold_records(3).insert_one({"_id": 3, "events": ["d"]})
    assert await MessageClaims(collections, no_fence).claim(["d", "e", "c"], seq=4) == {"e"}
