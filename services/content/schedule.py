"""Bookings of scheduled publications, and the claims that make each fire exactly once.

Bookings live in their own small collection so the scheduler's scan (FerretDB scans
anything but `_id` lookups) stays cheap. A replica fires a booking only after inserting
the claim `_id = "<article>:<revision>:<attempt>"`: unique inserts are atomic on FerretDB,
so one replica wins. The attempt number grows with each lease period past the due time, so
if the winner dies before publishing, another replica claims the next attempt later.
"""

from datetime import UTC, datetime

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.db import Document


class ScheduleBook:
    def __init__(self, db: AsyncDatabase[Document], lease_seconds: float = 30.0) -> None:
        self.bookings: AsyncCollection[Document] = db["schedule"]
        self.claims: AsyncCollection[Document] = db["schedule_claims"]
        self._lease = lease_seconds

    async def book(self, article_id: str, revision: int, publish_at: datetime) -> None:
        booking = {"revision": revision, "publish_at": publish_at}
        result = await self.bookings.update_one({"_id": article_id}, {"$set": booking})
        if result.matched_count == 0:
            try:
                await self.bookings.insert_one({"_id": article_id, **booking})
            except DuplicateKeyError:  # a racing booking inserted first; ours is newer
                await self.bookings.update_one({"_id": article_id}, {"$set": booking})

    async def due(self, now: datetime) -> list[Document]:
        return await self.bookings.find({"publish_at": {"$lte": now}}).to_list()

    async def claim(self, booking: Document, now: datetime) -> bool:
        """True for exactly one caller per booking and lease period."""
        publish_at: datetime = booking["publish_at"]
        attempt = int(max(0.0, (now - publish_at).total_seconds()) // self._lease)
        try:
            await self.claims.insert_one(
                {
                    "_id": f"{booking['_id']}:{booking['revision']}:{attempt}",
                    "claimed_at": datetime.now(UTC),
                }
            )
        except DuplicateKeyError:
            return False
        return True

    async def done(self, booking: Document) -> None:
        # Only this booking: a newer one (the article was re-timed meanwhile) stays.
        await self.bookings.delete_one({"_id": booking["_id"], "revision": booking["revision"]})

    async def ensure(self, article_id: str, revision: int, publish_at: datetime) -> None:
        """Book a scheduled article whose booking was lost (repair at start)."""
        if await self.bookings.find_one({"_id": article_id}) is None:
            await self.book(article_id, revision, publish_at)
