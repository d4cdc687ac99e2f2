"""Articles in MongoDB, mapped to and from `Article` here and nowhere else.

Every write is one `update_one` on the article's `_id`, conditioned on the revision that
was read and made under the article's lock (FerretDB needs the lock for the condition to
hold: it can silently lose one of two concurrent updates of a document). The event a write
causes is pushed into the same document's `outbox`, so a write and its event are never
separated. Slugs are claimed by inserting `_id=slug` into `slugs`: unique inserts are
atomic on FerretDB, so two articles can never take one slug, and an old slug keeps
pointing at its article (for the 301).
"""

import dataclasses
import uuid
from datetime import timedelta
from typing import Any

from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.content.domain.article import Article, Status, Tag
from services.content.domain.events import OutboxEntry
from services.content.domain.revisions import Snapshot
from shared.contracts.errors import Conflict, NotFound
from shared.platform.db import Document
from shared.platform.storage.claims import Claims, Lock
from shared.platform.storage.writes import insert_or_ignore

# Read for lists and the cache: everything but the heavy or internal fields.
SUMMARY_FIELDS = {"body": 0, "outbox": 0}
# A holder makes one or two quick writes; the lease only bounds a crashed one.
LOCK_LEASE, LOCK_WAIT = timedelta(seconds=10), timedelta(seconds=5)


def to_document(article: Article) -> Document:
    document = dataclasses.asdict(article)
    document["_id"] = document.pop("id")
    document["status"] = article.status.value
    document["tags"] = [{"slug": tag.slug, "name": tag.name} for tag in article.tags]
    document["authors"] = list(article.authors)
    document["search_tokens"] = list(article.search_tokens)
    return document


def from_document(document: Document) -> Article:
    """The stored article; fields an older version did not write take their defaults."""
    return Article(
        id=str(document["_id"]),
        slug=str(document["slug"]),
        title=str(document["title"]),
        section=str(document.get("section", "")),
        status=Status(document["status"]),
        revision=int(document["revision"]),
        created_at=document["created_at"],
        created_by=str(document.get("created_by", "?")),
        updated_at=document["updated_at"],
        updated_by=str(document.get("updated_by", "?")),
        lead=str(document.get("lead", "")),
        body=str(document.get("body", "")),
        tags=tuple(Tag(str(t["slug"]), str(t["name"])) for t in document.get("tags", [])),
        authors=tuple(str(author) for author in document.get("authors", [])),
        cover_image_url=document.get("cover_image_url") or None,
        cover_caption=str(document.get("cover_caption", "")),
        publish_at=document.get("publish_at"),
        published_at=document.get("published_at"),
        search_tokens=tuple(document.get("search_tokens") or ()),
        source_url=document.get("source_url") or None,
        approved_by=document.get("approved_by") or None,
        owner=document.get("owner") or None,
    )


