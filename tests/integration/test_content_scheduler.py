"""Scheduled publication: once with two replicas, and caught up after downtime."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from services.content.keys import SCHEDULER
from shared.db import Document
from tests.content_support import AUTH, Probe, act, create, drop_topology, replica, settings_for
from tests.support import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
async def probe(amqp: Any, exchange: str) -> AsyncIterator[Probe]:
    probe = await Probe.bind(amqp, exchange, "article.published")
    yield probe
    await drop_topology(amqp, exchange)


async def test_two_replicas_publish_each_scheduled_article_once(
    exchange: str, db_name: str, probe: Probe, mongo: AsyncMongoClient[Document]
) -> None:
    settings = settings_for(db_name, exchange)
    async with replica(settings) as first, replica(settings) as second:
        soon = datetime.now(UTC) + timedelta(milliseconds=600)
        ids = []
        for n in range(3):
            article = await create(first, f"Lịch đăng số {n}")
            scheduled = await act(first, article["id"], "schedule", publish_at=soon.isoformat())
            assert scheduled["status"] == "scheduled"
            ids.append(article["id"])

        async def all_live_and_sent() -> bool:
            found = await mongo[db_name]["articles"].find({"_id": {"$in": ids}}).to_list()
            return all(a["status"] == "published" and a["outbox"] == [] for a in found)

        await eventually(all_live_and_sent, what="the three scheduled publications")
        fired = first.app[SCHEDULER].fired + second.app[SCHEDULER].fired
        assert fired == 3
        # Both relays may send one entry (at least once); it is one event, one event id.
        events = {m["event_id"]: m["data"]["article_id"] for m in await probe.drain()}
        assert sorted(events.values()) == sorted(ids)
        for article_id in ids:
            live = await second.get(f"/api/editor/articles/{article_id}", headers=AUTH)
            body = await live.json()
            assert body["updated_by"] == "scheduler"
            assert datetime.fromisoformat(body["published_at"]) == soon.replace(
                microsecond=soon.microsecond // 1000 * 1000
            )


async def test_what_fell_due_while_down_is_published_at_start(
    exchange: str, db_name: str, probe: Probe, mongo: AsyncMongoClient[Document]
) -> None:
    due = datetime.now(UTC) + timedelta(milliseconds=300)
    async with replica(settings_for(db_name, exchange, schedule_poll_seconds=4)) as client:
        kept = await create(client, "Đăng khi khởi động lại")
        lost = await create(client, "Lịch bị mất")
        for article in (kept, lost):
            await act(client, article["id"], "schedule", publish_at=due.isoformat())
    # Every replica is down now, and the time passes.
    await eventually(lambda: datetime.now(UTC) > due, what="the due time to pass")
    # A crash between booking and writing can lose a booking; the article still says
    # "scheduled", and the scheduler's start-up repair books it again.
    await mongo[db_name]["schedule"].delete_one({"_id": lost["id"]})

    async with replica(settings_for(db_name, exchange)) as restarted:
        for article in (kept, lost):

            async def live(slug: str = article["slug"]) -> bool:
                return (await restarted.get(f"/api/articles/{slug}")).status == 200

            await eventually(live, what=f"{article['slug']} published after the restart")
        assert restarted.app[SCHEDULER].fired == 2


async def test_a_cancelled_schedule_does_not_fire(
    exchange: str, db_name: str, probe: Probe, mongo: AsyncMongoClient[Document]
) -> None:
    async with replica(settings_for(db_name, exchange)) as client:
        article = await create(client, "Hủy lịch đăng")
        soon = datetime.now(UTC) + timedelta(milliseconds=300)
        await act(client, article["id"], "schedule", publish_at=soon.isoformat())
        back = await act(client, article["id"], "draft")
        assert back["status"] == "draft"
        await eventually(lambda: datetime.now(UTC) > soon, what="the due time to pass")
        scheduler = client.app[SCHEDULER]
        assert await scheduler.tick() == []

        async def booking_dropped() -> bool:
            return await mongo[db_name]["schedule"].count_documents({}) == 0

        await eventually(booking_dropped, what="the stale booking to be dropped")
        again = await client.get(f"/api/editor/articles/{article['id']}", headers=AUTH)
        assert (await again.json())["status"] == "draft"
        assert scheduler.fired == 0
    assert await probe.drain() == []
