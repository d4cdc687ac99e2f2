"""Items that fail the same way every time, set aside with the reason so the rest goes on."""

import json
from datetime import UTC, datetime
from typing import Any

import structlog
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from shared.platform.db import Document
from shared.platform.metrics import QUARANTINED
from shared.platform.storage.writes import insert_or_ignore

log = structlog.get_logger(__name__)

COLLECTION = "quarantine"
MAX_ITEM_CHARS = 200_000


class Quarantine:
    """A service's `quarantine` collection: one document per item, `_id` "<kind>:<key>".

    Messages the bus cannot handle go to a dead-letter queue instead; this holds what a
    service's own pipelines (the counter's fold, content's outbox relay) set aside. An
    operator reads it with `db.quarantine.find()` and sees the count on /metrics.
    """

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.items: AsyncCollection[Document] = db[COLLECTION]

    async def put(self, kind: str, key: str, item: Any, reason: str) -> bool:
        """Set `item` aside; False if it was already there (a second run of the same step)."""
        # The item is kept as JSON text: whatever made it poison (a NUL in a key, a document
        # too large) must not make storing it fail too.
        text = json.dumps(item, default=repr, ensure_ascii=True)[:MAX_ITEM_CHARS]
        stored = await insert_or_ignore(
            self.items,
            {
                "_id": f"{kind}:{key}",
                "kind": kind,
                "item": text,
                "reason": reason[:2000],
                "at": datetime.now(UTC),
            },
        )
        if stored:
            QUARANTINED.labels(kind).inc()
            log.error("quarantine.put", kind=kind, key=key, reason=reason[:500])
        return stored

    async def find(self, kind: str | None = None, limit: int = 100) -> list[Document]:
        query: Document = {} if kind is None else {"kind": kind}
        return await self.items.find(query).limit(limit).to_list()
