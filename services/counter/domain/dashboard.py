"""The dashboard's arithmetic, pure: which period a request means, which stored documents
cover it, and the figures, series and tables they add up to.

A period is a run of whole local days. Its figures are sums of daily figures: visitors are
counted once per day (the visitor hash changes with the salt at local midnight, so nobody
can be followed from one day to the next, here or anywhere).
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from services.counter.domain import layout
from services.counter.domain.breakdowns import BROWSERS, DEVICES, OTHER, PAGES, SOURCES

Preset = Literal["today", "yesterday", "7d", "30d", "12m", "custom"]
MAX_DAYS = 366
TABLES = ("articles", "pages", "sources", "browsers", "devices", "bots")
# Each table's field in a day or month document.
TABLE_FIELDS = {
    "articles": layout.ARTICLE_VIEWS,
    "pages": PAGES.field,
    "sources": SOURCES.field,
    "browsers": BROWSERS.field,
    "devices": DEVICES.field,
    "bots": layout.BOT_VIEWS,
}


@dataclass(frozen=True)
class Period:
    """Local days `first` to `last`, both included."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def by_hour(self) -> bool:
        return self.first == self.last

    def previous(self) -> "Period":
        """The period of the same length just before this one."""
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def each_day(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(self.days)]


def period_of(preset: Preset, today: date, first: date | None, last: date | None) -> Period:
    """The period a preset means on `today`; "12m" is the twelve calendar months ending with
    this one, so that it is read as twelve month documents."""
    match preset:
        case "today":
            return Period(today, today)
        case "yesterday":
            return Period(today - timedelta(days=1), today - timedelta(days=1))
        case "7d":
            return Period(today - timedelta(days=6), today)
        case "30d":
            return Period(today - timedelta(days=29), today)
        case "12m":
            months_back = today.year * 12 + today.month - 1 - 11
            return Period(date(months_back // 12, months_back % 12 + 1, 1), today)
        case "custom":
            if first is None or last is None:
                raise ValueError("a custom period needs 'from' and 'to'")
            return Period(first, last)


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


@dataclass(frozen=True)
class Cover:
    """The documents whose breakdowns add up to a period: whole months, and single days."""

    months: list[str]
    days: list[date]


def cover(period: Period, today: date) -> Cover:
    """Past months the period holds whole are read as months (their roll-ups); the rest,
    this month included, as single days."""
    months: list[str] = []
    days: list[date] = []
    for day in period.each_day():
        start, end = month_start(day), month_end(day)
        if period.first <= start and end <= period.last and end < today:
            key = layout.month_key(day)
            if not months or months[-1] != key:
                months.append(key)
        else:
            days.append(day)
    return Cover(months, days)


def day_versions(month: Mapping[str, Any]) -> dict[str, int]:
    """How many folds changed each day of a month document ("25": 7)."""
    return {day: int(n) for day, n in month.get(layout.DAY_VERSIONS, {}).items()}


def months_of(period: Period) -> list[str]:
    """The months any day of the period falls in."""
    return list(dict.fromkeys(layout.month_key(day) for day in period.each_day()))


@dataclass(frozen=True)
class Point:
    """One step of the series: a local day, or an hour (0-23) of the single day shown."""

    day: date
    hour: int | None
    visitors: int
    visits: int
    views: int


def day_series(period: Period, months: Mapping[str, Mapping[str, Any]]) -> list[Point]:
    """Daily figures of the period, from its month documents' per-day figures."""
    points: list[Point] = []
    for day in period.each_day():
        per_day = months.get(layout.month_key(day), {}).get(layout.MONTH_DAYS, {})
        values = per_day.get(f"{day.day:02d}", {})
        points.append(Point(day, None, *(int(values.get(f, 0)) for f in layout.SERIES_FIGURES)))
    return points


def hour_series(day: date, hours: Mapping[str, int]) -> list[Point]:
    """A day's figures by local hour, from its packed tables ({"07:views": n})."""
    return [
        Point(day, hour, *(int(hours.get(f"{hour:02d}:{f}", 0)) for f in layout.SERIES_FIGURES))
        for hour in range(24)
    ]


@dataclass(frozen=True)
class Sums:
    visitors: int = 0
    visits: int = 0
    views: int = 0


def sums(points: Iterable[Point]) -> Sums:
    listed = list(points)
    return Sums(
        sum(p.visitors for p in listed), sum(p.visits for p in listed), sum(p.views for p in listed)
    )


def change_percent(now: int, before: int) -> float | None:
    """The change against the previous period, in %; None when there was nothing before."""
    return None if before == 0 else round((now - before) * 100 / before, 1)


ROLLUP_ROWS = {"articles": 5000}  # names a month's roll-up keeps per table (else 1,000)


@dataclass
class Tables:
    """Views by name in each table, summed over documents."""

    counts: dict[str, Counter[str]] = field(default_factory=lambda: {t: Counter() for t in TABLES})
    _sorted: dict[str, list[tuple[str, int]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @classmethod
    def of_day(cls, day: Mapping[str, Any], packed: Mapping[str, Mapping[str, int]]) -> "Tables":
        """A day's tables: bots from its document (and articles, as earlier versions kept
        them there), the rest from its packed tables (names as they are, in one field)."""
        tables = cls()
        for table in ("articles", "bots"):
            tables.counts[table].update(layout.decoded_counts(day.get(TABLE_FIELDS[table], {})))
        for table in ("articles", "pages", "sources", "browsers", "devices"):
            tables.counts[table].update(packed.get(TABLE_FIELDS[table], {}))
        return tables

    @classmethod
    def of_packed(cls, packed: Mapping[str, Mapping[str, int]]) -> "Tables":
        """A roll-up's tables, packed by table name."""
        tables = cls()
        for table in TABLES:
            tables.counts[table].update(packed.get(table, {}))
        return tables

    def add(self, other: "Tables") -> None:
        self._sorted.clear()
        for table, counts in other.counts.items():
            self.counts[table].update(counts)

    def rolled_up(self) -> "Tables":
        """The most viewed names of each table, the rest under OTHER: a month's roll-up."""
        kept = Tables()
        for table, counts in self.counts.items():
            top = counts.most_common(ROLLUP_ROWS.get(table, 1000))
            kept.counts[table].update(dict(top))
            if rest := sum(counts.values()) - sum(n for _, n in top):
                kept.counts[table][OTHER] += rest
        return kept

    def packed(self) -> dict[str, dict[str, int]]:
        """By table name, as a roll-up packs them."""
        return {table: dict(counts) for table, counts in self.counts.items()}

    def rows(self, table: str, limit: int | None = None) -> list[tuple[str, int]]:
        """Most viewed first; equal counts by name, so the order is stable. Sorted once:
        summed tables are kept and asked again (adapters/dashboard.py)."""
        if table not in self._sorted:
            counts = self.counts[table].items()
            self._sorted[table] = sorted(counts, key=lambda row: (-row[1], row[0]))
        rows = self._sorted[table]
        return rows if limit is None else rows[:limit]
