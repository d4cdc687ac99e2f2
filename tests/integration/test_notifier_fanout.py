"""The fan-out survives a crash half way: the redelivered event still queues every job."""

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from services.notifier.adapters.deliveries import DeliveryStore
from services.notifier.adapters.store import SubscriberStore, SuppressionStore
from services.notifier.config import NotifierSettings
from services.notifier.domain.deliveries import DeliveryJob
from services.notifier.usecases.fanout import FanOut
from shared.contracts.events import Envelope, decode, new_envelope
from shared.platform.bus import Bus, RetryLater
from shared.platform.db import Document
from tests.notifier_support import (
    SIGNING_KEY,
    add_subscribers,
    delete_notifier_topology,
    published_article,
)

pytestmark = pytest.mark.integration

LEASE = timedelta(seconds=120)


class CrashingBus(Bus):
    """The real bus, which stops publishing (like a dying process) after `survive` jobs."""

    def __init__(self, bus: Bus, survive: int) -> None:
        self._bus, self._left = bus, survive

    async def publish(self, envelope: Envelope[Any]) -> None:
        if self._left == 0:
            raise RuntimeError("process died")
        self._left -= 1
        await self._bus.publish(envelope)


@pytest.fixture
async def jobs_queue(bus: Bus, exchange: str) -> AsyncIterator[Any]:
    queue = await bus.declare_queue("notifier.deliveries", [DeliveryJob.TYPE])
    yield queue
    await delete_notifier_topology(exchange)


async def test_a_crash_mid_fan_out_then_redelivery_queues_every_job(
    bus: Bus, jobs_queue: Any, mongo: AsyncMongoClient[Document], db_name: str, run_id: str
) -> None:
    db = mongo[db_name]
    readers = [f"ban-{n:02d}-{run_id}@example.vn" for n in range(25)]
    await add_subscribers(db, readers)
    settings = NotifierSettings(mongo_db=db_name, signing_key=SIGNING_KEY, chunk_size=4)
    stores = (SubscriberStore(db), SuppressionStore(db), DeliveryStore(db, LEASE))
    article = published_article(f"fan-{run_id}")
    event = new_envelope(article, "content")

    with pytest.raises(RuntimeError, match="process died"):
        await FanOut(settings, *stores, CrashingBus(bus, survive=2)).handle(event)
    assert not await stores[2].fanout_done(str(event.event_id))

    fanout = FanOut(settings, *stores, bus)
    await fanout.handle(event)
    await fanout.handle(event)  # and once more after it finished: nothing new

    queued: list[DeliveryJob] = []
    while (message := await jobs_queue.get(fail=False)) is not None:
        await message.ack()
        data = decode(message.body).data
        assert isinstance(data, DeliveryJob)
        queued.append(data)
    recipients = [email for job in queued for email in job.recipients]
    assert sorted(set(recipients)) == readers
    assert len(queued) == 7 + 2, "seven chunks, the first two queued twice"
    assert await db["deliveries"].count_documents({"article_id": article.article_id}) == 25
    assert await stores[2].fanout_done(str(event.event_id))


async def test_a_failed_publish_is_retried_in_place_not_dropped(
    bus: Bus, jobs_queue: Any, mongo: AsyncMongoClient[Document], db_name: str, run_id: str
) -> None:
    """A broker that does not confirm: the fan-out asks the bus to hold and retry the event."""
    db = mongo[db_name]
    await add_subscribers(db, [f"mot-{run_id}@example.vn"])
    settings = NotifierSettings(mongo_db=db_name, signing_key=SIGNING_KEY)
    unconnected = Bus("amqp://guest:guest@127.0.0.1:5672/", "never-connected")
    fanout = FanOut(
        settings, SubscriberStore(db), SuppressionStore(db), DeliveryStore(db, LEASE), unconnected
    )
    article = published_article(f"loi-{run_id}")
    with pytest.raises(RetryLater):
        await fanout.handle(new_envelope(article, "content"))
