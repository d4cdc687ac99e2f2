"""The read side: every live article's summary held in memory, kept fresh by events.

Each replica holds the summaries (not the bodies) of all live articles, sorted newest
first, and folds them for search. A write on this replica refreshes its entry at once;
the other replicas refresh theirs from the broadcast `article.*` event (see
entrypoints/consumers.py), and a periodic full reload repairs anything missed (e.g. while
the broker was down). Bodies are fetched by `_id` (the one index FerretDB uses) and kept
in a small LRU.
"""

import asyncio
import bisect
import itertools
import time
from collections import OrderedDict
from collections.abc import Callable

import structlog

from services.content.adapters.store import ArticleStore
from services.content.domain import search
from services.content.domain.article import Article
from services.content.metrics import LIVE_ARTICLES
from services.content.schemas import (
    ArticleOut,
    ArticlePage,
    ArticleSummary,
    SectionOut,
    article_out_of,
    summary_of,
)
from services.content.usecases.read_values import (
    Entry,
    Modified,
    Redirect,
    decode_cursor,
    encode_cursor,
)
from shared.contracts.sections import STARTER, SectionCatalogue

log = structlog.get_logger(__name__)

BODY_CACHE_SIZE = 1024


class ArticleReader:
    def __init__(
        self,
        store: ArticleStore,
        reload_seconds: float = 60.0,
        sections: Callable[[], SectionCatalogue] = lambda: STARTER,
    ) -> None:
        self._store = store
        self._sections = sections  # each summary names its section as they are now
        self._reload_seconds = reload_seconds
        self._entries: dict[str, Entry] = {}
        self._by_slug: dict[str, str] = {}
        # Revisions of articles seen going off line: an older, slower read must not revive them.
        self._gone: dict[str, int] = {}
        self._ordered: list[Entry] | None = []
        self._orders: list[tuple[float, str]] = []
        self._bodies: OrderedDict[str, ArticleOut] = OrderedDict()
        self.generation = 0  # bumped on every change; response caches key on it

    # --- keeping fresh -------------------------------------------------------------------

    async def load_all(self) -> None:
        started = time.monotonic()
        articles = await self._store.live_summaries()
        seen = set()
        for article in articles:
            seen.add(article.id)
            self._apply(article, started)
        for article_id, entry in list(self._entries.items()):
            # Gone from the database, unless a refresh that ran after our query put it here.
            if article_id not in seen and entry.loaded_at < started:
                self._remove(article_id, entry.revision)
        log.debug("reader.loaded", articles=len(self._entries), s=time.monotonic() - started)

    async def refresh(self, article_id: str) -> None:
        """Read one article again by `_id` and update (or drop) its entry."""
        started = time.monotonic()
        article = await self._store.find(article_id)
        if article is None:
            self._remove(article_id, None)
        elif article.is_live:
            self._apply(article, started)
        else:
            self._remove(article_id, article.revision)

    async def run(self) -> None:
        """The periodic full reload, the safety net for events this replica never got."""
        while True:
            await asyncio.sleep(self._reload_seconds)
            try:
                await self.load_all()
            except Exception:
                log.exception("reader.reload_failed")

    async def rebuild(self) -> None:
        """Make every entry again, whatever its revision: the sections changed (a renamed
        one is named anew in every summary, a hidden one leaves the lists)."""
        started = time.monotonic()
        self._bodies.clear()
        for article in await self._store.live_summaries():
            self._apply(article, started, again=True)
        self.generation += 1

    def _apply(self, article: Article, loaded_at: float, again: bool = False) -> None:
        article_id, revision = article.id, article.revision
        current = self._entries.get(article_id)
        if current is not None and current.revision >= revision and not again:
            return
        if self._gone.get(article_id, 0) >= revision:
            return
        self._gone.pop(article_id, None)
        item = summary_of(article, self._store.url_for(article.slug), self._sections())
        entry = Entry(
            summary=item,
            revision=revision,
            tag_slugs=frozenset(tag.slug for tag in item.tags),
            searchable=search.Searchable.of(item.title, item.lead, list(article.search_tokens)),
            loaded_at=loaded_at,
            updated_at=article.updated_at,
        )
        if current is not None and self._by_slug.get(current.summary.slug) == article_id:
            del self._by_slug[current.summary.slug]
        self._entries[article_id] = entry
        self._by_slug[item.slug] = article_id
        self._changed(article_id)

    def _remove(self, article_id: str, revision: int | None) -> None:
        if revision is not None:
            self._gone[article_id] = max(revision, self._gone.get(article_id, 0))
        entry = self._entries.get(article_id)
        if entry is None or (revision is not None and entry.revision > revision):
            return
        del self._entries[article_id]
        if self._by_slug.get(entry.summary.slug) == article_id:
            del self._by_slug[entry.summary.slug]
        self._changed(article_id)

    def _changed(self, article_id: str) -> None:
        LIVE_ARTICLES.set(len(self._entries))
        self._ordered = None
        self._bodies.pop(article_id, None)
        self.generation += 1

    def _sorted(self) -> list[Entry]:
        if self._ordered is None:
            self._ordered = sorted(self._entries.values(), key=lambda entry: entry.order)
            self._orders = [entry.order for entry in self._ordered]
        return self._ordered

    # --- reading -------------------------------------------------------------------------

    async def latest(
        self,
        *,
        limit: int,
        cursor: str | None = None,
        section: str | None = None,
        tag: str | None = None,
    ) -> ArticlePage:
        ordered = self._sorted()
        start = bisect.bisect_right(self._orders, decode_cursor(cursor)) if cursor else 0
        wanted = (
            entry
            for entry in ordered[start:]
            if (section is None or entry.summary.section_slug == section)
            and (tag is None or tag in entry.tag_slugs)
        )
        items = list(itertools.islice(wanted, limit + 1))  # one more tells if there is more
        next_cursor = encode_cursor(items[limit - 1].order) if len(items) > limit else None
        return ArticlePage(
            items=[entry.summary for entry in items[:limit]], next_cursor=next_cursor
        )

    def count(self) -> int:
        """How many articles are live."""
        return len(self._entries)

    async def oldest_first(self, *, offset: int, limit: int) -> list[Modified]:
        """Live articles in publication order, oldest first, from the `offset`th on: pages
        that stay put as articles are published (new ones join the last page)."""
        ordered = self._sorted()  # newest first
        end = max(len(ordered) - offset, 0)
        chunk = ordered[max(end - limit, 0) : end]
        return [Modified(entry.summary, entry.updated_at) for entry in reversed(chunk)]

    async def by_slug(self, slug: str) -> ArticleOut | Redirect | None:
        article_id = self._by_slug.get(slug)
        if article_id is None:
            return await self._moved(slug)
        cached = self._bodies.get(article_id)
        if cached is not None:
            self._bodies.move_to_end(article_id)
            return cached
        return await self._read_body(article_id, slug)

    async def _read_body(self, article_id: str, slug: str) -> ArticleOut | Redirect | None:
        """The whole article from the database, kept if it is what the summary says."""
        generation = self.generation
        article = await self._store.find(article_id)
        if article is None or not article.is_live:
            await self.refresh(article_id)
            return None
        out = article_out_of(article, self._store.url_for(article.slug), self._sections())
        entry = self._entries.get(article_id)
        if entry is None:
            return out
        if entry.revision < out.revision:
            self._apply(article, time.monotonic())  # this read is newer than the summary
            return Redirect(out.slug) if out.slug != slug else out
        if entry.revision == out.revision and generation == self.generation:
            self._keep_body(article_id, out)
        return out

    async def _moved(self, slug: str) -> Redirect | None:
        """Where an old slug's article lives now, if it is live."""
        owner = await self._store.slug_owner(slug)
        entry = self._entries.get(owner) if owner is not None else None
        return Redirect(entry.summary.slug) if entry is not None else None

    def _keep_body(self, article_id: str, out: ArticleOut) -> None:
        # Only when nothing changed while the body was read: never keep an older body.
        self._bodies[article_id] = out
        if len(self._bodies) > BODY_CACHE_SIZE:
            self._bodies.popitem(last=False)

    def is_live(self, article_id: str | None) -> bool:
        """Whether `article_id` names a published article (beacons count only those)."""
        return article_id is not None and article_id in self._entries

    def summaries(self, article_ids: list[str]) -> list[ArticleSummary]:
        """The live ones of these articles, in the order asked."""
        entries = (self._entries.get(article_id) for article_id in dict.fromkeys(article_ids))
        return [entry.summary for entry in entries if entry is not None]

    def live_slug(self, article_id: str) -> str | None:
        """The slug of a published article today (it may have been renamed); else None."""
        entry = self._entries.get(article_id)
        return None if entry is None else entry.summary.slug

    async def other_news(self, article: ArticleOut, *, limit: int = 5) -> list[ArticleSummary]:
        found: list[ArticleSummary] = []
        for entry in self._sorted():
            item = entry.summary
            if item.section_slug == article.section_slug and item.id != article.id:
                found.append(item)
                if len(found) == limit:
                    break
        return found

    async def search(self, query: str, *, limit: int = 20) -> list[ArticleSummary]:
        query_tokens = search.tokens(query)
        if not query_tokens:
            return []
        scored = []
        for entry in self._sorted():  # newest first, so equal scores stay newest first
            points = search.score(query_tokens, entry.searchable)
            if points:
                scored.append((points, entry))
        scored.sort(key=lambda pair: -pair[0])  # stable: recency breaks ties
        return [entry.summary for _, entry in scored[:limit]]

    async def sections(self) -> list[SectionOut]:
        counts: dict[str, int] = {}
        for entry in self._entries.values():
            counts[entry.summary.section_slug] = counts.get(entry.summary.section_slug, 0) + 1
        return [
            SectionOut(slug=s.slug, name=s.name, count=counts.get(s.slug, 0))
            for s in self._sections().visible
        ]
