"""The counter's MongoDB collections, and the reads the API makes of them (layout: domain)."""

from datetime import UTC, date, datetime, timedelta

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.counter.domain import layout
from services.counter.domain.stats import Figures, Snapshot
from shared.platform.db import Document
from shared.platform.storage.packed import unpack_counts
from shared.platform.storage.writes import upsert


class Collections:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.db = db
        self.inbox: AsyncCollection[Document] = db[layout.INBOX]
        self.totals: AsyncCollection[Document] = db[layout.TOTALS]
        self.days: AsyncCollection[Document] = db[layout.DAYS]
        self.articles: AsyncCollection[Document] = db[layout.ARTICLES]
        self.leases: AsyncCollection[Document] = db[layout.LEASES]

    def named(self, name: str) -> AsyncCollection[Document]:
        return self.db[name]

    def fold_records(self, seq: int) -> AsyncCollection[Document]:
        return self.db[layout.fold_records_name(seq)]


class StatsStore:
    def __init__(self, db: AsyncDatabase[Document], default_baseline: int) -> None:
        self.c = Collections(db)
        self._default_baseline = default_baseline

    async def snapshot(self, now: datetime, today: date) -> Snapshot:
        # One read of a three-document collection: the summary the folder writes after each
        # fold (every widget figure, consistent with each other) and the baseline.
        query = {"_id": {"$ne": layout.TOTAL}}
        found = {doc["_id"]: doc async for doc in self.c.totals.find(query)}
        summary = found.get(layout.SUMMARY, {})
        days = summary.get("days", {})
        baseline = found.get(layout.BASELINE)
        return Snapshot(
            read_at=now,
            day=today,
            online=int(summary.get("online", 0)),
            today=figures_of(days.get(today.isoformat())),
            yesterday=figures_of(days.get((today - timedelta(days=1)).isoformat())),
            all_time=figures_of(summary.get(layout.TOTAL)),
            baseline=int(baseline["visits"]) if baseline else self._default_baseline,
        )

    async def write_baseline(self, visits: int) -> datetime:
        """Idempotent: the baseline is a value, set again to the same value changes nothing."""
        now = datetime.now(UTC)
        update = {"$set": {"visits": visits, "updated_at": now}}
        await upsert(self.c.totals, {"_id": layout.BASELINE}, update)
        return now

    async def daily(self, first: date, last: date) -> dict[date, Figures]:
        keys = [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
        found = {doc["_id"]: doc async for doc in self.c.days.find({"_id": {"$in": keys}})}
        return {date.fromisoformat(key): figures_of(found.get(key)) for key in keys}

    async def article_views(self, article_id: str, today: date) -> tuple[int, int, int]:
        """(all time, today, yesterday) human views of one article."""
        shard = await self.c.articles.find_one({"_id": layout.article_shard(article_id)})
        days = [await self.day_articles(day) for day in (today, today - timedelta(days=1))]
        return (
            article_counts(shard).get(article_id, 0),
            days[0].get(article_id, 0),
            days[1].get(article_id, 0),
        )

    async def day_articles(self, day: date) -> dict[str, int]:
        """A day's views by article: packed with its tables (and, from earlier versions, as
        fields of the day's document)."""
        key = day.isoformat()
        tables = await self.c.named(layout.DAY_TABLES).find_one({"_id": key})
        earlier = await self.c.days.find_one({"_id": key}, {layout.ARTICLE_VIEWS: 1})
        return _added(article_counts(tables), article_counts(earlier))

    async def top_articles(self, day: date, limit: int) -> list[tuple[str, int]]:
        counts = list((await self.day_articles(day)).items())
        counts.sort(key=lambda item: (-item[1], item[0]))
        return counts[:limit]


def article_counts(document: Document | None) -> dict[str, int]:
    """Views by article id in a day's tables or an article shard, packed or (as earlier
    versions wrote them) as fields."""
    counts = dict(unpack_counts(document).get(layout.ARTICLE_VIEWS, {}))
    fields = (document or {}).get(layout.ARTICLE_VIEWS, {})
    return _added(counts, layout.decoded_counts(fields)) if fields else counts


def _added(first: dict[str, int], second: dict[str, int]) -> dict[str, int]:
    return {key: first.get(key, 0) + second.get(key, 0) for key in first.keys() | second.keys()}


def figures_of(document: Document | None) -> Figures:
    """A total or day document (or its copy in the summary) as figures."""
    if document is None:
        return Figures()
    return Figures(
        **{name: int(document.get(name, 0)) for name in layout.FIGURES},
        bots=layout.decoded_counts(document.get(layout.BOT_VIEWS, {})),
    )
