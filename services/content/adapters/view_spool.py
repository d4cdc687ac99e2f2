"""Page views kept while the broker is away, and sent as they were once it is back.

A beacon is answered 204 once its view is safe: normally when the broker confirmed the
`page.viewed` message holding it; while the broker cannot be reached, when that message,
encoded with its event id, is stored in the `view_spool` collection (one insert). The spool
sends each stored message again, unchanged, until the broker confirms it, then deletes it. So a
message that reached the broker before a confirm was lost is sent a second time with the same
event id, and the counter counts it once; a page view is never lost to a broker restart.

Every replica sends its own messages at once and those of other replicas (one that died)
after `ORPHAN_SECONDS`; two replicas may both send one, which the counter's event-id check
absorbs. A message the broker refuses (no queue takes page.viewed) `REFUSALS` times in a row
is set aside in the quarantine.
"""

import asyncio
import contextlib
import os
import socket
from datetime import UTC, datetime, timedelta

import structlog
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.content.metrics import VIEWS_SPOOLED
from shared.contracts.events import PageViewed
from shared.platform.bus import Bus, PublishFailed
from shared.platform.db import Document
from shared.platform.quarantine import Quarantine

log = structlog.get_logger(__name__)

ORPHAN_SECONDS = 10.0
REFUSALS = 5
BATCH = 100


class ViewSpool:
    def __init__(
        self, db: AsyncDatabase[Document], bus: Bus, quarantine: Quarantine, poll_seconds: float
    ) -> None:
        self._spool: AsyncCollection[Document] = db["view_spool"]
        self._bus = bus
        self._quarantine = quarantine
        self._poll = poll_seconds
        self._replica = f"{socket.gethostname()}:{os.getpid()}"
        self._wake = asyncio.Event()
        self._refusals: dict[str, int] = {}

    async def keep(self, event_id: str, body: bytes) -> None:
        """Store a message the broker did not confirm; raises if the database is away too."""
        document = {"_id": event_id, "body": body, "by": self._replica, "at": datetime.now(UTC)}
        await self._spool.insert_one(document)
        VIEWS_SPOOLED.inc()
        self._wake.set()

    async def run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.send()
            except Exception as error:  # the database or the broker away: try again later
                log.warning("spool.send_failed", error=repr(error)[:300])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll)

    async def send(self) -> int:
        """Send what is spooled (while the broker takes it); return how many were sent."""
        sent, full = 0, True
        while full and self._bus.is_connected:
            orphaned = datetime.now(UTC) - timedelta(seconds=ORPHAN_SECONDS)
            query = {"$or": [{"by": self._replica}, {"at": {"$lt": orphaned}}]}
            batch = await self._spool.find(query).limit(BATCH).to_list()
            sent += await self._send_batch(batch)
            full = len(batch) == BATCH
        if sent:
            log.info("spool.sent", messages=sent)
        return sent

    async def _send_batch(self, batch: list[Document]) -> int:
        """Send a batch, delete what the broker confirmed; raise if the broker went away."""
        # Confirms come back pipelined on the channel: a batch costs one round trip.
        results = await asyncio.gather(
            *(self._send_one(document) for document in batch), return_exceptions=True
        )
        done = [str(doc["_id"]) for doc, ok in zip(batch, results, strict=True) if ok is True]
        if done:
            await self._spool.delete_many({"_id": {"$in": done}})
        failures = [result for result in results if isinstance(result, BaseException)]
        if failures:
            raise failures[0]  # the broker is away again: the rest waits too
        return len(done)

    async def _send_one(self, document: Document) -> bool:
        """True once the broker confirmed it; False if it is refused (and maybe set aside)."""
        event_id = str(document["_id"])
        try:
            await self._bus.publish_encoded(PageViewed.TYPE, event_id, bytes(document["body"]))
        except PublishFailed as error:
            if not error.refused:
                raise
            await self._refused(document, str(error))
            return False
        self._refusals.pop(event_id, None)
        return True

    async def _refused(self, document: Document, reason: str) -> None:
        event_id = str(document["_id"])
        self._refusals[event_id] = self._refusals.get(event_id, 0) + 1
        if self._refusals[event_id] < REFUSALS:
            return
        item = {"event_id": event_id, "body": bytes(document["body"]).decode(errors="replace")}
        await self._quarantine.put("view-spool", event_id, item, reason)
        await self._spool.delete_one({"_id": event_id})
        self._refusals.pop(event_id, None)
