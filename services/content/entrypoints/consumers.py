"""What the content service takes from the bus: every replica hears every article event
(on its own broadcast queue) and reads that article again, so an edit made on any replica
shows on all of them as soon as it is relayed."""

from typing import Any

from services.content.usecases.reading import ArticleReader
from services.content.usecases.site import SiteIdentityKeeper
from shared.contracts.events import (
    ArticleImported,
    ArticlePublished,
    ArticleUnpublished,
    ArticleUpdated,
    Envelope,
    EventData,
)
from shared.contracts.site import SiteUpdated
from shared.platform.bus import Bus, Handler


async def subscribe(bus: Bus, reader: ArticleReader, site: SiteIdentityKeeper) -> None:
    async def on_article_event(envelope: Envelope[Any]) -> None:
        await reader.refresh(envelope.data.article_id)

    async def on_site_event(_: Envelope[Any]) -> None:
        await site.refresh()  # the newest saved revision, whatever the event said

    events = (ArticlePublished, ArticleUpdated, ArticleImported, ArticleUnpublished)
    handlers: dict[type[EventData], Handler] = dict.fromkeys(events, on_article_event)
    handlers[SiteUpdated] = on_site_event
    await bus.consume_broadcast(handlers)
