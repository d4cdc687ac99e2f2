"""What the content service takes from the bus: every replica hears every article event
(on its own broadcast queue) and reads that article again, so an edit made on any replica
shows on all of them as soon as it is relayed."""

from typing import Any

from services.content.usecases.reading import ArticleReader
from shared.contracts.events import (
    ArticleImported,
    ArticlePublished,
    ArticleUnpublished,
    ArticleUpdated,
    Envelope,
)
from shared.platform.bus import Bus


async def subscribe(bus: Bus, reader: ArticleReader) -> None:
    async def on_article_event(envelope: Envelope[Any]) -> None:
        await reader.refresh(envelope.data.article_id)

    events = (ArticlePublished, ArticleUpdated, ArticleImported, ArticleUnpublished)
    await bus.consume_broadcast(dict.fromkeys(events, on_article_event))
