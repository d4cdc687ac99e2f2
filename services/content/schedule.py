"""Bookings of scheduled publications, and the claims that make each fire exactly once.

The article (`status: scheduled`, `publish_at`) is the truth; a booking is only the
reminder that wakes the scheduler at `publish_at`. Bookings live in their own small
collection so the scheduler's frequent scan stays cheap (FerretDB scans anything but
`_id` lookups), and a booking that disagrees with its article is corrected, never trusted.

A replica fires a booking only after inserting the claim
`_id = "<article>:<publish_at>:<attempt>"`: unique inserts are atomic on FerretDB, so one
replica wins. The attempt number grows with each lease period past the due time, so if the
winner dies before publishing, another replica claims the next attempt later.
"""

from datetime import UTC, datetime

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.platform.db import Document


class ScheduleBook:
    def __init__(self, db: AsyncDatabase[Document], lease_seconds: float = 30.0) -> None:
        self.bookings: AsyncCollection[Document] = db["schedule"]
        self.claims: AsyncCollection[Document] = db["schedule_claims"]
        self._lease = lease_seconds

    async def book(self, article_id: str, publish_at: datetime) -> None:
        try:
            await self.bookings.update_one(
                {"_id": article_id}, {"$set": {"publish_at": publish_at}}, upsert=True
            )
        except DuplicateKeyError:  # FerretDB: a racing upsert inserted first; update it
            await self.bookings.update_one(
                {"_id": article_id}, {"$set": {"publish_at": publish_at}}
            )

    async def due(self, now: datetime) -> list[Document]:
        return await self.bookings.find({"publish_at": {"$lte": now}}).to_list()

    async def all(self) -> dict[str, datetime]:
        return {str(doc["_id"]): doc["publish_at"] async for doc in self.bookings.find({})}

    async def claim(self, booking: Document, now: datetime) -> bool:
        """True for exactly one caller per booking and lease period."""
        publish_at: datetime = booking["publish_at"]
        attempt = int(max(0.0, (now - publish_at).total_seconds()) // self._lease)
        claim_id = f"{booking['_id']}:{publish_at.isoformat()}:{attempt}"
        try:
            await self.claims.insert_one({"_id": claim_id, "claimed_at": datetime.now(UTC)})
        except DuplicateKeyError:
            return False
        return True

    async def cancel(self, booking: Document) -> None:
        # Only this booking: one re-timed meanwhile (a new publish_at) stays.
        await self.bookings.delete_one({"_id": booking["_id"], "publish_at": booking["publish_at"]})
