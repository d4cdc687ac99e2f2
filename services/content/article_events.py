"""The events an article change queues in its outbox, with ids derived from what happened."""

import uuid
from datetime import datetime
from typing import Any

from services.content.documents import section_of
from shared.contracts.events import (
    ArticlePublished,
    ArticleUnpublished,
    ArticleUpdated,
    Envelope,
    EventData,
    encode,
    new_envelope,
)
from shared.platform.db import Document

PRODUCER = "content"
EVENT_IDS = uuid.UUID("6f1c2a52-8d0e-4d6b-9a53-5b7e0c1f2a90")  # namespace for derived event ids


def event_id(article_id: str, event_type: str, revision: int) -> uuid.UUID:
    """Derived, not random: a revision's event has one id whoever queues or sends it and
    however often, so consumers keep one."""
    return uuid.uuid5(EVENT_IDS, f"{article_id}:{event_type}:{revision}")


def _facts(article: Document, url: str) -> dict[str, Any]:
    section = section_of(article)
    published_at: datetime = article["published_at"]
    return {
        "article_id": str(article["_id"]),
        "revision": int(article["revision"]),
        "slug": str(article["slug"]),
        "title": str(article["title"]),
        "lead": str(article.get("lead", "")),
        "section": section.name,
        "section_slug": section.slug,
        "tags": [str(tag["name"]) for tag in article.get("tags", [])],
        "authors": [str(author) for author in article.get("authors", [])],
        "url": url,
        "published_at": published_at,
    }


def published(article: Document, url: str) -> EventData:
    return ArticlePublished(**_facts(article, url))


def updated(article: Document, url: str, previous_slug: str | None) -> EventData:
    return ArticleUpdated(**_facts(article, url), previous_slug=previous_slug)


def unpublished(article: Document) -> EventData:
    return ArticleUnpublished(
        article_id=str(article["_id"]), revision=int(article["revision"]), slug=article["slug"]
    )


def outbox_entry(data: EventData, article: Document) -> Document:
    """The encoded envelope is kept whole, so every retry sends the same bytes and event_id."""
    envelope: Envelope[Any] = new_envelope(
        data, PRODUCER, event_id(str(article["_id"]), data.TYPE, int(article["revision"]))
    )
    return {
        "event_id": str(envelope.event_id),
        "type": envelope.type,
        "body": encode(envelope).decode(),
    }
