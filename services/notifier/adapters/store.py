"""Subscribers, suppressions and opt-outs in MongoDB; a subscriber's `_id` is its address.

Documents are mapped to the domain's types here and nowhere else.
"""

import asyncio
import dataclasses
import time
from collections.abc import AsyncGenerator
from datetime import UTC, datetime

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.notifier.domain.models import (
    DOUBLE_OPT_IN,
    Consent,
    PreferencesRequest,
    Subscriber,
    SubscriberStatus,
    Suppression,
)
from shared.platform.db import Document
from shared.platform.storage.writes import insert_many_or_ignore, insert_or_ignore

# Documents per insert_many, and per batch of a cursor.
BATCH = 1000


def _subscriber(document: Document) -> Subscriber:
    return Subscriber(
        email=str(document["_id"]),
        status=document["status"],
        # FerretDB v1 drops an empty array written by an upsert: absent means all too.
        sections=[str(slug) for slug in document.get("sections") or []],
        paused=bool(document.get("paused")),
        language=str(document.get("language", "vi")),
        consent=_consent(document),
    )


def _consent(document: Document) -> Consent | None:
    """The recorded consent (an import's); else a confirmation by the emailed link, when the
    document says one happened; else none (documents older than both)."""
    if document.get("consent_source"):
        return Consent(str(document["consent_source"]), document.get("consented_at"))
    if document.get("confirmed_at") is not None:
        return Consent(DOUBLE_OPT_IN, document["confirmed_at"])
    return None


def _consent_fields(consent: Consent) -> Document:
    fields: Document = {"consent_source": consent.source}
    if consent.at is not None:
        fields["consented_at"] = consent.at
    return fields


def _document(subscriber: Subscriber, created_at: datetime) -> Document:
    document: Document = {
        "_id": subscriber.email,
        "email": subscriber.email,
        "sections": subscriber.sections,
        "language": subscriber.language,
        "paused": subscriber.paused,
        "status": subscriber.status,
        "created_at": created_at,
    }
    if subscriber.consent is not None:
        document.update(_consent_fields(subscriber.consent))
    return document


