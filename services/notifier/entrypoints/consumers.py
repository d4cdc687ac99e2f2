"""The notifier's bus subscriptions: published articles are fanned out, delivery jobs sent,
the site's identity kept for the emails."""

from services.notifier.domain.deliveries import DeliveryJob
from services.notifier.usecases.delivery import Deliverer
from services.notifier.usecases.fanout import FanOut
from services.notifier.usecases.site import SiteCopy
from shared.contracts.events import ArticlePublished, EventData
from shared.contracts.site import SiteUpdated
from shared.platform.bus import Bus, Handler


async def consume(
    bus: Bus, fanout: FanOut, deliverer: Deliverer, site: SiteCopy, prefetch: int
) -> None:
    # One article at a time: a fan-out publishes many jobs, and they do the sending.
    handlers: dict[type[EventData], Handler] = {
        ArticlePublished: fanout.handle,
        SiteUpdated: site.keep,
    }
    await bus.consume("notifier", handlers, prefetch=1)
    # The work queue every replica takes delivery jobs from.
    await bus.consume("notifier.deliveries", {DeliveryJob: deliverer.handle}, prefetch=prefetch)
