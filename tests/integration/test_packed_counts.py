"""Counts packed in one field, on the real FerretDB: added once per sequence, never over a
change made meanwhile, and any text as a name."""

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from shared.platform.db import Document
from shared.platform.storage.packed import ChangedMeanwhile, add_packed, unpack_counts

pytestmark = pytest.mark.integration


@pytest.fixture
def counts(mongo: AsyncMongoClient[Document], db_name: str) -> AsyncCollection[Document]:
    return mongo[db_name]["packed"]


async def test_a_sequence_adds_once_and_later_ones_add_on(
    counts: AsyncCollection[Document],
) -> None:
    names = {"s": {"Google": 2, "$where": 1, "a.b": 1, "\u0000": 1, "Cốc Cốc": 1}}
    assert await add_packed(counts, "2026-11-30", 5, names)
    assert not await add_packed(counts, "2026-11-30", 5, names)  # the same fold again
    assert not await add_packed(counts, "2026-11-30", 4, names)  # an older one
    assert await add_packed(counts, "2026-11-30", 6, {"s": {"Google": 1}, "h": {"07:views": 3}})
    stored = await counts.find_one({"_id": "2026-11-30"})
    assert stored is not None and stored["seq"] == 6
    assert unpack_counts(stored) == {
        "s": {"Google": 3, "$where": 1, "a.b": 1, "\u0000": 1, "Cốc Cốc": 1},
        "h": {"07:views": 3},
    }


async def test_a_write_never_replaces_a_version_it_did_not_read(
    counts: AsyncCollection[Document],
) -> None:
    await add_packed(counts, "day", 1, {"s": {"x": 1}})
    real_find_one = counts.find_one

    async def stale_read(*args: object, **kwargs: object) -> Document | None:
        found = await real_find_one(*args, **kwargs)
        # Another writer (a former fold holder) lands between this read and the write.
        await counts.update_one({"_id": "day"}, {"$set": {"seq": 2}})
        return found

    counts.find_one = stale_read  # type: ignore[method-assign]
    with pytest.raises(ChangedMeanwhile):
        await add_packed(counts, "day", 3, {"s": {"x": 1}})
    counts.find_one = real_find_one  # type: ignore[method-assign]
    stored = await counts.find_one({"_id": "day"})
    assert stored is not None and unpack_counts(stored) == {"s": {"x": 1}}
