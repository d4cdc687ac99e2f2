"""Subscribers and deliveries in MongoDB. A delivery's `_id` is (article, subscriber): one each."""

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Literal

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.notifier.models import SubscribeRequest
from shared.db import Document

CONFIRMATION_INTERVAL = timedelta(minutes=10)

SubscriberStatus = Literal["pending", "confirmed", "unsubscribed"]
# failed: a transient SMTP error, retried; rejected: the server refused the address (5xx).
DeliveryState = Literal["pending", "sent", "failed", "rejected"]


class SubscriberStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.subscribers: AsyncCollection[Document] = db["subscribers"]

    async def add(self, request: SubscribeRequest) -> Document:
        """Add as pending, or return the existing subscriber unchanged: signing up is idempotent."""
        email = request.email.lower()
        await _upsert(
            self.subscribers,
            {"_id": email},
            {
                "$setOnInsert": {
                    "email": email,
                    "sections": request.sections,
                    "language": request.language,
                    "status": "pending",
                    "created_at": datetime.now(UTC),
                }
            },
        )
        subscriber = await self.subscribers.find_one({"_id": email})
        assert subscriber is not None
        return subscriber

    async def confirmation_due(self, subscriber: Document, now: datetime) -> bool:
        """True at most once per CONFIRMATION_INTERVAL, so a sign-up form cannot mail-bomb."""
        last = subscriber.get("confirmation_sent_at")
        if last is not None and now - last < CONFIRMATION_INTERVAL:
            return False
        await self.subscribers.update_one(
            {"_id": subscriber["_id"]}, {"$set": {"confirmation_sent_at": now}}
        )
        return True

    async def set_status(self, email: str, status: SubscriberStatus) -> bool:
        result = await self.subscribers.update_one(
            {"_id": email}, {"$set": {"status": status, f"{status}_at": datetime.now(UTC)}}
        )
        return result.matched_count == 1

    async def recipients(self, section: str) -> list[Document]:
        confirmed = self.subscribers.find({"status": "confirmed"})
        return [
            subscriber
            async for subscriber in confirmed
            # FerretDB v1 drops an empty array written by an upsert: absent means all too.
            if not subscriber.get("sections") or section in subscriber["sections"]
        ]


class DeliveryStore:
    """One delivery per (article, subscriber); each send attempt is claimed by an insert.

    FerretDB has no atomic compare-and-set, but a unique `_id` insert is atomic: only one
    replica can insert claim number N, so only one sends attempt N. A claim whose outcome
    was never recorded (a crash mid-send) is never retried by itself: at most once.
    """

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.deliveries: AsyncCollection[Document] = db["deliveries"]
        self.claims: AsyncCollection[Document] = db["delivery_claims"]

    async def open(self, article_id: str, email: str, event_id: str) -> Document:
        """The delivery record, made pending if new."""
        key = f"{article_id}:{email}"
        await _upsert(
            self.deliveries,
            {"_id": key},
            {
                "$setOnInsert": {
                    "article_id": article_id,
                    "email": email,
                    "event_id": event_id,
                    "state": "pending",
                    "attempts": 0,
                    "created_at": datetime.now(UTC),
                }
            },
        )
        delivery = await self.deliveries.find_one({"_id": key})
        assert delivery is not None
        return delivery

    async def claim(self, delivery: Document) -> int | None:
        """The number of the attempt this process may make now, or None if another has it."""
        attempt = int(delivery["attempts"]) + 1
        try:
            await self.claims.insert_one(
                {"_id": f"{delivery['_id']}#{attempt}", "claimed_at": datetime.now(UTC)}
            )
        except DuplicateKeyError:
            return None
        return attempt

    async def record(
        self, delivery: Document, attempt: int, state: DeliveryState, error: str = ""
    ) -> None:
        # Only the holder of this attempt's claim writes here, so a plain $set is safe.
        await self.deliveries.update_one(
            {"_id": delivery["_id"]},
            {
                "$set": {
                    "state": state,
                    "attempts": attempt,
                    "error": error,
                    "updated_at": datetime.now(UTC),
                }
            },
        )

    async def count_by_state(self, article_id: str) -> dict[str, int]:
        pipeline: list[Document] = [
            {"$match": {"article_id": article_id}},
            {"$group": {"_id": "$state", "count": {"$sum": 1}}},
        ]
        cursor = await self.deliveries.aggregate(pipeline)
        return {str(row["_id"]): int(row["count"]) async for row in cursor}


async def _upsert(collection: AsyncCollection[Document], key: Document, update: Document) -> None:
    """An upsert that tolerates a racing insert of the same `_id`.

    MongoDB retries that race itself; FerretDB raises DuplicateKeyError, and then the
    document exists, which is all a $setOnInsert upsert wanted.
    """
    with contextlib.suppress(DuplicateKeyError):
        await collection.update_one(key, update, upsert=True)
