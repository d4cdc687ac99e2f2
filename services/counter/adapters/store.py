"""The counter's documents in MongoDB, and the reads the API makes of them.

Collections (every hot read and write goes by `_id`):
- inbox: one document per ingest flush not yet folded (random `_id`; the messages it holds,
  each with its event id, packed);
- folded_YYYYMMDD: one tombstone per folded message (`_id` = event id), by UTC day;
- folds_NNNNNN: the record of each fold (`_id` = fold sequence), a thousand per collection:
  what it counted and what it added;
- visitors_YYYYMMDD: each visitor's visits per fold and local day, to restore the sessions;
- totals: `total` (all-time figures), `summary` (what readers serve: the widget's figures,
  written whole after each fold, with the last fold applied), `baseline`;
- days: the figures and (under `a`) the per-article views of one local day;
- articles: all-time views per article, in a few shard documents;
- leases: who may fold now.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.counter.fold import article_shard
from services.counter.records import field_key, from_field_key
from shared.platform.db import Document

FIGURES = ("views", "visits", "visitors", "bot_views", "other_views")
FOLDS_PREFIX = "folds_"
FOLDS_PER_COLLECTION = 1000


class Collections:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.db = db
        self.inbox: AsyncCollection[Document] = db["inbox"]
        self.totals: AsyncCollection[Document] = db["totals"]
        self.days: AsyncCollection[Document] = db["days"]
        self.articles: AsyncCollection[Document] = db["articles"]
        self.leases: AsyncCollection[Document] = db["leases"]

    def named(self, name: str) -> AsyncCollection[Document]:
        return self.db[name]

    def fold_records(self, seq: int) -> AsyncCollection[Document]:
        """A thousand fold records per collection, so old ones go by dropping a collection."""
        return self.db[f"{FOLDS_PREFIX}{seq // FOLDS_PER_COLLECTION:06d}"]


@dataclass(frozen=True)
class Figures:
    views: int = 0
    visits: int = 0
    visitors: int = 0
    bot_views: int = 0
    other_views: int = 0
    bots: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, document: Document | None) -> "Figures":
        if document is None:
            return cls()
        return cls(
            **{name: int(document.get(name, 0)) for name in FIGURES},
            bots=decoded_counts(document.get("bots", {})),
        )


@dataclass(frozen=True)
class Snapshot:
    """The shared figures as one replica last read them."""

    read_at: datetime
    day: date
    online: int
    today: Figures
    yesterday: Figures
    all_time: Figures
    baseline: int


class StatsStore:
    def __init__(self, db: AsyncDatabase[Document], default_baseline: int) -> None:
        self.c = Collections(db)
        self._default_baseline = default_baseline

    async def snapshot(self, now: datetime, today: date) -> Snapshot:
        # One read of a three-document collection: the summary the folder writes after each
        # fold (every widget figure, consistent with each other) and the baseline.
        found = {doc["_id"]: doc async for doc in self.c.totals.find({"_id": {"$ne": "total"}})}
        summary = found.get("summary", {})
        days = summary.get("days", {})
        baseline = found.get("baseline")
        return Snapshot(
            read_at=now,
            day=today,
            online=int(summary.get("online", 0)),
            today=Figures.of(days.get(today.isoformat())),
            yesterday=Figures.of(days.get((today - timedelta(days=1)).isoformat())),
            all_time=Figures.of(summary.get("total")),
            baseline=int(baseline["visits"]) if baseline else self._default_baseline,
        )

    async def set_baseline(self, visits: int) -> datetime:
        """Idempotent: the baseline is a value, set again to the same value changes nothing."""
        now = datetime.now(UTC)
        update = {"$set": {"visits": visits, "updated_at": now}}
        try:
            await self.c.totals.update_one({"_id": "baseline"}, update, upsert=True)
        except DuplicateKeyError:  # FerretDB: another replica's upsert created it meanwhile
            await self.c.totals.update_one({"_id": "baseline"}, update)
        return now

    async def daily(self, first: date, last: date) -> dict[date, Figures]:
        keys = [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
        found = {doc["_id"]: doc async for doc in self.c.days.find({"_id": {"$in": keys}})}
        return {date.fromisoformat(key): Figures.of(found.get(key)) for key in keys}

    async def article_views(self, article_id: str, today: date) -> tuple[int, int, int]:
        """(all time, today, yesterday) human views of one article."""
        key = field_key(article_id)
        shard = await self.c.articles.find_one({"_id": article_shard(article_id)})
        yesterday = today - timedelta(days=1)
        per_day = [
            await self.c.days.find_one({"_id": day.isoformat()}) for day in (today, yesterday)
        ]
        return (
            _count(shard, key),
            _count(per_day[0], key),
            _count(per_day[1], key),
        )

    async def top_articles(self, day: date, limit: int) -> list[tuple[str, int]]:
        document = await self.c.days.find_one({"_id": day.isoformat()}) or {}
        counts = list(decoded_counts(document.get("a", {})).items())
        counts.sort(key=lambda item: (-item[1], item[0]))
        return counts[:limit]


def decoded_counts(counts: dict[str, Any]) -> dict[str, int]:
    """Counts by name from counts by key; keys an earlier version encoded otherwise add up."""
    result: dict[str, int] = {}
    for key, n in counts.items():
        name = from_field_key(key)
        result[name] = result.get(name, 0) + int(n)
    return result


def _count(document: dict[str, Any] | None, key: str) -> int:
    return int((document or {}).get("a", {}).get(key, 0))
