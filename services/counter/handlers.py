"""What the counter does with each event."""

from services.counter.store import ViewStore
from shared.events import Envelope, PageViewed


async def record_views(store: ViewStore, event: Envelope[PageViewed]) -> None:
    await store.record(str(event.event_id), event.data.views)
