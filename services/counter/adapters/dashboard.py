"""The dashboard's reads: a period's month and day documents, a few dozen at most."""

from collections.abc import Mapping
from datetime import date

from pymongo.asynchronous.collection import AsyncCollection

from services.counter.adapters.store import Collections
from services.counter.domain import layout
from services.counter.domain.dashboard import (
    Period,
    Point,
    Tables,
    cover,
    day_series,
    hour_series,
    months_of,
)
from shared.platform.db import Document
from shared.platform.storage.writes import upsert

ACCESS = "dashboard"  # in totals: whether the dashboard is public


class DashboardStore:
    def __init__(self, collections: Collections) -> None:
        self.c = collections

    async def series(self, period: Period) -> list[Point]:
        """The period's figures by hour (a single day) or by day."""
        if period.by_hour:
            document = await self.c.days.find_one({"_id": period.first.isoformat()})
            return hour_series(period.first, document)
        projection = {layout.MONTH_DAYS: 1}
        months = await self._by_id(self.c.named(layout.MONTHS), months_of(period), projection)
        return day_series(period, months)

    async def tables(self, period: Period, today: date) -> Tables:
        """Every table of the period, from its whole months and its other days."""
        covered = cover(period, today)
        tables = Tables()
        months = await self._by_id(self.c.named(layout.MONTHS), covered.months)
        days = await self._by_id(self.c.days, [day.isoformat() for day in covered.days])
        for document in [*months.values(), *days.values()]:
            tables.add(document)
        return tables

    async def is_public(self) -> bool:
        document = await self.c.totals.find_one({"_id": ACCESS})
        return bool(document and document.get("public"))

    async def set_public(self, public: bool) -> None:
        await upsert(self.c.totals, {"_id": ACCESS}, {"$set": {"public": public}})

    @staticmethod
    async def _by_id(
        collection: AsyncCollection[Document],
        keys: list[str],
        projection: Mapping[str, int] | None = None,
    ) -> dict[str, Document]:
        if not keys:
            return {}
        found = collection.find({"_id": {"$in": keys}}, projection)
        return {str(document["_id"]): document async for document in found}
