"""What the content service takes from the bus: every replica hears every article event
(on its own broadcast queue) and reads that article again, so an edit made on any replica
shows on all of them as soon as it is relayed."""

from typing import Any

from services.content.usecases.announced import Announced
from services.content.usecases.reading import ArticleReader
from shared.contracts.events import (
    ArticleImported,
    ArticlePublished,
    ArticleUnpublished,
    ArticleUpdated,
    Envelope,
    EventData,
)
from shared.contracts.sections import SectionCatalogue, SectionsChanged
from shared.contracts.site import SiteIdentity, SiteUpdated
from shared.platform.bus import Bus, Handler


async def subscribe(
    bus: Bus,
    reader: ArticleReader,
    site: Announced[SiteIdentity],
    sections: Announced[SectionCatalogue],
) -> None:
    async def on_article_event(envelope: Envelope[Any]) -> None:
        await reader.refresh(envelope.data.article_id)

    async def on_site_event(_: Envelope[Any]) -> None:
        await site.refresh()  # the newest saved revision, whatever the event said

    async def on_sections_event(_: Envelope[Any]) -> None:
        await sections.refresh()

    events = (ArticlePublished, ArticleUpdated, ArticleImported, ArticleUnpublished)
    handlers: dict[type[EventData], Handler] = dict.fromkeys(events, on_article_event)
    handlers[SiteUpdated] = on_site_event
    handlers[SectionsChanged] = on_sections_event
    await bus.consume_broadcast(handlers)
