"""Page views in MongoDB, stored once each whatever the redeliveries, and the stats over them."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from services.counter.visits import visit_starts
from shared.db import Document
from shared.events import PageView

DUPLICATE_KEY = 11000


@dataclass(frozen=True)
class Stats:
    online: int
    visits_today: int
    visits_total: int
    views_today: int
    views_total: int
    visitors_today: int
    visitors_total: int
    bots_today: int


class ViewStore:
    def __init__(
        self,
        db: AsyncDatabase[Document],
        zone: ZoneInfo,
        online_window: timedelta,
        visit_timeout: timedelta,
    ) -> None:
        self.views: AsyncCollection[Document] = db["views"]
        self._zone = zone
        self._online_window = online_window
        self._visit_timeout = visit_timeout

    async def create_indexes(self) -> None:
        await self.views.create_index([("viewed_at", ASCENDING)])
        await self.views.create_index([("article_id", ASCENDING)])

    async def record(self, event_id: str, views: list[PageView]) -> None:
        """Store each view under a key derived from the event, so a redelivery adds nothing."""
        documents: list[Document] = [
            {"_id": f"{event_id}:{index}", **view.model_dump()} for index, view in enumerate(views)
        ]
        try:
            await self.views.insert_many(documents, ordered=False)
        except BulkWriteError as error:
            errors = error.details.get("writeErrors", [])
            if any(item.get("code") != DUPLICATE_KEY for item in errors):
                raise

    async def stats(self, now: datetime) -> Stats:
        midnight = now.astimezone(self._zone).replace(hour=0, minute=0, second=0, microsecond=0)
        humans = {"is_bot": False}
        online = await self.views.distinct(
            "visitor", {**humans, "viewed_at": {"$gte": now - self._online_window}}
        )
        all_views = [
            (str(doc["visitor"]), doc["viewed_at"])
            async for doc in self.views.find(humans, {"visitor": 1, "viewed_at": 1, "_id": 0})
        ]
        starts = visit_starts(all_views, self._visit_timeout)
        today = [(visitor, at) for visitor, at in all_views if at >= midnight]
        return Stats(
            online=len(online),
            visits_today=sum(1 for start in starts if start >= midnight),
            visits_total=len(starts),
            views_today=len(today),
            views_total=len(all_views),
            visitors_today=len({visitor for visitor, _ in today}),
            visitors_total=len({visitor for visitor, _ in all_views}),
            bots_today=await self.views.count_documents(
                {"is_bot": True, "viewed_at": {"$gte": midnight}}
            ),
        )

    async def article_views(self, article_id: str) -> int:
        return await self.views.count_documents({"article_id": article_id, "is_bot": False})