class SubscriberStore:
    """Each subscriber document is updated only by its owner's own requests (one at a time
    in practice), so plain updates are safe on FerretDB; a sign-up only ever inserts one."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.subscribers: AsyncCollection[Document] = db["subscribers"]
        # Addresses that left or paused: small, read by every delivery job to honour a
        # change made after the fan-out picked the recipients.
        self.opt_outs: AsyncCollection[Document] = db["opt_outs"]

    async def add(self, email: str, sections: list[str], language: str) -> Subscriber:
        """Add as pending, or return the existing subscriber unchanged: signing up is idempotent
        and cannot change someone else's preferences. An insert, never an update: on FerretDB
        even a no-op upsert of an existing document could undo a concurrent change to it."""
        pending = Subscriber(email, "pending", sections, paused=False, language=language)
        await insert_or_ignore(self.subscribers, _document(pending, datetime.now(UTC)))
        subscriber = await self.get(email)
        assert subscriber is not None
        return subscriber

    async def add_many(self, subscribers: list[Subscriber]) -> set[str]:
        """Insert subscribers as they are (an import, a benchmark's readers); those whose
        address exists already are left alone, and their addresses returned."""
        now = datetime.now(UTC)
        documents = [_document(subscriber, now) for subscriber in subscribers]
        existing: set[str] = set()
        for start in range(0, len(documents), BATCH):
            batch = documents[start : start + BATCH]
            existing |= await insert_many_or_ignore(self.subscribers, batch)
        return existing

    async def with_status(self, *statuses: SubscriberStatus) -> dict[str, SubscriberStatus]:
        """Every subscriber of these statuses, with its status. One scan: on FerretDB an
        `_id: {$in: [...]}` read scans the collection too, once per batch of addresses."""
        query = {"status": {"$in": list(statuses)}}
        cursor = self.subscribers.find(query, projection={"status": 1}, batch_size=BATCH)
        return {str(doc["_id"]): doc["status"] async for doc in cursor}

    async def get(self, email: str) -> Subscriber | None:
        document = await self.subscribers.find_one({"_id": email})
        return None if document is None else _subscriber(document)

    async def set_status(
        self, email: str, status: SubscriberStatus, consent: Consent | None = None
    ) -> Subscriber | None:
        """Change the status (and record the consent given, if any); None if there is no
        such subscriber."""
        subscriber = await self.get(email)
        if subscriber is None:
            return None
        now = datetime.now(UTC)
        change: Document = {"status": status, f"{status}_at": now}
        if consent is not None:
            change.update(_consent_fields(consent))
        await self.subscribers.update_one({"_id": email}, {"$set": change})
        changed = dataclasses.replace(
            subscriber, status=status, consent=consent or subscriber.consent
        )
        await self._sync_opt_out(changed)
        return changed

    async def set_preferences(self, email: str, change: PreferencesRequest) -> Subscriber | None:
        subscriber = await self.get(email)
        if subscriber is None:
            return None
        update: Document = {"sections": change.sections, "paused": change.paused}
        if change.language is not None:
            update["language"] = change.language
        update["preferences_at"] = datetime.now(UTC)
        await self.subscribers.update_one({"_id": email}, {"$set": update})
        changed = dataclasses.replace(
            subscriber,
            sections=change.sections,
            paused=change.paused,
            language=change.language or subscriber.language,
        )
        await self._sync_opt_out(changed)
        return changed

    async def _sync_opt_out(self, subscriber: Subscriber) -> None:
        if subscriber.receives_mail:
            await self.opt_outs.delete_one({"_id": subscriber.email})
        else:
            await insert_or_ignore(
                self.opt_outs, {"_id": subscriber.email, "at": datetime.now(UTC)}
            )

    async def recipients(self, section_slug: str, excluded: set[str]) -> list[tuple[str, str]]:
        """Confirmed, not paused, not suppressed subscribers of the section: (address,
        language), by address."""
        confirmed = self.subscribers.find(
            {"status": "confirmed"},
            projection={"status": 1, "sections": 1, "paused": 1, "language": 1},
        )
        found = [_subscriber(document) async for document in confirmed]
        return sorted(
            (subscriber.email, subscriber.language)
            for subscriber in found
            if subscriber.receives_mail
            and subscriber.email not in excluded
            and subscriber.wants(section_slug)
        )

    async def languages(self, emails: list[str]) -> dict[str, str]:
        found = self.subscribers.find({"_id": {"$in": emails}}, projection={"language": 1})
        return {str(doc["_id"]): str(doc.get("language", "vi")) async for doc in found}

    async def page(self, status: str | None, after: str | None, limit: int) -> list[Subscriber]:
        query: Document = {}
        if status is not None:
            query["status"] = status
        if after is not None:
            query["_id"] = {"$gt": after}
        cursor = self.subscribers.find(query).sort("_id", 1).limit(limit)
        return [_subscriber(document) async for document in cursor]

    async def each(self, status: SubscriberStatus | None) -> AsyncGenerator[Subscriber, None]:
        """Every subscriber (of a status), by address, read in batches through one cursor:
        one scan, where pages by `_id` range would scan once per page on FerretDB."""
        query: Document = {} if status is None else {"status": status}
        async with self.subscribers.find(query, batch_size=BATCH).sort("_id", 1) as cursor:
            async for document in cursor:
                yield _subscriber(document)

    async def opted_out(self) -> set[str]:
        return {str(doc["_id"]) async for doc in self.opt_outs.find({}, projection={"_id": 1})}


class SuppressionStore:
    """Addresses the SMTP server refused permanently; nothing is sent to them until lifted."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.suppressions: AsyncCollection[Document] = db["suppressions"]

    async def add(self, email: str, reason: str) -> None:
        document = {"_id": email, "reason": reason[:500], "suppressed_at": datetime.now(UTC)}
        await insert_or_ignore(self.suppressions, document)

    async def lift(self, email: str) -> bool:
        result = await self.suppressions.delete_one({"_id": email})
        return result.deleted_count == 1

    async def all(self) -> list[Suppression]:
        return [
            Suppression(
                email=str(doc["_id"]),
                reason=str(doc.get("reason", "")),
                suppressed_at=doc["suppressed_at"],
            )
            async for doc in self.suppressions.find({}).sort("_id", 1)
        ]

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
