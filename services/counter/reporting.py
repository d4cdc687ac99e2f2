"""The dashboard's use case: a period's figures against the period before, its series and
its tables, read from the stored documents and put in the shape the API serves."""

import asyncio
import random
from datetime import date, datetime
from zoneinfo import ZoneInfo

import structlog

from services.counter.adapters.dashboard import DashboardStore
from services.counter.domain.dashboard import (
    Period,
    Point,
    Preset,
    Sums,
    Tables,
    change_percent,
    day_series,
    period_of,
    sums,
)
from services.counter.schemas import (
    TABLE_ROWS,
    Dashboard,
    DashboardChange,
    DashboardFigures,
    DashboardQuery,
    Figure,
    SeriesPoint,
    TableRow,
)

log = structlog.get_logger(__name__)


async def keep_rollups(store: DashboardStore, zone: ZoneInfo, every_seconds: float) -> None:
    """Every so often, sum the past months a 12-month dashboard reads, before anyone asks
    (summing one from its days takes about a second). Replicas start at random moments
    within the first period, so that they seldom sum the same month together."""
    await asyncio.sleep(random.uniform(0, every_seconds))  # noqa: S311 (jitter)
    while True:
        try:
            if summed := await store.roll_up_past_months(datetime.now(zone).date()):
                log.info("dashboard.rolled_up", months=summed)
        except Exception as error:  # the database is away: the next turn tries again
            log.warning("dashboard.roll_up_failed", error=repr(error)[:300])
        await asyncio.sleep(every_seconds)


def period_asked(query: DashboardQuery, today: date) -> Period:
    return period_of(query.range, today, query.first, query.last)


def day_label(day: date) -> str:
    """25-4-2022, as the portal writes dates."""
    return f"{day.day}-{day.month}-{day.year}"


def label(point: Point) -> str:
    """A step of the series: "25-4-2022" for a day, "07:00" for an hour."""
    return day_label(point.day) if point.hour is None else f"{point.hour:02d}:00"


async def dashboard(
    store: DashboardStore, preset: Preset, period: Period, today: date, online: int
) -> Dashboard:
    previous = period.previous()
    months = await store.months([previous, period])
    series = await store.series(period, months)
    before = sums(day_series(previous, months))
    now = sums(series)
    tables = await store.tables(period, today, months)
    return Dashboard(
        range=preset,
        start=period.first,
        end=period.last,
        previous_start=previous.first,
        previous_end=previous.last,
        granularity="hour" if period.by_hour else "day",
        online=Figure.of(online),
        figures=_figures(now),
        previous=_figures(before),
        change=DashboardChange(
            visitors=change_percent(now.visitors, before.visitors),
            visits=change_percent(now.visits, before.visits),
            views=change_percent(now.views, before.views),
        ),
        series=[series_point(point) for point in series],
        tables={name: table_rows(tables, name, TABLE_ROWS) for name in tables.counts},
        public=await store.is_public(),
    )


def series_point(point: Point) -> SeriesPoint:
    return SeriesPoint(
        day=point.day,
        hour=point.hour,
        label=label(point),
        visitors=point.visitors,
        visits=point.visits,
        views=point.views,
    )


def table_rows(tables: Tables, name: str, limit: int | None = None) -> list[TableRow]:
    return [TableRow(name=key, views=Figure.of(n)) for key, n in tables.rows(name, limit)]


def _figures(totals: Sums) -> DashboardFigures:
    return DashboardFigures(
        visitors=Figure.of(totals.visitors),
        visits=Figure.of(totals.visits),
        views=Figure.of(totals.views),
    )
