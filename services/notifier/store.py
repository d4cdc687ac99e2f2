"""Subscribers and deliveries in MongoDB. A delivery's `_id` is (article, subscriber): one each."""

import contextlib
from datetime import UTC, datetime
from typing import Literal

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.notifier.models import SubscribeRequest
from shared.db import Document

SubscriberStatus = Literal["pending", "confirmed", "unsubscribed"]
DeliveryState = Literal["pending", "sent", "failed"]


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
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.deliveries: AsyncCollection[Document] = db["deliveries"]

    async def open(self, article_id: str, email: str, event_id: str) -> DeliveryState:
        """Record the delivery if new; return its state, so a sent one is never sent again."""
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
        state: DeliveryState = delivery["state"]
        return state

    async def close(
        self, article_id: str, email: str, state: DeliveryState, error: str = ""
    ) -> None:
        await self.deliveries.update_one(
            {"_id": f"{article_id}:{email}"},
            {
                "$set": {"state": state, "error": error, "updated_at": datetime.now(UTC)},
                "$inc": {"attempts": 1},
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
