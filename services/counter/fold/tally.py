"""What a batch of views adds to the figures: pure arithmetic, no I/O (the folder stores it)."""

import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from services.counter.records import View, field_key
from services.counter.visits import Sessions, VisitorDay, Visits, add_view

ARTICLE_SHARDS = 2

# (collection, document _id, {field path: increment})
Delta = tuple[str, str, dict[str, int]]


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
        fields.update({f"bots.{field_key(name)}": n for name, n in self.bots.items()})
        return {name: n for name, n in fields.items() if n}


@dataclass
class FoldResult:
    total: Tally
    days: dict[date, Tally]
    seen: dict[VisitorDay, Visits]  # the visits of each visitor this batch saw

    def deltas(self) -> list[Delta]:
        """Increments by document; every document is written by the folder alone."""
        result: list[Delta] = []
        if figures := self.total.figures():
            result.append(("totals", "total", figures))
        shards: dict[str, dict[str, int]] = {}
        for day, tally in sorted(self.days.items()):
            # A day's figures and its per-article views in one document: one write a day.
            figures = tally.figures()
            figures.update({f"a.{field_key(a)}": n for a, n in tally.articles.items()})
            if figures:
                result.append(("days", day.isoformat(), figures))
            for article, n in tally.articles.items():
                shard = shards.setdefault(article_shard(article), {})
                key = f"a.{field_key(article)}"
                shard[key] = shard.get(key, 0) + n
        result.extend(("articles", shard, counts) for shard, counts in sorted(shards.items()))
        return result


def article_shard(article_id: str) -> str:
    """Articles' all-time views live in a few documents, so a fold writes a few, not hundreds."""
    return f"shard-{zlib.crc32(article_id.encode()) % ARTICLE_SHARDS:02d}"


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
