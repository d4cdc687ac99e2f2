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

from datetime import UTC, datetime, timedelta

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.notifier.domain.deliveries import FinalState, Step, delivery_key
from shared.contracts.events import ArticlePublished
from shared.platform.db import Document
from shared.platform.storage.claims import Claims, claim_id
from shared.platform.storage.group import GroupInserter
from shared.platform.storage.writes import insert_many_or_ignore, insert_or_ignore, upsert


class DeliveryStore:
    def __init__(
        self, db: AsyncDatabase[Document], lease: timedelta, record_linger: float = 0.0
    ) -> None:
        self.deliveries: AsyncCollection[Document] = db["deliveries"]
        self.failures: AsyncCollection[Document] = db["delivery_failures"]
        self.outcomes: AsyncCollection[Document] = db["delivery_outcomes"]
        self.fanouts: AsyncCollection[Document] = db["fanouts"]
        self.articles: AsyncCollection[Document] = db["articles"]
        # The claims' documents and ids are the shared ones, but not `Claims.claim`: a job
        # claims thousands of attempts at once, so they go through a group inserter, and
        # whether a taken attempt lets the next one go depends on this delivery's recorded
        # failure and outcome (`after_taken`), not on the lease alone.
        self.claims = Claims(db["delivery_claims"], lease)
        self._claim_inserts = GroupInserter(self.claims.collection)
        self._failures = GroupInserter(self.failures)
        self._outcomes = GroupInserter(self.outcomes, linger=record_linger)

    # ---- fan-out ----------------------------------------------------------------------

    async def fanout_done(self, event_id: str) -> bool:
        return await self.fanouts.find_one({"_id": event_id}, projection={"_id": 1}) is not None

    async def mark_fanout_done(self, event_id: str, article_id: str, recipients: int) -> None:
        document = {
            "_id": event_id,
            "article_id": article_id,
            "recipients": recipients,
            "at": datetime.now(UTC),
        }
        await insert_or_ignore(self.fanouts, document)

    async def save_article(self, article: ArticlePublished) -> None:
        """Keep the article's facts, so that "retry failed" can render its email later."""
        # One small document per article, written by the fan-out only: an upsert is fine.
        facts = {"facts": article.model_dump(mode="json"), "saved_at": datetime.now(UTC)}
        await upsert(self.articles, {"_id": article.article_id}, {"$set": facts})

    async def article(self, article_id: str) -> ArticlePublished | None:
        document = await self.articles.find_one({"_id": article_id})
        return None if document is None else ArticlePublished.model_validate(document["facts"])

    async def create(self, article_id: str, emails: list[str]) -> None:
        """The pending deliveries of one chunk; those that exist already are left alone."""
        now = datetime.now(UTC)
        documents: list[Document] = [
            {
                "_id": delivery_key(article_id, email),
                "article_id": article_id,
                "email": email,
                "created_at": now,
            }
            for email in emails
        ]
        await insert_many_or_ignore(self.deliveries, documents)

    # ---- attempts ---------------------------------------------------------------------

    async def claim(self, key: str, attempt: int, owner: str) -> bool:
        return await self._claim_inserts.insert(
            {"_id": claim_id(key, attempt), "owner": owner, "claimed_at": datetime.now(UTC)}
        )

    async def claim_first(self, keys: list[str], owner: str) -> set[str]:
        """Claim attempt 1 of many deliveries in one round trip; return the keys won."""
        now = datetime.now(UTC)
        documents: list[Document] = [
            {"_id": claim_id(key, 1), "owner": owner, "claimed_at": now} for key in keys
        ]
        taken = await insert_many_or_ignore(self.claims.collection, documents)
        return {key for key in keys if claim_id(key, 1) not in taken}

    async def record_failure(self, key: str, article_id: str, attempt: int, error: str) -> None:
        await self._failures.insert(
            {
                "_id": claim_id(key, attempt),
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

    async def after_taken(self, key: str, attempt: int) -> Step:
        """Claim `attempt` was taken by someone: is the delivery done, may attempt+1 go ahead,
        or is the holder still at it?"""
        if await self.outcomes.find_one({"_id": key}, projection={"_id": 1}) is not None:
            return "done"
        failure = await self.failures.find_one(
            {"_id": claim_id(key, attempt)}, projection={"_id": 1}
        )
        if failure is not None:
            return "next"
        holder = await self.claims.holder(key, attempt)
        if holder is None or self.claims.expired(holder):
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
        counts = await self._ended(article_id)
        failed = len(await self.failed(article_id))
        if failed:
            counts["failed"] = failed
        pending = total - sum(counts.values())
        if pending > 0:
            counts["pending"] = pending
        return total, counts

    async def _ended(self, article_id: str) -> dict[str, int]:
        cursor = await self.outcomes.aggregate(
            [
                {"$match": {"article_id": article_id}},
                {"$group": {"_id": "$state", "count": {"$sum": 1}}},
            ]
        )
        return {str(row["_id"]): int(row["count"]) async for row in cursor}

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