class ArticleStore:
    def __init__(self, db: AsyncDatabase[Document], public_url: str) -> None:
        self.articles: AsyncCollection[Document] = db["articles"]
        self.slugs: AsyncCollection[Document] = db["slugs"]
        self.audit: AsyncCollection[Document] = db["audit"]
        # An old portal's addresses of migrated articles: `_id` is a hash of the address
        # (client text never becomes an `_id` as it is), for the 301 to the article.
        self.old_addresses: AsyncCollection[Document] = db["old_addresses"]
        self._public_url = public_url.rstrip("/")
        self._lock = Lock(Claims(db["article_locks"], LOCK_LEASE), LOCK_WAIT)

    async def register_slugs(self) -> None:
        """Claim the slug of every article filed before the slug registry existed (at start;
        a no-op once done). Every hot lookup goes by `_id`, so no other index is needed."""
        registered = {str(doc["_id"]) async for doc in self.slugs.find({}, {"_id": 1})}
        async for article in self.articles.find({}, {"slug": 1}):
            if article["slug"] not in registered:
                await self.claim_slug(str(article["slug"]), str(article["_id"]))

    def url_for(self, slug: str) -> str:
        return f"{self._public_url}/articles/{slug}"

    # --- slugs ---------------------------------------------------------------------------

    async def claim_slug(self, slug: str, article_id: str) -> bool:
        """Take `slug` for the article; True if it is (now or already) the article's own."""
        if await insert_or_ignore(self.slugs, {"_id": slug, "article_id": article_id}):
            return True
        return await self.slug_owner(slug) == article_id

    async def claim_free_slug(self, base: str, article_id: str) -> str:
        for attempt in range(1, 200):
            slug = base if attempt == 1 else f"{base}-{attempt}"
            if await self.claim_slug(slug, article_id):
                return slug
        raise Conflict(f"no free slug for {base!r}")

    async def release_slug(self, slug: str, article_id: str) -> None:
        await self.slugs.delete_one({"_id": slug, "article_id": article_id})

    async def slug_owner(self, slug: str) -> str | None:
        found = await self.slugs.find_one({"_id": slug})
        return None if found is None else str(found["article_id"])

    # --- writes --------------------------------------------------------------------------

    async def insert(self, article: Article, action: str, event: OutboxEntry | None = None) -> bool:
        """Store a new article (with the event it causes); False if its id is taken."""
        outbox = [] if event is None else [dataclasses.asdict(event)]
        if not await insert_or_ignore(self.articles, {**to_document(article), "outbox": outbox}):
            return False
        await self.record(article, action)
        return True

    async def write(
        self, before: Article, after: Article, action: str, event: OutboxEntry | None = None
    ) -> bool:
        """Store `after` as the next revision of `before`, with its event, in one write.

        False if the article moved on since `before` was read."""
        old, new = to_document(before), to_document(after)
        update: dict[str, Any] = {"$set": {k: v for k, v in new.items() if old.get(k) != v}}
        if event is not None:
            update["$push"] = {"outbox": dataclasses.asdict(event)}
        # Under the article's lock the revision filter is a true compare-and-set.
        async with self._lock.hold(after.id, uuid.uuid4().hex):
            result = await self.articles.update_one(
                {"_id": after.id, "revision": before.revision}, update
            )
        if result.matched_count == 0:
            return False
        await self.record(after, action)
        return True

    async def record(self, article: Article, action: str) -> None:
        """Who did what, and when, and what the article said then: one audit line per
        revision (a retried record of the same revision is not a second line)."""
        line = {
            "_id": f"{article.id}:{article.revision}",
            "article_id": article.id,
            "revision": article.revision,
            "action": action,
            "by": article.updated_by,
            "at": article.updated_at,
            "snapshot": snapshot_of(article),
        }
        await insert_or_ignore(self.audit, line)

    # --- an old portal's addresses ----------------------------------------------------------

    async def keep_old_address(self, key: str, address: str, article_id: str) -> bool:
        """Point an old address (its `key`) at the article; False if it points elsewhere."""
        document = {"_id": key, "address": address, "article_id": article_id}
        if await insert_or_ignore(self.old_addresses, document):
            return True
        found = await self.old_addresses.find_one({"_id": key})
        return found is not None and found["article_id"] == article_id

    async def article_at_old_address(self, key: str) -> str | None:
        found = await self.old_addresses.find_one({"_id": key})
        return None if found is None else str(found["article_id"])

    # --- reads ---------------------------------------------------------------------------

    async def get(self, article_id: str) -> Article:
        article = await self.find(article_id)
        if article is None:
            raise NotFound(f"no article {article_id!r}")
        return article

    async def find(self, article_id: str) -> Article | None:
        document = await self.articles.find_one({"_id": article_id}, {"outbox": 0})
        return None if document is None else from_document(document)

    async def live_summaries(self) -> list[Article]:
        """Every live article without its body."""
        query = {"status": Status.PUBLISHED.value}
        return [from_document(d) async for d in self.articles.find(query, SUMMARY_FIELDS)]

    async def for_editors(
        self, status: Status | None, limit: int, owner: str | None = None
    ) -> list[Article]:
        query: Document = {} if status is None else {"status": status.value}
        if owner is not None:
            query["owner"] = owner
        hidden = {"outbox": 0, "search_tokens": 0}
        cursor = self.articles.find(query, hidden).sort("updated_at", DESCENDING).limit(limit)
        return [from_document(document) async for document in cursor]

    async def scheduled(self) -> list[Article]:
        query = {"status": Status.SCHEDULED.value}
        return [from_document(d) async for d in self.articles.find(query, SUMMARY_FIELDS)]

    async def count_in_section(self, slug: str) -> int:
        """Articles filed under a section, in any state (a scan: for an administrator's
        change of the sections, not for readers)."""
        return await self.articles.count_documents({"section": slug})

    async def history(self, article_id: str) -> list[Document]:
        """The audit lines, without what each revision said (`revision` reads that)."""
        found = self.audit.find({"article_id": article_id}, {"snapshot": 0})
        return await found.sort("revision").to_list()

    async def revision(self, article_id: str, revision: int) -> Snapshot | None:
        """What the article said at `revision`; None for an unknown one, or one recorded
        before revisions kept their text."""
        found = await self.audit.find_one({"_id": f"{article_id}:{revision}"})
        if found is None or "snapshot" not in found:
            return None
        return Snapshot.model_validate(found["snapshot"])

    # --- outbox --------------------------------------------------------------------------
    # The relay reads entries as stored, not as `OutboxEntry`: a malformed one must reach it
    # whole, to be set aside with its reason.

    async def with_pending_events(self, limit: int = 100) -> list[Document]:
        """A scan of every article (FerretDB indexes only `_id`): for the relay's safety net."""
        cursor = self.articles.find({"outbox.event_id": {"$exists": True}}, {"outbox": 1})
        return await cursor.limit(limit).to_list()

    async def pending_events_of(self, article_id: str) -> Document | None:
        return await self.articles.find_one({"_id": article_id}, {"outbox": 1})

    async def mark_sent(self, article_id: str, entry: Document) -> None:
        # $pull by the whole entry: FerretDB v1 cannot $pull by a condition on a field.
        # Under the article's lock: an unlocked $pull could undo a write made meanwhile.
        async with self._lock.hold(article_id, uuid.uuid4().hex):
            await self.articles.update_one({"_id": article_id}, {"$pull": {"outbox": entry}})


def snapshot_of(article: Article) -> Document:
    return Snapshot.of(article).model_dump()


def new_id() -> str:
    return uuid.uuid4().hex
