"""Group commit: one insert on the wire at a time, what arrives meanwhile goes next, together."""

import asyncio
from typing import Any

from pymongo.errors import BulkWriteError

from shared.platform.storage.group import GroupInserter
from shared.platform.storage.writes import DUPLICATE_KEY


class SlowCollection:
    """Answers each insert_many when the test releases it; records every batch."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.release = asyncio.Event()
        self.stored: set[str] = set()

    async def insert_many(self, documents: list[dict[str, Any]], ordered: bool) -> None:
        assert ordered is False
        self.batches.append([d["_id"] for d in documents])
        await self.release.wait()
        self.release.clear()
        errors = [
            {"index": n, "code": DUPLICATE_KEY}
            for n, d in enumerate(documents)
            if d["_id"] in self.stored
        ]
        self.stored |= {d["_id"] for d in documents}
        if errors:
            raise BulkWriteError({"writeErrors": errors})


async def until(condition: Any) -> None:
    for _ in range(1000):  # event-loop turns, not time
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never held")


async def test_one_batch_in_flight_and_the_rest_follows_as_one() -> None:
    collection = SlowCollection()
    inserter = GroupInserter(collection, in_flight=1)  # type: ignore[arg-type]
    first = asyncio.create_task(inserter.insert({"_id": "a"}))
    await until(lambda: collection.batches == [["a"]])  # a lone insert goes at once
    later = [asyncio.create_task(inserter.insert({"_id": key})) for key in ("b", "c", "a")]
    await until(lambda: all(not task.done() for task in later))
    assert collection.batches == [["a"]]  # nothing else on the wire meanwhile
    collection.release.set()
    assert await first is True
    await until(lambda: len(collection.batches) == 2)
    assert collection.batches[1] == ["b", "c", "a"]  # everything that waited, together
    collection.release.set()
    assert [await task for task in later] == [True, True, False]  # "a" existed


async def test_no_more_batches_in_flight_than_allowed() -> None:
    collection = SlowCollection()
    inserter = GroupInserter(collection, in_flight=2)  # type: ignore[arg-type]
    tasks = [asyncio.create_task(inserter.insert({"_id": "0"}))]
    await until(lambda: len(collection.batches) == 1)
    tasks.append(asyncio.create_task(inserter.insert({"_id": "1"})))
    await until(lambda: len(collection.batches) == 2)  # a second flight, not a wait
    tasks += [asyncio.create_task(inserter.insert({"_id": str(n)})) for n in range(2, 6)]
    await until(lambda: all(not task.done() for task in tasks))
    assert collection.batches == [["0"], ["1"]]  # the third waits for a free flight
    while not all(task.done() for task in tasks):
        collection.release.set()
        await asyncio.sleep(0)
    assert [task.result() for task in tasks] == [True] * 6
    assert sorted(id_ for batch in collection.batches for id_ in batch) == [
        str(n) for n in range(6)
    ]
    assert len(collection.batches) <= 4  # the four that waited went in at most two inserts


async def test_a_database_failure_reaches_every_caller_of_the_batch() -> None:
    class Failing:
        async def insert_many(self, documents: list[dict[str, Any]], ordered: bool) -> None:
            raise ConnectionError("database away")

    inserter = GroupInserter(Failing())  # type: ignore[arg-type]
    results = await asyncio.gather(
        *(inserter.insert({"_id": str(n)}) for n in range(3)), return_exceptions=True
    )
    assert all(isinstance(result, ConnectionError) for result in results)
    # The inserter is not left stuck: a later insert is tried (and fails the same way).
    [again] = await asyncio.gather(inserter.insert({"_id": "x"}), return_exceptions=True)
    assert isinstance(again, ConnectionError)
