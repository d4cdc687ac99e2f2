"""Article events leave through the outbox even when the broker or the service is down."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from services.content.adapters.schedule import ScheduleBook
from services.content.adapters.store import ArticleStore
from services.content.domain.commands import ArticleDraft
from services.content.usecases.editing import Workflow
from shared.platform.db import Document
from tests.content_support import (
    SECTION,
    CuttableProxy,
    Probe,
    act,
    create,
    drop_topology,
    outbox_of,
    replica,
    settings_for,
)
from tests.support import AMQP_URL, eventually

pytestmark = pytest.mark.integration


@pytest.fixture
async def probe(amqp: Any, exchange: str) -> AsyncIterator[Probe]:
    probe = await Probe.bind(amqp, exchange, "article.*")
    yield probe
    await drop_topology(amqp, exchange)


async def test_an_event_waits_in_the_outbox_while_the_broker_is_down(
    exchange: str, db_name: str, probe: Probe, mongo: AsyncMongoClient[Document]
) -> None:
    proxy = CuttableProxy(AMQP_URL)
    await proxy.start()
    try:
        await _outbox_survives(exchange, db_name, probe, mongo, proxy)
    finally:
        await proxy.cut()


async def _outbox_survives(
    exchange: str,
    db_name: str,
    probe: Probe,
    mongo: AsyncMongoClient[Document],
    proxy: CuttableProxy,
) -> None:
    settings = settings_for(db_name, exchange, amqp_url=proxy.url)
    async with replica(settings) as client:
        article = await create(client, "Tin giữa lúc mất kết nối")
        await proxy.cut()  # RabbitMQ is gone, as far as this replica can tell

        published = await act(client, article["id"], "publish")
        assert published["status"] == "published"  # the write does not need the broker
        stored = await mongo[db_name]["articles"].find_one({"_id": article["id"]})
        assert stored is not None
        [entry] = stored["outbox"]
        assert entry["type"] == "article.published"
        assert await probe.drain() == []

        await proxy.start()  # the broker is back; the robust connection reconnects

        async def delivered() -> list[dict[str, Any]]:
            return [m for m in await probe.drain() if m["event_id"] == entry["event_id"]]

        [message] = await eventually(delivered, timeout=30, what="the event after recovery")
        assert message["data"]["article_id"] == article["id"]
        assert message["data"]["section_slug"] == SECTION

        async def outbox_empty() -> bool:
            document = await mongo[db_name]["articles"].find_one({"_id": article["id"]})
            return document is not None and document["outbox"] == []

        await eventually(outbox_empty, what="the outbox to empty")


async def test_an_event_left_by_a_dead_replica_is_sent_by_the_next_one(
    exchange: str, db_name: str, probe: Probe, mongo: AsyncMongoClient[Document]
) -> None:
    # A replica that wrote the publication and died before relaying it: the article and
    # its pending event are in the database, and no process is running.
    db = mongo[db_name]
    store = ArticleStore(db, "http://portal.test")
    workflow = Workflow(store, ScheduleBook(db))
    draft = ArticleDraft(title="Bài chưa kịp gửi", section=SECTION, authors=["Phóng viên"])
    article = await workflow.create(draft, "tester")
    written = await workflow.publish(article.id, "tester")
    [entry] = await outbox_of(store, written.id)

    async with replica(settings_for(db_name, exchange)):

        async def delivered() -> list[dict[str, Any]]:
            return [m for m in await probe.drain() if m["event_id"] == entry["event_id"]]

        [message] = await eventually(delivered, what="the orphaned event")
        assert message["type"] == "article.published"
        assert message["data"]["authors"] == ["Phóng viên"]
        assert message["data"]["url"] == "http://portal.test/articles/bai-chua-kip-gui"
