"""The notifier's bus subscriptions: published articles are fanned out, delivery jobs sent."""

from services.notifier.domain.deliveries import DeliveryJob
from services.notifier.usecases.delivery import Deliverer
from services.notifier.usecases.fanout import FanOut
from shared.contracts.events import ArticlePublished
from shared.platform.bus import Bus


async def consume(bus: Bus, fanout: FanOut, deliverer: Deliverer, prefetch: int) -> None:
    # One article at a time: a fan-out publishes many jobs, and they do the sending.
    await bus.consume("notifier", {ArticlePublished: fanout.handle}, prefetch=1)
    # The work queue every replica takes delivery jobs from.
    await bus.consume("notifier.deliveries", {DeliveryJob: deliverer.handle}, prefetch=prefetch)
