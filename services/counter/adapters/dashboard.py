"""The dashboard's reads, kept cheap on FerretDB, which decodes a whole document to read any
of it (about 10-20 µs a field): a day's articles alone may be thousands of fields.

- Per-day figures and each day's version come from the small month documents: a year is
  thirteen reads of ~150 fields.
- A day's tables (its article and bot fields, its packed breakdowns and hours) are read
  once per version, and kept (`DAYS_KEPT` days).
- A past month's breakdowns are its roll-up: summed once from its days, stored with the
  day versions it was summed at (any replica reuses it while they hold), and kept.
"""

import contextlib
from collections import OrderedDict
from datetime import date
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from services.counter.adapters.store import Collections
from services.counter.domain import layout
from services.counter.domain.dashboard import (
    TABLE_FIELDS,
    Period,
    Point,
    Tables,
    cover,
    day_series,
    day_versions,
    hour_series,
    months_of,
    period_of,
)
from shared.platform.db import Document
from shared.platform.storage.packed import PACKED, pack_counts, unpack_counts
from shared.platform.storage.writes import upsert, write

ACCESS = "dashboard"  # in totals: whether the dashboard is public
DAYS_KEPT = 40  # a 30-day period, the one before it in part, and this month
MONTHS_KEPT = 24
SUMS_KEPT = 8
DAY_FIELDS = {TABLE_FIELDS["articles"]: 1, TABLE_FIELDS["bots"]: 1}


class DayCopy:
    """A day's tables and hours, as read at one version."""

    def __init__(self, day: Document, packed: dict[str, dict[str, int]]) -> None:
        self.tables = Tables.of_day(day, packed)
        self.hours = packed.get(layout.HOURS, {})


class DashboardStore:
    def __init__(self, collections: Collections) -> None:
        self.c = collections
        self._days: OrderedDict[str, tuple[int, DayCopy]] = OrderedDict()
        self._rollups: OrderedDict[str, tuple[dict[str, int], Tables]] = OrderedDict()
        # A period's summed tables, by the versions of every day in it (the presets' few).
        self._sums: OrderedDict[tuple[Any, ...], Tables] = OrderedDict()

    async def months(self, periods: list[Period]) -> dict[str, Document]:
        """The month documents of these periods: per-day figures and versions."""
        keys = list(dict.fromkeys(key for period in periods for key in months_of(period)))
        return await _by_id(self.c.named(layout.MONTHS), keys)

    async def series(self, period: Period, months: dict[str, Document]) -> list[Point]:
        """The period's figures by hour (a single day) or by day."""
        if period.by_hour:
            copy = await self._day(period.first, months)
            return hour_series(period.first, copy.hours)
        return day_series(period, months)

    async def tables(self, period: Period, today: date, months: dict[str, Document]) -> Tables:
        """Every table of the period: its past whole months' roll-ups, and its other days;
        summed again only when one of their versions changed."""
        covered = cover(period, today)
        versions = tuple(
            (key, tuple(sorted(day_versions(months.get(key, {})).items())))
            for key in months_of(period)
        )
        summed_key = (period, tuple(covered.months), versions)
        kept = self._sums.get(summed_key)
        if kept is not None:
            self._sums.move_to_end(summed_key)
            return kept
        tables = Tables()
        for month in covered.months:
            tables.add(await self._rollup(month, months))
        for day in covered.days:
            tables.add((await self._day(day, months)).tables)
        self._sums[summed_key] = tables
        if len(self._sums) > SUMS_KEPT:
            self._sums.popitem(last=False)
        return tables

    async def _day(self, day: date, months: dict[str, Document]) -> DayCopy:
        key = day.isoformat()
        version = day_versions(months.get(layout.month_key(day), {})).get(f"{day.day:02d}", 0)
        kept = self._days.get(key)
        if kept is not None and kept[0] == version:
            self._days.move_to_end(key)
            return kept[1]
        copy = DayCopy({}, {})
        if version:  # a day nothing was counted on has no documents
            day_document = await self.c.days.find_one({"_id": key}, DAY_FIELDS)
            packed = await self.c.named(layout.DAY_TABLES).find_one({"_id": key})
            copy = DayCopy(day_document or {}, unpack_counts(packed))
        self._days[key] = (version, copy)
        if len(self._days) > DAYS_KEPT:
            self._days.popitem(last=False)
        return copy

    async def _rollup(self, month: str, months: dict[str, Document]) -> Tables:
        versions = day_versions(months.get(month, {}))
        kept = self._rollups.get(month)
        if kept is None or kept[0] != versions:
            if (stored := await self._stored_rollup(month, versions)) is not None:
                kept = (versions, Tables.of_packed(unpack_counts(stored)))
            else:
                kept = (versions, await self._roll_up(month, versions, months))
            self._rollups[month] = kept
            if len(self._rollups) > MONTHS_KEPT:
                self._rollups.popitem(last=False)
        self._rollups.move_to_end(month)
        return kept[1]

    async def _roll_up(
        self, month: str, versions: dict[str, int], months: dict[str, Document]
    ) -> Tables:
        """Sum a past month's days once; the stored roll-up serves every replica after."""
        summed = Tables()
        for day in sorted(versions):
            copy = await self._day(date.fromisoformat(f"{month}-{day}"), months)
            summed.add(copy.tables)
        rolled = summed.rolled_up()
        document = {"_id": month, "versions": versions, PACKED: pack_counts(rolled.packed())}
        collection = self.c.named(layout.ROLLUPS)
        # Replicas may race to store it: theirs, summed from the same days, is as good.
        with contextlib.suppress(DuplicateKeyError):
            await write(lambda: collection.replace_one({"_id": month}, document, upsert=True))
        return rolled

    async def roll_up_past_months(self, today: date) -> int:
        """Sum and store the missing or stale roll-ups of the 12-month dashboard's past
        months, so that no reader waits for them; how many were summed."""
        period = period_of("12m", today, None, None)
        months = await self.months([period])
        summed = 0
        for month in cover(period, today).months:
            versions = day_versions(months.get(month, {}))
            if await self._stored_rollup(month, versions, {"versions": 1}) is None:
                await self._roll_up(month, versions, months)
                summed += 1
        return summed

    async def _stored_rollup(
        self, month: str, versions: dict[str, int], fields: dict[str, int] | None = None
    ) -> Document | None:
        """The stored roll-up of `month`, if it was summed at these day versions."""
        stored = await self.c.named(layout.ROLLUPS).find_one({"_id": month}, fields)
        return stored if stored is not None and stored.get("versions") == versions else None

    async def is_public(self) -> bool:
        document = await self.c.totals.find_one({"_id": ACCESS})
        return bool(document and document.get("public"))

    async def set_public(self, public: bool) -> None:
        await upsert(self.c.totals, {"_id": ACCESS}, {"$set": {"public": public}})


async def _by_id(collection: AsyncCollection[Document], keys: list[str]) -> dict[str, Document]:
    if not keys:
        return {}
    return {str(doc["_id"]): doc async for doc in collection.find({"_id": {"$in": keys}})}
