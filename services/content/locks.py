"""One writer at a time per article, across replicas.

FerretDB v1 updates a document by reading it, changing it and writing all of it back,
without isolation: of two concurrent updates of one document, one can silently undo the
other, and a filter on `revision` is no compare-and-set. Measured here: of 40 pairs of
simultaneous edits, 33 answered success for a change that was then lost, and reading the
write back did not tell (the undoing write lands milliseconds later). So every update of
an article is made under its lock: the unique insert `article_locks._id = <article>`
(atomic on FerretDB), deleted when done. A lock left by a crashed replica expires.
"""

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import structlog
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.contracts.errors import Conflict
from shared.platform.db import Document

log = structlog.get_logger(__name__)


class ArticleLocks:
    def __init__(
        self, db: AsyncDatabase[Document], lease_seconds: float = 10.0, wait_seconds: float = 5.0
    ) -> None:
        self.locks: AsyncCollection[Document] = db["article_locks"]
        # A holder makes one or two quick writes; the lease only bounds a crashed one.
        self._lease = timedelta(seconds=lease_seconds)
        self._wait = wait_seconds

    @contextlib.asynccontextmanager
    async def hold(self, article_id: str) -> AsyncIterator[None]:
        """Run the block as the article's only writer; 409 if it stays busy too long."""
        owner = uuid.uuid4().hex
        await self._acquire(article_id, owner)
        try:
            yield
        finally:
            await self.locks.delete_one({"_id": article_id, "owner": owner})

    async def _acquire(self, article_id: str, owner: str) -> None:
        deadline = time.monotonic() + self._wait
        pause = 0.002
        while True:
            now = datetime.now(UTC)
            lock = {"_id": article_id, "owner": owner, "expires_at": now + self._lease}
            try:
                await self.locks.insert_one(lock)
                return
            except DuplicateKeyError:
                pass
            held = await self.locks.find_one({"_id": article_id})
            if held is not None and held["expires_at"] <= now:
                log.warning("locks.expired", article_id=article_id, owner=held["owner"])
                await self.locks.delete_one({"_id": article_id, "owner": held["owner"]})
                continue
            if time.monotonic() >= deadline:
                raise Conflict("the article is being changed by someone else; try again")
            await asyncio.sleep(pause)  # waiting for another writer, not for an effect
            pause = min(pause * 2, 0.05)
