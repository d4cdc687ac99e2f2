"""Deliveries in MongoDB, written only by unique inserts (FerretDB has no compare-and-set).

- `deliveries`: one per (article, subscriber), `_id` "<article>:<email>", made at fan-out.
- `delivery_claims`: one per attempt, `_id` "<article>:<email>#<n>". Only the replica that
  inserts claim n makes attempt n.
- `delivery_failures`: attempt n failed transiently, `_id` as its claim.
- `delivery_outcomes`: the final state (sent, suppressed, skipped), `_id` as the delivery:
  the first insert wins, so a delivery can never end twice.
- `fanouts`: one per article.published event whose jobs are all on the queue.

Updates on FerretDB scan the collection (tens of ms at 10,000 documents) and are not atomic;
inserts by `_id` are fast and atomic. Hence append-only facts, and a delivery's state is
derived: outcome if there is one, else failed if an attempt failed, else pending.
"""

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from shared.contracts.events import ArticlePublished
from shared.platform.db import Document

DUPLICATE_KEY = 11000
FinalState = Literal["sent", "suppressed", "skipped"]
Step = Literal["done", "next", "held"]


def delivery_key(article_id: str, email: str) -> str:
    return f"{article_id}:{email}"


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


class DeliveryStore:
    def __init__(self, db: AsyncDatabase[Document], record_linger: float = 0.0) -> None:
        self.deliveries: AsyncCollection[Document] = db["deliveries"]
        self.claims: AsyncCollection[Document] = db["delivery_claims"]
        self.failures: AsyncCollection[Document] = db["delivery_failures"]
        self.outcomes: AsyncCollection[Document] = db["delivery_outcomes"]
        self.fanouts: AsyncCollection[Document] = db["fanouts"]
        self.articles: AsyncCollection[Document] = db["articles"]
        self._claims = GroupInserter(self.claims)
        self._failures = GroupInserter(self.failures)
        self._outcomes = GroupInserter(self.outcomes, linger=record_linger)

    # ---- fan-out ----------------------------------------------------------------------

    async def fanout_done(self, event_id: str) -> bool:
        return await self.fanouts.find_one({"_id": event_id}, projection={"_id": 1}) is not None

    async def mark_fanout_done(self, event_id: str, article_id: str, recipients: int) -> None:
        with contextlib.suppress(DuplicateKeyError):
            await self.fanouts.insert_one(
                {
                    "_id": event_id,
                    "article_id": article_id,
                    "recipients": recipients,
                    "at": datetime.now(UTC),
                }
            )

    async def save_article(self, article: ArticlePublished) -> None:
        """Keep the article's facts, so that "retry failed" can render its email later."""
        document = {"facts": article.model_dump(mode="json"), "saved_at": datetime.now(UTC)}
        # One small document per article, written by the fan-out only: an upsert is fine.
        with contextlib.suppress(DuplicateKeyError):
            await self.articles.replace_one({"_id": article.article_id}, document, upsert=True)

    async def article(self, article_id: str) -> ArticlePublished | None:
        document = await self.articles.find_one({"_id": article_id})
        return None if document is None else ArticlePublished.model_validate(document["facts"])

    async def create(self, article_id: str, emails: list[str]) -> None:
        """The pending deliveries of one chunk; those that exist already are left alone."""
        now = datetime.now(UTC)
        documents = [
            {
                "_id": delivery_key(article_id, email),
                "article_id": article_id,
                "email": email,
                "created_at": now,
            }
            for email in emails
        ]
        try:
            await self.deliveries.insert_many(documents, ordered=False)
        except BulkWriteError as error:
            if any(e.get("code") != DUPLICATE_KEY for e in error.details.get("writeErrors", [])):
                raise

    # ---- attempts ---------------------------------------------------------------------

    async def claim(self, key: str, attempt: int, owner: str) -> bool:
        return await self._claims.insert(
            {"_id": f"{key}#{attempt}", "owner": owner, "claimed_at": datetime.now(UTC)}
        )

    async def claim_first(self, keys: list[str], owner: str) -> set[str]:
        """Claim attempt 1 of many deliveries in one round trip; return the keys won."""
        now = datetime.now(UTC)
        documents = [{"_id": f"{key}#1", "owner": owner, "claimed_at": now} for key in keys]
        try:
            await self.claims.insert_many(documents, ordered=False)
        except BulkWriteError as error:
            errors = error.details.get("writeErrors", [])
            if any(item.get("code") != DUPLICATE_KEY for item in errors):
                raise
            lost = {int(item["index"]) for item in errors}
            return {key for index, key in enumerate(keys) if index not in lost}
        return set(keys)

    async def record_failure(self, key: str, article_id: str, attempt: int, error: str) -> None:
        await self._failures.insert(
            {
                "_id": f"{key}#{attempt}",
                "key": key,
                "article_id": article_id,
                "attempt": attempt,
                "error": error[:500],
                "at": datetime.now(UTC),
            }
        )

    async def record_outcome(
        self, key: str, article_id: str, attempt: int, state: FinalState, detail: str = ""
    ) -> bool:
        """False if the delivery had already ended (only after a lease was overrun)."""
        return await self._outcomes.insert(
            {
                "_id": key,
                "article_id": article_id,
                "state": state,
                "attempt": attempt,
                "detail": detail[:500],
                "at": datetime.now(UTC),
            }
        )

    async def after_taken(self, key: str, attempt: int, lease: timedelta) -> Step:
        """Claim `attempt` was taken by someone: is the delivery done, may attempt+1 go ahead,
        or is the holder still at it?"""
        if await self.outcomes.find_one({"_id": key}, projection={"_id": 1}) is not None:
            return "done"
        claim_id = f"{key}#{attempt}"
        if await self.failures.find_one({"_id": claim_id}, projection={"_id": 1}) is not None:
            return "next"
        claim = await self.claims.find_one({"_id": claim_id})
        if claim is None or datetime.now(UTC) - claim["claimed_at"] > lease:
            return "next"  # its holder died between claiming and recording
        return "held"

    # ---- reading ----------------------------------------------------------------------

    async def counts(self, article_id: str) -> tuple[int, dict[str, int]]:
        """(total, count by state) for one article."""
        if await self.articles.find_one({"_id": article_id}, projection={"_id": 1}) is None:
            return 0, {}  # an unknown id costs one indexed read, not a scan
        total = await self.deliveries.count_documents({"article_id": article_id})
        if total == 0:
            return 0, {}
        counts: dict[str, int] = {}
        cursor = await self.outcomes.aggregate(
            [
                {"$match": {"article_id": article_id}},
                {"$group": {"_id": "$state", "count": {"$sum": 1}}},
            ]
        )
        async for row in cursor:
            counts[str(row["_id"])] = int(row["count"])
        failed = len(await self.failed(article_id))
        if failed:
            counts["failed"] = failed
        pending = total - sum(counts.values())
        if pending > 0:
            counts["pending"] = pending
        return total, counts

    async def failed(self, article_id: str) -> dict[str, int]:
        """Deliveries whose last attempt failed and that have not ended: email -> attempts."""
        highest: dict[str, int] = {}
        async for failure in self.failures.find(
            {"article_id": article_id}, projection={"key": 1, "attempt": 1}
        ):
            key = str(failure["key"])
            highest[key] = max(highest.get(key, 0), int(failure["attempt"]))
        if not highest:
            return {}
        ended = {
            str(doc["_id"])
            async for doc in self.outcomes.find({"article_id": article_id}, projection={"_id": 1})
        }
        prefix = len(article_id) + 1
        return {key[prefix:]: n for key, n in highest.items() if key not in ended}
