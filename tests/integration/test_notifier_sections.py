"""The notifier follows the sections content announces, on the real database and broker: a
hidden section's readers keep their subscription and get no email while it is hidden; a
reader's saved choice keeps a hidden section they had; nobody signs up to one anew."""

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from services.notifier.adapters.deliveries import DeliveryStore
from services.notifier.adapters.store import SubscriberStore, SuppressionStore
from services.notifier.config import NotifierSettings
from services.notifier.domain.deliveries import DeliveryJob
from services.notifier.domain.models import PreferencesRequest
from services.notifier.usecases.copies import AnnouncedCopy
from services.notifier.usecases.fanout import FanOut
from services.notifier.usecases.subscriptions import Subscriptions
from shared.contracts.errors import Invalid
from shared.contracts.events import decode, new_envelope
from shared.contracts.sections import STARTER, Section, SectionCatalogue
from shared.platform.bus import Bus
from shared.platform.db import Document
from tests.notifier_support import (
    SIGNING_KEY,
    add_subscribers,
    delete_notifier_topology,
    published_article,
)

pytestmark = pytest.mark.integration

HIDDEN = SectionCatalogue(
    sections=tuple(
        Section(slug=s.slug, name=s.name, hidden=s.slug == "thong-bao") for s in STARTER.sections
    )
)


@pytest.fixture
async def jobs_queue(bus: Bus, exchange: str) -> AsyncIterator[Any]:
    queue = await bus.declare_queue("notifier.deliveries", [DeliveryJob.TYPE])
    yield queue
    await delete_notifier_topology(exchange)


async def test_a_hidden_sections_readers_are_kept_and_not_emailed_until_it_is_shown(
    bus: Bus, jobs_queue: Any, mongo: AsyncMongoClient[Document], db_name: str, run_id: str
) -> None:
    db = mongo[db_name]
    readers = [f"ban-{n}-{run_id}@example.vn" for n in range(3)]
    await add_subscribers(db, readers, sections=["thong-bao", "dan-van"])
    copy = AnnouncedCopy(db, "section_catalogue", SectionCatalogue, STARTER)
    await copy.keep(1, HIDDEN)  # content hid "thong-bao"
    settings = NotifierSettings(mongo_db=db_name, signing_key=SIGNING_KEY)
    stores = (SubscriberStore(db), SuppressionStore(db), DeliveryStore(db, timedelta(60)))
    fanout = FanOut(settings, *stores, bus, lambda: copy.current)

    await fanout.handle(new_envelope(published_article(f"an-{run_id}"), "content"))
    assert await jobs_queue.get(fail=False) is None  # nobody emailed
    subscriptions = Subscriptions(stores[0], stores[1])
    # A reader saves their choice on the page, which shows only the shown sections.
    kept = await subscriptions.change_preferences(
        readers[0], PreferencesRequest(sections=["dan-van", "tin-tuc-su-kien"]), copy.current
    )
    assert kept.sections == ["dan-van", "thong-bao", "tin-tuc-su-kien"]  # the hidden one stays
    with pytest.raises(Invalid, match="unknown section"):  # nobody takes it anew...
        await subscriptions.change_preferences(
            readers[0], PreferencesRequest(sections=["van-ban-phap-luat", "khong-co"]), HIDDEN
        )

    await copy.keep(2, STARTER)  # shown again
    await fanout.handle(new_envelope(published_article(f"back-{run_id}"), "content"))
    message = await jobs_queue.get(fail=False)
    assert message is not None
    await message.ack()
    job = decode(message.body).data
    assert isinstance(job, DeliveryJob) and sorted(job.recipients) == sorted(readers)
