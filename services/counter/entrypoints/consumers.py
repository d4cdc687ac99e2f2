"""The counter's bus subscription: every `page.viewed` is stored in the inbox for the fold."""

from services.counter.adapters.ingest import Ingest
from shared.contracts.events import Envelope, PageViewed
from shared.platform.bus import Bus


async def subscribe(bus: Bus, ingest: Ingest, prefetch: int) -> None:
    """Consume the counter's queue; a message is acked once its views are stored."""

    async def record_views(event: Envelope[PageViewed]) -> None:
        await ingest.add(str(event.event_id), event.data.views)

    await bus.consume("counter", {PageViewed: record_views}, prefetch=prefetch)
