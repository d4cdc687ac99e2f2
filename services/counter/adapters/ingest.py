"""Write-behind ingest: messages are stored in batches, each handler returns once its batch is.

Every replica ingests. The messages that arrive together are stored as one inbox document
(a single-document insert is atomic: all of them or none), and their handlers return only
then, so the bus acks a message only once it is stored. A crash before the insert means a
redelivery; after it, a duplicate, which the fold recognises by its event id.
"""

import asyncio
import contextlib
from typing import Any

import structlog
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, OperationFailure

from services.counter.adapters.records import MAX_DOCUMENT_VIEWS, inbox_document, pack_views
from services.counter.metrics import INGEST_BATCH
from shared.contracts.events import PageView
from shared.platform.bus import RetryLater
from shared.platform.db import Document
from shared.platform.storage.writes import DUPLICATE_KEY, backoff, is_busy

log = structlog.get_logger(__name__)

Pending = tuple[str, list[list[Any]], asyncio.Future[None]]


class Ingest:
    def __init__(self, inbox: AsyncCollection[Document], linger: float, max_events: int) -> None:
        self._inbox = inbox
        self._linger = linger
        self._max_events = max_events
        self._pending: list[Pending] = []
        self._wake = asyncio.Event()
        self._full = asyncio.Event()
        self._stopping = False

    async def add(self, event_id: str, views: list[PageView]) -> None:
        """Return once the message is stored (raise if it could not be: the bus retries it)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((event_id, pack_views(views), future))
        self._wake.set()
        if len(self._pending) >= self._max_events:
            self._full.set()
        await future

    async def run(self) -> None:
        """Flush forever; after stop(), flush what is left and return."""
        while True:
            if not self._pending:
                if self._stopping:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            if not self._stopping and len(self._pending) < self._max_events:
                # Linger a little so concurrent deliveries share one insert; meanwhile the
                # previous insert's wait has gathered the next batch (group commit).
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), self._linger)
            batch = self._pending[: self._max_events]
            self._pending = self._pending[self._max_events :]
            if len(self._pending) < self._max_events:
                self._full.clear()
            await self._flush(batch)

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def _flush(self, batch: list[Pending]) -> None:
        INGEST_BATCH.observe(len(batch))
        outcome: Exception | None = None
        try:
            await self._insert(_documents(batch))
        except Exception as error:  # the database is down: the bus holds and retries them
            log.warning("ingest.flush_failed", error=repr(error)[:300], messages=len(batch))
            outcome = RetryLater(f"inbox insert failed: {error!r}")
        for _, _, future in batch:
            if future.done():
                continue  # its handler was cancelled; the message was not acked
            if outcome is None:
                future.set_result(None)
            else:
                future.set_exception(outcome)

    async def _insert(self, documents: list[Document]) -> None:
        """Insert all; a duplicate key is a document a refused-looking attempt did store.

        Not storage.insert_many_or_ignore: that one gives up on the first bulk error that is
        not a duplicate, where this retries just the documents refused (SQLite busy inside
        a bulk insert), so a busy moment does not send the whole batch back to the bus."""
        delay = 0.001
        for _ in range(30):
            try:
                await self._inbox.insert_many(documents, ordered=False)
                return
            except BulkWriteError as error:
                errors = error.details.get("writeErrors", [])
                retry = {item["index"] for item in errors if item.get("code") != DUPLICATE_KEY}
                documents = [documents[index] for index in sorted(retry)]
            except OperationFailure as error:
                if not is_busy(error):
                    raise
            if not documents:
                return
            delay = await backoff(delay)
        raise RetryLater(f"{len(documents)} inbox inserts kept failing")


def _documents(batch: list[Pending]) -> list[Document]:
    """As few inbox documents as the size limit allows (each well under 16 MB)."""
    documents: list[Document] = []
    current: list[tuple[str, list[list[Any]]]] = []
    views = 0
    for event_id, packed, _ in batch:
        if current and views + len(packed) > MAX_DOCUMENT_VIEWS:
            documents.append(inbox_document(current))
            current, views = [], 0
        current.append((event_id, packed))
        views += len(packed)
    if current:
        documents.append(inbox_document(current))
    return documents
