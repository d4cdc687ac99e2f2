"""What a batch of views adds to the figures: pure arithmetic, no I/O (the fold stores it)."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple
from zoneinfo import ZoneInfo

from services.counter.domain import layout
from services.counter.domain.breakdowns import BREAKDOWNS, Admitter, Breakdown, Scope, names_of
from services.counter.domain.visits import Sessions, View, VisitorDay, Visits, add_view


class Delta(NamedTuple):
    """Increments of one aggregate document, by field path."""

    collection: str
    key: str
    increments: dict[str, int]


@dataclass
class Tally:
    views: int = 0  # human page views
    visits: int = 0
    visitors: int = 0
    bot_views: int = 0
    other_views: int = 0  # human views of pages that are not articles
    articles: Counter[str] = field(default_factory=Counter)
    bots: Counter[str] = field(default_factory=Counter)
    # A day's human views by name in each breakdown, and its figures by local hour.
    names: dict[Breakdown, Counter[str]] = field(default_factory=dict)
    hours: Counter[tuple[int, str]] = field(default_factory=Counter)

    def count_human(self, view: View, first_of_day: bool, visits: int) -> None:
        self.views += 1
        self.visitors += first_of_day
        self.visits += visits
        self.other_views += not view.article_id

    def count_tables(self, view: View, hour: int, first_of_day: bool, visits: int) -> None:
        """A day's breakdowns and hours (the all-time tally keeps neither)."""
        names = names_of(view.path, view.referrer_host, view.agent_family, view.device)
        for breakdown, name in names.items():
            self.names.setdefault(breakdown, Counter())[name] += 1
        self.hours[(hour, "views")] += 1
        self.hours[(hour, "visitors")] += first_of_day
        self.hours[(hour, "visits")] += visits  # a late view joining two visits: -1

    def series(self) -> dict[str, int]:
        return {"views": self.views, "visits": self.visits, "visitors": self.visitors}

    def tables(self, scope: Scope, admitter: Admitter) -> dict[str, int]:
        """The packed increments of a day's tables: its breakdowns (names past a cap as
        OTHER) and its figures per hour."""
        keys: Counter[str] = Counter()
        for breakdown in BREAKDOWNS:
            for name, n in sorted(self.names.get(breakdown, Counter()).items()):
                keys[layout.packed_key(breakdown.field, admitter.name(scope, breakdown, name))] += n
        keys.update({layout.hour_key(hour, name): n for (hour, name), n in self.hours.items()})
        return {key: n for key, n in keys.items() if n}

    def figures(self) -> dict[str, int]:
        fields = {
            "views": self.views,
            "visits": self.visits,
            "visitors": self.visitors,
            "bot_views": self.bot_views,
            "other_views": self.other_views,
        }
        fields.update({layout.bot_path(name): n for name, n in self.bots.items()})
        return {name: n for name, n in fields.items() if n}


@dataclass
class FoldResult:
    total: Tally
    days: dict[date, Tally]
    seen: dict[VisitorDay, Visits]  # the visits of each visitor this batch saw

    def deltas(self, admitter: Admitter) -> list[Delta]:
        """Increments by document; every document is written by the fold alone. `admitter`
        decides which new breakdown names each document takes (see breakdowns.py)."""
        result: list[Delta] = []
        if figures := self.total.figures():
            result.append(Delta(layout.TOTALS, layout.TOTAL, figures))
        for day, tally in sorted(self.days.items()):
            result.extend(_day_deltas(day, tally, admitter))
        result.extend(self._month_deltas())
        result.extend(self._shard_deltas())
        return result

    def _month_deltas(self) -> list[Delta]:
        """Each month's per-day figures, and a version of each day (how many folds changed
        it), by which readers know their copy of the day is current."""
        months: dict[str, Counter[str]] = {}
        for day, tally in self.days.items():
            month = months.setdefault(layout.month_key(day), Counter())
            month.update({layout.month_day_path(day, f): n for f, n in tally.series().items()})
            month[layout.day_version_path(day)] += 1
        kept = {key: {path: n for path, n in counts.items() if n} for key, counts in months.items()}
        return [Delta(layout.MONTHS, key, n) for key, n in sorted(kept.items()) if n]

    def _shard_deltas(self) -> list[Delta]:
        """The articles' all-time views, in their few shard documents (packed)."""
        shards: dict[str, Counter[str]] = {}
        for tally in self.days.values():
            for article, n in tally.articles.items():
                key = layout.packed_key(layout.ARTICLE_VIEWS, article)
                shards.setdefault(layout.article_shard(article), Counter())[key] += n
        return [Delta(layout.ARTICLES, key, dict(n)) for key, n in sorted(shards.items())]


def _day_deltas(day: date, tally: Tally, admitter: Admitter) -> list[Delta]:
    """A day's figures as fields; its per-article views, breakdowns and hours packed in
    another document (thousands of names: see layout.py)."""
    result: list[Delta] = []
    if figures := tally.figures():
        result.append(Delta(layout.DAYS, day.isoformat(), figures))
    tables = tally.tables((layout.DAY_TABLES, day.isoformat()), admitter)
    tables.update(
        {layout.packed_key(layout.ARTICLE_VIEWS, a): n for a, n in tally.articles.items()}
    )
    if tables:
        result.append(Delta(layout.DAY_TABLES, day.isoformat(), tables))
    return result


def fold_views(views: Iterable[View], sessions: Sessions, zone: ZoneInfo) -> FoldResult:
    """Count a batch against what the sessions already know (they are left unchanged)."""
    total = Tally()
    days: dict[date, Tally] = {}
    seen: dict[VisitorDay, Visits] = {}
    for view in sorted(views, key=lambda v: v.at_ms):
        day = view.at.astimezone(zone).date()
        tally = days.setdefault(day, Tally())
        if view.is_bot:
            family = view.agent_family or "unknown"
            for scope in (total, tally):
                scope.bot_views += 1
                scope.bots[family] += 1
            continue
        key = (day, view.visitor)
        previous = seen.get(key) or sessions.get(key)
        seen[key], visits = add_view(previous, view.at_ms, sessions.timeout_ms)
        for scope in (total, tally):
            scope.count_human(view, previous is None, visits)
        tally.count_tables(view, view.at.astimezone(zone).hour, previous is None, visits)
        if view.article_id:
            tally.articles[view.article_id] += 1
    return FoldResult(total, days, seen)
