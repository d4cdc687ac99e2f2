"""Request and response bodies of the counter's API (they also make its OpenAPI document)."""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.counter.domain.dashboard import MAX_DAYS, Preset
from shared.presentation.vietnamese import group_digits

TABLE_ROWS = 50  # rows of each table in the dashboard's JSON; its CSV has them all
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"


class Figure(BaseModel):
    """A number, and the same number written the Vietnamese way ("1.628.979")."""

    value: int
    formatted: str

    @classmethod
    def of(cls, value: int) -> "Figure":
        return cls(value=value, formatted=group_digits(value))


class Periods(BaseModel):
    """One measure for the site's local today, yesterday and all time."""

    today: Figure
    yesterday: Figure
    all_time: Figure


class WidgetItem(BaseModel):
    label: str
    measure: str = Field(description="which measure of `measures` this shows")
    value: int
    formatted: str


class Widget(BaseModel):
    """The visitor widget: Online · Hôm nay · Tổng."""

    online: WidgetItem
    today: WidgetItem
    total: WidgetItem


class WidgetFormatted(BaseModel):
    online: str
    today: str
    total: str


class Live(BaseModel):
    """The widget's numbers, flat for simple clients, and labelled (what the stream sends)."""

    online: int
    today: int
    total: int
    formatted: WidgetFormatted
    widget: Widget


class Measures(BaseModel):
    online: Figure
    visits: Periods
    views: Periods
    other_views: Periods = Field(description="views of pages that are not articles")
    visitors: Periods
    bot_views: Periods
    baseline: Figure
    total: Figure


class Stats(Live):
    """The widget's numbers and every measure behind them."""

    measures: Measures
    definitions: dict[str, str]
    day: date = Field(description="the site's local today")
    time_zone: str
    read_at: datetime = Field(description="when these figures were read from the database")


class ArticleViews(BaseModel):
    """Human page views of one article: all time, and by period."""

    article_id: str
    views: int
    formatted: str
    periods: Periods


class DailyQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    first: str = Field(alias="from", pattern=DATE_PATTERN, description="YYYY-MM-DD, local day")
    last: str = Field(alias="to", pattern=DATE_PATTERN, description="YYYY-MM-DD, inclusive")

    @field_validator("first", "last")
    @classmethod
    def _real_date(cls, value: str) -> str:
        date.fromisoformat(value)  # 2026-02-30 is refused here
        return value

    @model_validator(mode="after")
    def _bounded(self) -> "DailyQuery":
        span = (date.fromisoformat(self.last) - date.fromisoformat(self.first)).days
        if span < 0:
            raise ValueError("'to' is before 'from'")
        if span >= MAX_DAYS:
            raise ValueError(f"at most {MAX_DAYS} days at once")
        return self


class DayFigures(BaseModel):
    date: date
    views: int
    visits: int
    visitors: int
    bot_views: int


class DailyTotals(BaseModel):
    views: int
    visits: int
    visitors: int
    bot_views: int


class Daily(BaseModel):
    """The figures of each local day in a range, and their sums."""

    days: list[DayFigures]
    totals: DailyTotals


class TopQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=10, ge=1, le=100)


class ArticleCount(BaseModel):
    article_id: str
    views: int


class Top(BaseModel):
    """The most viewed articles of the local day."""

    day: date
    items: list[ArticleCount]


class Bots(BaseModel):
    """Views the bot filter excluded, by user-agent family."""

    day: date
    today: dict[str, int]
    all_time: dict[str, int]


class BaselineRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    visits: int = Field(ge=0, le=10**12, description="visits counted before this portal")


class Baseline(BaseModel):
    """The imported baseline that 'Tổng' adds to."""

    visits: Figure
    updated_at: datetime


class DashboardQuery(BaseModel):
    """A period: a preset, or `range=custom` with `from` and `to` (local days, inclusive)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    range: Preset = "7d"
    first: date | None = Field(default=None, alias="from", description="YYYY-MM-DD, custom")
    last: date | None = Field(default=None, alias="to", description="YYYY-MM-DD, inclusive")

    @model_validator(mode="after")
    def _bounded(self) -> "DashboardQuery":
        if self.range != "custom":
            if self.first is not None or self.last is not None:
                raise ValueError("'from' and 'to' go with range=custom only")
            return self
        if self.first is None or self.last is None:
            raise ValueError("range=custom needs 'from' and 'to'")
        if self.first.year < 2000 or self.last.year > 2999:
            raise ValueError("days from the year 2000 to 2999 only")
        span = (self.last - self.first).days + 1
        if not 1 <= span <= MAX_DAYS:
            raise ValueError(
                f"'from' must not be after 'to', and the range at most {MAX_DAYS} days"
            )
        return self


class CsvQuery(DashboardQuery):
    table: Literal["series", "articles", "pages", "sources", "browsers", "devices", "bots"] = (
        "series"
    )


class DashboardFigures(BaseModel):
    visitors: Figure
    visits: Figure
    views: Figure


class DashboardChange(BaseModel):
    """Against the previous period of the same length, in %; null when it had nothing."""

    visitors: float | None
    visits: float | None
    views: float | None


class SeriesPoint(BaseModel):
    day: date
    hour: int | None = Field(description="0-23 when the series is by hour, else null")
    label: str = Field(description='"25-4-2022", or "07:00" by hour')
    visitors: int
    visits: int
    views: int


class TableRow(BaseModel):
    name: str = Field(description='an article id, a path, a source...; "khác" past the cap')
    views: Figure


class Dashboard(BaseModel):
    range: Preset
    start: date
    end: date
    previous_start: date
    previous_end: date
    granularity: Literal["hour", "day"]
    online: Figure
    figures: DashboardFigures
    previous: DashboardFigures
    change: DashboardChange
    series: list[SeriesPoint]
    tables: dict[str, list[TableRow]] = Field(description=f"top {TABLE_ROWS} of each table")
    public: bool


class DashboardAccess(BaseModel):
    model_config = ConfigDict(extra="forbid")

    public: bool = Field(description="whether anyone may see the dashboard, without a token")
