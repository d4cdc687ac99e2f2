"""What a batch of views adds to the figures: pure arithmetic, no I/O (the fold stores it)."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple
from zoneinfo import ZoneInfo

from services.counter.domain import layout
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

    def deltas(self) -> list[Delta]:
        """Increments by document; every document is written by the fold alone."""
        result: list[Delta] = []
        if figures := self.total.figures():
            result.append(Delta(layout.TOTALS, layout.TOTAL, figures))
        shards: dict[str, dict[str, int]] = {}
        for day, tally in sorted(self.days.items()):
            # A day's figures and its per-article views in one document: one write a day.
            figures = tally.figures()
            figures.update({layout.article_path(a): n for a, n in tally.articles.items()})
            if figures:
                result.append(Delta(layout.DAYS, day.isoformat(), figures))
            for article, n in tally.articles.items():
                shard = shards.setdefault(layout.article_shard(article), {})
                path = layout.article_path(article)
                shard[path] = shard.get(path, 0) + n
        result.extend(Delta(layout.ARTICLES, shard, n) for shard, n in sorted(shards.items()))
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
            scope.views += 1
            scope.visitors += previous is None
            scope.visits += visits
            scope.other_views += not view.article_id
        if view.article_id:
            tally.articles[view.article_id] += 1
    return FoldResult(total, days, seen)
