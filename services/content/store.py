"""Articles in MongoDB. An article's pending events live in its own `outbox` field."""

import uuid
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.content.models import ArticleDraft
from services.content.sanitize import clean_body
from services.content.slugs import make_slug
from shared.db import Document
from shared.errors import NotFound
from shared.events import ArticlePublished, Envelope, encode, new_envelope

PRODUCER = "content"
EVENT_IDS = uuid.UUID("6f1c2a52-8d0e-4d6b-9a53-5b7e0c1f2a90")  # namespace for derived event ids


class ArticleStore:
    def __init__(self, db: AsyncDatabase[Document], public_url: str) -> None:
        self.articles: AsyncCollection[Document] = db["articles"]
        self._public_url = public_url.rstrip("/")

    async def create_indexes(self) -> None:
        await self.articles.create_index([("slug", ASCENDING)], unique=True)

    def url_for(self, slug: str) -> str:
        return f"{self._public_url}/articles/{slug}"

    async def create(self, draft: ArticleDraft, editor: str) -> Document:
        now = datetime.now(UTC)
        base = make_slug(draft.title)
        for attempt in range(1, 50):
            slug = base if attempt == 1 else f"{base}-{attempt}"
            document: Document = {
                "_id": uuid.uuid4().hex,
                "slug": slug,
                **draft.model_dump(),
                "body": clean_body(draft.body),
                "status": "draft",
                "revision": 1,
                "created_at": now,
                "updated_at": now,
                "created_by": editor,
                "updated_by": editor,
                "published_at": None,
                "outbox": [],
            }
            try:
                await self.articles.insert_one(document)
            except DuplicateKeyError:
                continue  # the slug is taken: try the next suffix
            return document
        raise RuntimeError(f"no free slug for {base!r}")

    async def publish(self, article_id: str, editor: str) -> Document:
        """Mark published and queue `article.published` in the same single-document write."""
        article = await self.get(article_id)
        if article["status"] == "published":
            return article  # publishing twice is a no-op: one publication, one event
        now = datetime.now(UTC)
        # Derived, not random: if two racing publishes both get through (FerretDB has no
        # atomic compare-and-set), their events share one id and consumers keep one.
        event_id = uuid.uuid5(EVENT_IDS, f"{article_id}:published:{article['revision']}")
        event = new_envelope(self._published_event(article, now), PRODUCER, event_id)
        # The filter makes this a compare-and-set: if someone changed the article since our
        # read, nothing is written and their state is what we return.
        await self.articles.update_one(
            {"_id": article_id, "status": article["status"], "revision": article["revision"]},
            {
                "$set": {
                    "status": "published",
                    "published_at": now,
                    "updated_at": now,
                    "updated_by": editor,
                },
                "$inc": {"revision": 1},
                "$push": {"outbox": outbox_entry(event)},
            },
        )
        return await self.get(article_id)

    def _published_event(self, article: Document, published_at: datetime) -> ArticlePublished:
        slug = str(article["slug"])
        return ArticlePublished(
            article_id=str(article["_id"]),
            slug=slug,
            title=str(article["title"]),
            lead=str(article["lead"]),
            section=str(article["section"]),
            authors=list(article["authors"]),
            url=self.url_for(slug),
            published_at=published_at,
        )

    async def get(self, article_id: str) -> Document:
        article = await self.articles.find_one({"_id": article_id})
        if article is None:
            raise NotFound(f"no article {article_id!r}")
        return article

    async def get_published_by_slug(self, slug: str) -> Document:
        article = await self.articles.find_one({"slug": slug, "status": "published"})
        if article is None:
            raise NotFound(f"no published article {slug!r}")
        return article

    async def latest(self, limit: int) -> list[Document]:
        cursor = self.articles.find({"status": "published"}).sort("published_at", DESCENDING)
        return await cursor.limit(limit).to_list()

    async def with_pending_events(self, limit: int = 100) -> list[Document]:
        cursor = self.articles.find({"outbox.event_id": {"$exists": True}}, {"outbox": 1})
        return await cursor.limit(limit).to_list()

    async def mark_sent(self, article_id: str, entry: Document) -> None:
        # $pull by the whole entry: FerretDB v1 cannot $pull by a condition on a field.
        await self.articles.update_one({"_id": article_id}, {"$pull": {"outbox": entry}})


def outbox_entry(event: Envelope[Any]) -> Document:
    # The encoded envelope is kept whole, so every retry sends the same event_id.
    return {"event_id": str(event.event_id), "type": event.type, "body": encode(event).decode()}
