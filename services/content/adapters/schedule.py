"""Bookings of scheduled publications, and the claims that make each fire exactly once.

The article (`status: scheduled`, `publish_at`) is the truth; a booking is only the
reminder that wakes the scheduler at `publish_at`. Bookings live in their own small
collection so the scheduler's frequent scan stays cheap (FerretDB scans anything but
`_id` lookups), and a booking that disagrees with its article is corrected, never trusted.

A replica fires a booking only after it won the claim on "<article>:<publish_at>"
(shared/platform/storage/claims.py: a unique insert, so one replica wins); if the winner
dies before publishing, another replica claims the next attempt once the lease ran out.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from shared.platform.db import Document
from shared.platform.storage.claims import Claims
from shared.platform.storage.writes import upsert


@dataclass(frozen=True)
class Booking:
    article_id: str
    publish_at: datetime


class ScheduleBook:
    def __init__(self, db: AsyncDatabase[Document], lease_seconds: float = 30.0) -> None:
        self.bookings: AsyncCollection[Document] = db["schedule"]
        self._claims = Claims(db["schedule_claims"], timedelta(seconds=lease_seconds))
        self._owner = uuid.uuid4().hex  # this replica

    async def book(self, article_id: str, publish_at: datetime) -> None:
        await upsert(self.bookings, {"_id": article_id}, {"$set": {"publish_at": publish_at}})

    async def due(self, now: datetime) -> list[Booking]:
        found = self.bookings.find({"publish_at": {"$lte": now}})
        return [Booking(str(doc["_id"]), doc["publish_at"]) async for doc in found]

    async def all(self) -> dict[str, datetime]:
        return {str(doc["_id"]): doc["publish_at"] async for doc in self.bookings.find({})}

    async def claim(self, booking: Booking) -> bool:
        """True for exactly one caller per booking and lease period."""
        key = f"{booking.article_id}:{booking.publish_at.isoformat()}"
        return await self._claims.claim(key, self._owner) is not None

    async def cancel(self, booking: Booking) -> None:
        # Only this booking: one re-timed meanwhile (a new publish_at) stays.
        await self.bookings.delete_one(
            {"_id": booking.article_id, "publish_at": booking.publish_at}
        )
