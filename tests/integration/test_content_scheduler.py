"""Scheduled publication: once with two replicas, and caught up after downtime."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from services.content.entrypoints.keys import SCHEDULER
from shared.platform.db import Document
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
        # Far enough ahead that the cancellation surely lands first, even on a loaded machine.
        soon = datetime.now(UTC) + timedelta(seconds=1.5)
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


async def test_an_article_edited_while_scheduled_still_goes_live(
    exchange: str, db_name: str, probe: Probe
) -> None:
    async with replica(settings_for(db_name, exchange)) as client:
        article = await create(client, "Sửa khi đã lên lịch", lead="Bản đầu")
        due = datetime.now(UTC) + timedelta(seconds=2)
        await act(client, article["id"], "schedule", publish_at=due.isoformat())
        # Every edit moves the revision on; the booking must still hold.
        edited = await client.patch(
            f"/api/articles/{article['id']}", json={"lead": "Bản sửa"}, headers=AUTH
        )
        assert edited.status == 200

        async def live() -> dict[str, Any] | None:
            response = await client.get(f"/api/articles/{article['slug']}")
            return await response.json() if response.status == 200 else None

        shown = await eventually(live, what="the edited article published on time")
        assert shown["lead"] == "Bản sửa"
        history = await client.get(f"/api/editor/articles/{article['id']}/history", headers=AUTH)
        actions = [(e["action"], e["by"]) for e in (await history.json())["items"]]
        assert actions[1:] == [
            ("schedule", "test script"),
            ("edit", "test script"),
            ("publish", "scheduler"),
        ]
        assert [m["data"]["lead"] for m in await probe.drain()] == ["Bản sửa"]


async def test_a_booking_that_disagrees_with_its_article_is_corrected(
    exchange: str, db_name: str, mongo: AsyncMongoClient[Document]
) -> None:
    async with replica(settings_for(db_name, exchange)) as client:
        article = await create(client, "Lịch bị ghi sai")
        later = datetime.now(UTC) + timedelta(hours=1)
        await act(client, article["id"], "schedule", publish_at=later.isoformat())
        # As a re-time that crashed after booking, before writing the article, leaves it.
        early = datetime.now(UTC) - timedelta(minutes=5)
        bookings = mongo[db_name]["schedule"]
        await bookings.update_one({"_id": article["id"]}, {"$set": {"publish_at": early}})

        async def rebooked() -> bool:
            # Due by the booking, not by the article: the scheduler books the article's time.
            booking = await bookings.find_one({"_id": article["id"]})
            return booking is not None and booking["publish_at"] > datetime.now(UTC)

        await eventually(rebooked, what="the booking put back to the article's time")
        assert client.app[SCHEDULER].fired == 0
        again = await client.get(f"/api/editor/articles/{article['id']}", headers=AUTH)
        assert (await again.json())["status"] == "scheduled"
