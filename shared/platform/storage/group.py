"""Group-committed inserts: concurrent single inserts share one `insert_many`."""

import asyncio
from dataclasses import dataclass, field

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from shared.platform.db import Document
from shared.platform.storage.writes import DUPLICATE_KEY


@dataclass
class _Pending:
    document: Document
    done: asyncio.Future[bool] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class GroupInserter:
    """Coalesces concurrent single inserts into one `insert_many` per event-loop turn.

    `insert` answers True if the document was inserted, False if its `_id` existed. Batches
    do not wait for each other: each goes on the wire at once (a record on the wire is
    stored even if this process dies the next moment), and a lone insert costs one round
    trip, with no timer delaying it unless `linger` asks for one.
    """

    def __init__(
        self, collection: AsyncCollection[Document], linger: float = 0.0, max_batch: int = 500
    ) -> None:
        self._collection = collection
        self._linger = linger
        self._max_batch = max_batch
        self._queue: list[_Pending] = []
        self._scheduled = False
        self._flushes: set[asyncio.Task[None]] = set()

    async def insert(self, document: Document) -> bool:
        pending = _Pending(document)
        self._queue.append(pending)
        if not self._scheduled:
            self._scheduled = True
            flush = asyncio.create_task(self._flush())
            self._flushes.add(flush)  # held, so the task is not garbage-collected mid-way
            flush.add_done_callback(self._flushes.discard)
        return await pending.done

    async def _flush(self) -> None:
        if self._linger:
            await asyncio.sleep(self._linger)  # let a burst gather into one insert
        batch, self._queue, self._scheduled = self._queue, [], False
        for start in range(0, len(batch), self._max_batch):
            part = batch[start : start + self._max_batch]
            try:
                duplicates = await self._insert(part)
            except Exception as error:  # the callers see the database failure
                for pending in part:
                    if not pending.done.done():
                        pending.done.set_exception(error)
                continue
            for index, pending in enumerate(part):
                if not pending.done.done():
                    pending.done.set_result(index not in duplicates)

    async def _insert(self, batch: list[_Pending]) -> set[int]:
        try:
            await self._collection.insert_many([p.document for p in batch], ordered=False)
        except BulkWriteError as error:
            errors = error.details.get("writeErrors", [])
            if any(item.get("code") != DUPLICATE_KEY for item in errors):
                raise
            return {int(item["index"]) for item in errors}
        return set()
