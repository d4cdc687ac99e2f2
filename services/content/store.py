"""Articles in MongoDB. An article's pending events live in its own `outbox` field.

Every write is one `update_one` on the article's `_id`, conditioned on the revision that
was read and made under the article's lock (locks.py: FerretDB needs it for the condition
to hold); the event it causes is pushed into the same document, so a write and its event
are never separated. Slugs are claimed by inserting `_id=slug` into `slugs`: unique inserts
are atomic on FerretDB, so two articles can never take one slug, and an old slug keeps
pointing at its article (for the 301).
"""

import contextlib
import uuid
from datetime import UTC, datetime
from typing import Any

from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.content.locks import ArticleLocks
from shared.contracts.errors import Conflict, NotFound
from shared.platform.db import Document

# Read for lists and the cache: everything but the heavy or internal fields.
SUMMARY_FIELDS = {"body": 0, "outbox": 0}


class ArticleStore:
    def __init__(self, db: AsyncDatabase[Document], public_url: str) -> None:
        self.articles: AsyncCollection[Document] = db["articles"]
        self.slugs: AsyncCollection[Document] = db["slugs"]
        self.audit: AsyncCollection[Document] = db["audit"]
        self._public_url = public_url.rstrip("/")
        self._locks = ArticleLocks(db)

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
        try:
            await self.slugs.insert_one({"_id": slug, "article_id": article_id})
        except DuplicateKeyError:
            owner = await self.slug_owner(slug)
            return owner == article_id
        return True

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

    async def insert(self, article: Document) -> None:
        await self.articles.insert_one(article)

    async def write(
        self,
        article: Document,
        changes: Document,
        editor: str,
        action: str,
        event: Document | None = None,
    ) -> Document:
        """Apply `changes` as the next revision of `article`, with its event, in one write.

        409 if the article moved on since it was read. Returns the new document."""
        now = datetime.now(UTC)
        article_id = str(article["_id"])
        revision = int(article["revision"]) + 1
        fields = {**changes, "revision": revision, "updated_at": now, "updated_by": editor}
        update: dict[str, Any] = {"$set": fields}
        if event is not None:
            update["$push"] = {"outbox": event}
        # Under the article's lock the revision filter is a true compare-and-set.
        async with self._locks.hold(article_id):
            result = await self.articles.update_one(
                {"_id": article_id, "revision": article["revision"]}, update
            )
        if result.matched_count == 0:
            raise Conflict("the article was changed meanwhile; reload it and try again")
        written = {**article, **fields}
        if event is not None:
            written["outbox"] = [*article.get("outbox", []), event]
        await self.record(article_id, revision, action, editor, now)
        return written

    async def record(
        self, article_id: str, revision: int, action: str, editor: str, at: datetime
    ) -> None:
        """Who did what, and when: one audit line per revision (a unique insert)."""
        # Idempotent: a retried record of the same revision is not a second line.
        with contextlib.suppress(DuplicateKeyError):
            await self.audit.insert_one(
                {
                    "_id": f"{article_id}:{revision}",
                    "article_id": article_id,
                    "revision": revision,
                    "action": action,
                    "by": editor,
                    "at": at,
                }
            )

    # --- reads ---------------------------------------------------------------------------

    async def get(self, article_id: str) -> Document:
        article = await self.find(article_id)
        if article is None:
            raise NotFound(f"no article {article_id!r}")
        return article

    async def find(self, article_id: str) -> Document | None:
        return await self.articles.find_one({"_id": article_id})

    async def live_summaries(self) -> list[Document]:
        return await self.articles.find({"status": "published"}, SUMMARY_FIELDS).to_list()

    async def for_editors(self, status: str | None, limit: int) -> list[Document]:
        query: Document = {} if status is None else {"status": status}
        hidden = {"outbox": 0, "search_tokens": 0}
        cursor = self.articles.find(query, hidden).sort("updated_at", DESCENDING)
        return await cursor.limit(limit).to_list()

    async def scheduled(self) -> list[Document]:
        return await self.articles.find(
            {"status": "scheduled"}, {"_id": 1, "revision": 1, "publish_at": 1}
        ).to_list()

    async def history(self, article_id: str) -> list[Document]:
        return await self.audit.find({"article_id": article_id}).sort("revision").to_list()

    # --- outbox --------------------------------------------------------------------------

    async def with_pending_events(self, limit: int = 100) -> list[Document]:
        """A scan of every article (FerretDB indexes only `_id`): for the relay's safety net."""
        cursor = self.articles.find({"outbox.event_id": {"$exists": True}}, {"outbox": 1})
        return await cursor.limit(limit).to_list()

    async def pending_events_of(self, article_id: str) -> Document | None:
        return await self.articles.find_one({"_id": article_id}, {"outbox": 1})

    async def mark_sent(self, article_id: str, entry: Document) -> None:
        # $pull by the whole entry: FerretDB v1 cannot $pull by a condition on a field.
        # Under the article's lock: an unlocked $pull could undo a write made meanwhile.
        async with self._locks.hold(article_id):
            await self.articles.update_one({"_id": article_id}, {"$pull": {"outbox": entry}})


def new_id() -> str:
    return uuid.uuid4().hex
