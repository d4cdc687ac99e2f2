"""Subscribers, suppressions and opt-outs in MongoDB; a subscriber's `_id` is its address."""

import asyncio
import contextlib
import time
from datetime import UTC, datetime
from typing import Literal

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.notifier.models import PreferencesRequest
from shared.platform.db import Document
from shared.platform.storage.writes import insert_or_ignore

SubscriberStatus = Literal["pending", "confirmed", "unsubscribed"]


class SubscriberStore:
    """Each subscriber document is updated only by its owner's own requests (one at a time
    in practice), so plain updates are safe on FerretDB; a sign-up only ever inserts one."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.subscribers: AsyncCollection[Document] = db["subscribers"]
        # Addresses that left or paused: small, read by every delivery job to honour a
        # change made after the fan-out picked the recipients.
        self.opt_outs: AsyncCollection[Document] = db["opt_outs"]

    async def add(self, email: str, sections: list[str], language: str) -> Document:
        """Add as pending, or return the existing subscriber unchanged: signing up is idempotent
        and cannot change someone else's preferences. An insert, never an update: on FerretDB
        even a no-op upsert of an existing document could undo a concurrent change to it."""
        await insert_or_ignore(
            self.subscribers,
            {
                "_id": email,
                "email": email,
                "sections": sections,
                "language": language,
                "paused": False,
                "status": "pending",
                "created_at": datetime.now(UTC),
            },
        )
        subscriber = await self.subscribers.find_one({"_id": email})
        assert subscriber is not None
        return subscriber

    async def get(self, email: str) -> Document | None:
        return await self.subscribers.find_one({"_id": email})

    async def set_status(self, email: str, status: SubscriberStatus) -> Document | None:
        """Change the status; None if there is no such subscriber."""
        subscriber = await self.get(email)
        if subscriber is None:
            return None
        now = datetime.now(UTC)
        await self.subscribers.update_one(
            {"_id": email}, {"$set": {"status": status, f"{status}_at": now}}
        )
        subscriber["status"] = status
        await self._sync_opt_out(subscriber)
        return subscriber

    async def confirm(self, email: str) -> Document | None:
        """Confirm a pending subscriber; any other status stays as it is. A confirmation
        link opened again after an unsubscribe (mail scanners re-open links) must not
        subscribe the address again. None if there is no such subscriber."""
        subscriber = await self.get(email)
        if subscriber is None or subscriber["status"] != "pending":
            return subscriber
        return await self.set_status(email, "confirmed")

    async def set_preferences(self, email: str, change: PreferencesRequest) -> Document | None:
        subscriber = await self.get(email)
        if subscriber is None:
            return None
        update: Document = {"sections": change.sections, "paused": change.paused}
        if change.language is not None:
            update["language"] = change.language
        update["preferences_at"] = datetime.now(UTC)
        await self.subscribers.update_one({"_id": email}, {"$set": update})
        subscriber.update(update)
        await self._sync_opt_out(subscriber)
        return subscriber

    async def _sync_opt_out(self, subscriber: Document) -> None:
        email = subscriber["_id"]
        if subscriber["status"] == "confirmed" and not subscriber.get("paused"):
            await self.opt_outs.delete_one({"_id": email})
        else:
            with contextlib.suppress(DuplicateKeyError):
                await self.opt_outs.insert_one({"_id": email, "at": datetime.now(UTC)})

    async def recipients(self, section_slug: str, excluded: set[str]) -> list[tuple[str, str]]:
        """Confirmed, not paused, not suppressed subscribers of the section: (address,
        language), by address."""
        confirmed = self.subscribers.find(
            {"status": "confirmed"}, projection={"sections": 1, "paused": 1, "language": 1}
        )
        chosen = [
            (str(subscriber["_id"]), str(subscriber.get("language", "vi")))
            async for subscriber in confirmed
            if not subscriber.get("paused")
            and subscriber["_id"] not in excluded
            # FerretDB v1 drops an empty array written by an upsert: absent means all too.
            and (not subscriber.get("sections") or section_slug in subscriber["sections"])
        ]
        return sorted(chosen)

    async def languages(self, emails: list[str]) -> dict[str, str]:
        found = self.subscribers.find({"_id": {"$in": emails}}, projection={"language": 1})
        return {str(doc["_id"]): str(doc.get("language", "vi")) async for doc in found}

    async def page(self, status: str | None, after: str | None, limit: int) -> list[Document]:
        query: Document = {}
        if status is not None:
            query["status"] = status
        if after is not None:
            query["_id"] = {"$gt": after}
        cursor = self.subscribers.find(query).sort("_id", 1).limit(limit)
        return [subscriber async for subscriber in cursor]

    async def opted_out(self) -> set[str]:
        return {str(doc["_id"]) async for doc in self.opt_outs.find({}, projection={"_id": 1})}


class SuppressionStore:
    """Addresses the SMTP server refused permanently; nothing is sent to them until lifted."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.suppressions: AsyncCollection[Document] = db["suppressions"]

    async def add(self, email: str, reason: str) -> None:
        with contextlib.suppress(DuplicateKeyError):
            await self.suppressions.insert_one(
                {"_id": email, "reason": reason[:500], "suppressed_at": datetime.now(UTC)}
            )

    async def lift(self, email: str) -> bool:
        result = await self.suppressions.delete_one({"_id": email})
        return result.deleted_count == 1

    async def all(self) -> list[Document]:
        return [doc async for doc in self.suppressions.find({}).sort("_id", 1)]

    async def emails(self) -> set[str]:
        return {str(doc["_id"]) async for doc in self.suppressions.find({}, projection={"_id": 1})}

    async def contains(self, email: str) -> bool:
        return await self.suppressions.find_one({"_id": email}, projection={"_id": 1}) is not None


class Blocklist:
    """Suppressed and opted-out addresses, re-read at most every `max_age` seconds per replica."""

    def __init__(
        self, subscribers: SubscriberStore, suppressions: SuppressionStore, max_age: float = 2.0
    ) -> None:
        self._subscribers, self._suppressions = subscribers, suppressions
        self._max_age = max_age
        self._read_at = -max_age
        self._value: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())
        self._lock = asyncio.Lock()

    async def current(self) -> tuple[frozenset[str], frozenset[str]]:
        """(suppressed, opted out)."""
        async with self._lock:
            if time.monotonic() - self._read_at >= self._max_age:
                suppressed = await self._suppressions.emails()
                opted_out = await self._subscribers.opted_out()
                self._value = (frozenset(suppressed), frozenset(opted_out))
                self._read_at = time.monotonic()
            return self._value
