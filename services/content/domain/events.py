"""The events an article change queues in its outbox, with ids derived from what happened."""

import uuid
from dataclasses import dataclass
from typing import Any

from services.content.domain.article import Article, section_of
from shared.contracts.events import (
    ArticleImported,
    ArticlePublished,
    ArticleUnpublished,
    ArticleUpdated,
    Envelope,
    EventData,
    encode,
    new_envelope,
)
from shared.contracts.sections import SectionCatalogue

PRODUCER = "content"
EVENT_IDS = uuid.UUID("6f1c2a52-8d0e-4d6b-9a53-5b7e0c1f2a90")  # namespace for derived event ids


def event_id(article_id: str, event_type: str, revision: int) -> uuid.UUID:
    """Derived, not random: a revision's event has one id whoever queues or sends it and
    however often, so consumers keep one."""
    return uuid.uuid5(EVENT_IDS, f"{article_id}:{event_type}:{revision}")


@dataclass(frozen=True)
class OutboxEntry:
    """An event as queued in its article's outbox: the encoded envelope, kept whole, so
    every retry sends the same bytes and event_id."""

    event_id: str
    type: str
    body: str


def _facts(article: Article, url: str, sections: SectionCatalogue) -> dict[str, Any]:
    section = section_of(article, sections)
    return {
        "article_id": article.id,
        "revision": article.revision,
        "slug": article.slug,
        "title": article.title,
        "lead": article.lead,
        "section": section.name,
        "section_slug": section.slug,
        "tags": [tag.name for tag in article.tags],
        "authors": list(article.authors),
        "url": url,
        "published_at": article.published_at,
    }


def published(article: Article, url: str, sections: SectionCatalogue) -> EventData:
    """What going live announces: `article.published`, which the notifier emails; for an
    article migrated from an old portal, `article.imported`, which nobody emails."""
    if article.source_url is not None:
        return ArticleImported(**_facts(article, url, sections), source_url=article.source_url)
    return ArticlePublished(**_facts(article, url, sections))


def updated(
    article: Article, url: str, sections: SectionCatalogue, previous_slug: str | None
) -> EventData:
    return ArticleUpdated(**_facts(article, url, sections), previous_slug=previous_slug)


def unpublished(article: Article) -> EventData:
    return ArticleUnpublished(article_id=article.id, revision=article.revision, slug=article.slug)


def outbox_entry(data: EventData, article: Article) -> OutboxEntry:
    envelope: Envelope[Any] = new_envelope(
        data, PRODUCER, event_id(article.id, data.TYPE, article.revision)
    )
    return OutboxEntry(str(envelope.event_id), envelope.type, encode(envelope).decode())
