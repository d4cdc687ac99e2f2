"""A poison item never stops the counter: it is set aside with its reason, the rest counted.

Regression tests of the hardening issue's "High 1": one beacon with a NUL in its article id
froze the statistics for good (the id became a field name, the committed fold failed on
every retry). The service tests run the counter as a process on the real RabbitMQ and
FerretDB; the folder tests run the folder in this process on the real FerretDB, as
test_counter_fold_recovery does.
"""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import aio_pika
import aiohttp
import pytest
from bson import Binary
from pymongo import AsyncMongoClient

from services.counter.adapters.records import inbox_document, pack, pack_views
from services.counter.adapters.store import Collections
from services.counter.fold import Folder
from services.counter.fold import plan as plan_module
from shared.contracts.events import PageView, encode
from shared.platform.bus import Bus
from shared.platform.db import Document
from shared.platform.quarantine import Quarantine
from tests.counter_support import (
    assert_exact,
    counter_env,
    expected_figures,
    make_batches,
    running_counter,
)
from tests.support import eventually

pytestmark = pytest.mark.integration

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


class AlwaysHeld:
    async def held(self) -> bool:
        return True

    async def check(self) -> None:
        pass


async def test_a_view_with_a_nul_in_its_article_id_is_parked_and_later_views_count(
    bus: Bus,
    exchange: str,
    db_name: str,
    tmp_path: Path,
    http: aiohttp.ClientSession,
    amqp: aio_pika.abc.AbstractRobustConnection,
) -> None:
    env = counter_env(exchange, db_name)
    async with running_counter(http, env, tmp_path / "counter.log") as service:
        good = make_batches(4, 50, visitors=30, seed=21)
        poisoned = json.loads(encode(good[0]))
        poisoned["event_id"] = str(uuid.uuid4())
        poisoned["data"]["views"][0]["article_id"] = "x\u0000y"
        channel = await amqp.channel(publisher_confirms=True)
        target = await channel.get_exchange(exchange)
        await bus.publish(good[0])
        await target.publish(
            aio_pika.Message(json.dumps(poisoned).encode(), type="page.viewed"), "page.viewed"
        )
        for batch in good[1:]:
            await bus.publish(batch)
        await assert_exact(http, service.url, expected_figures(good))

        dead = await channel.declare_queue(f"{exchange}.counter.dead", passive=True)
        parked = await eventually(lambda: dead.get(fail=False), what="the parked message")
        assert parked is not None
        assert "article_id" in str(parked.headers["x-dead-reason"])
        await parked.ack()
        await channel.close()


def make_folder(collections: Collections) -> Folder:
    return Folder(
        collections,
        Quarantine(collections.db),
        cast(Any, AlwaysHeld()),
        ZONE,
        visit_timeout=timedelta(minutes=30),
        online_window=timedelta(minutes=5),
        max_views=1000,
        idle_seconds=0.02,
    )


def views(count: int, seed: str, at: datetime | None = None) -> list[PageView]:
    moment = at or datetime.now(UTC)
    return [
        PageView(visitor=f"visitor-{seed}-{n:08d}", path="/", article_id="a1", viewed_at=moment)
        for n in range(count)
    ]


@pytest.fixture
async def collections(mongo: AsyncMongoClient[Document], db_name: str) -> Collections:
    return Collections(mongo[db_name])


@pytest.fixture
async def folding(collections: Collections) -> AsyncIterator[Folder]:
    """The folder's own loop, as the service runs it, until the test ends."""
    folder = make_folder(collections)
    task = asyncio.create_task(folder.run())
    yield folder
    folder.stop()
    await asyncio.wait_for(task, timeout=10)


async def total_views(collections: Collections) -> int:
    total = await collections.totals.find_one({"_id": "total"})
    return int(total.get("views", 0)) if total else 0


async def quarantined(collections: Collections, kind: str) -> list[Document]:
    return await Quarantine(collections.db).find(kind)


async def test_a_committed_fold_that_cannot_be_applied_is_set_aside_and_folding_goes_on(
    collections: Collections,
) -> None:
    """What an earlier version committed for the NUL beacon: the delta can never be written."""
    today = datetime.now(ZONE).date().isoformat()
    work = {
        "deltas": [
            ["totals", "total", {"views": 1}],
            ["days", today, {"views": 1, "a.x\u0000y": 1}],
        ],
        "visitors": [],
    }
    record = {"_id": 1, "at": datetime.now(UTC), "events": [], "taken": [], "work": pack(work)}
    await collections.fold_records(1).insert_one(record)
    await collections.inbox.insert_one(inbox_document([("later", pack_views(views(5, "l")))]))

    folder = make_folder(collections)
    task = asyncio.create_task(folder.run())
    try:
        # The record's good delta, and the 5 views folded after it.
        await eventually(lambda: _equals(total_views(collections), 6), what="later views")
        [item] = await quarantined(collections, "fold-delta")
        assert item["_id"] == f"fold-delta:1:days:{today}"
        assert "NULL" in item["reason"] or "null" in item["reason"].lower()
        assert json.loads(item["item"])["inc"] == {"views": 1, "a.x\u0000y": 1}
    finally:
        folder.stop()
        await asyncio.wait_for(task, timeout=10)


async def test_an_inbox_document_that_cannot_be_read_is_set_aside(
    collections: Collections, folding: Folder
) -> None:
    await collections.inbox.insert_one(inbox_document([("before", pack_views(views(3, "b")))]))
    await collections.inbox.insert_one({"_id": "corrupt", "n": 1, "p": Binary(b"[not json")})
    await collections.inbox.insert_one(inbox_document([("after", pack_views(views(4, "a")))]))
    await eventually(
        lambda: _equals(total_views(collections), 7), what="the views around the corrupt one"
    )
    [item] = await eventually(lambda: quarantined(collections, "inbox"), what="quarantine")
    assert item["_id"] == "inbox:corrupt"
    await eventually(lambda: _equals(collections.inbox.count_documents({}), 0), what="cleaned")


async def test_a_view_at_a_time_with_no_local_day_is_set_aside_with_its_message_only(
    collections: Collections, folding: Folder
) -> None:
    """9999-12-31 23:00 UTC is valid on the wire, and has no local day in UTC+7."""
    end_of_time = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
    document = inbox_document(
        [
            ("fine", pack_views(views(3, "f"))),
            ("far", pack_views(views(1, "x", at=end_of_time))),
            ("fine-too", pack_views(views(2, "g"))),
        ]
    )
    await collections.inbox.insert_one(document)
    await eventually(lambda: _equals(total_views(collections), 5), what="the other messages")
    [item] = await eventually(lambda: quarantined(collections, "fold-message"), what="it")
    assert item["_id"] == "fold-message:far"


async def test_a_batch_that_fails_every_time_is_narrowed_to_the_document_that_fails(
    collections: Collections, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure nobody foresaw (here injected into the fold's arithmetic for one visitor)
    is narrowed down to one inbox document, which is set aside; every other is counted."""
    fold_views = plan_module.fold_views  # type: ignore[attr-defined]

    def failing_for_the_poison(batch: list[Any], *args: Any) -> Any:
        if any(view.visitor.startswith("visitor-poison") for view in batch):
            raise ValueError("a failure nobody foresaw")
        return fold_views(batch, *args)

    monkeypatch.setattr(plan_module, "fold_views", failing_for_the_poison)
    for n, seed in enumerate(("one", "two", "poison", "three", "four")):
        message = (f"message-{n}", pack_views(views(n + 1, seed)))
        await collections.inbox.insert_one(inbox_document([message]))
    folder = make_folder(collections)
    task = asyncio.create_task(folder.run())
    try:
        await eventually(
            lambda: _equals(total_views(collections), 1 + 2 + 4 + 5),
            what="every view but the poison document's",
        )
        [item] = await eventually(lambda: quarantined(collections, "inbox"), what="poison")
        assert "a failure nobody foresaw" in item["reason"]
        await eventually(
            lambda: _equals(collections.inbox.count_documents({}), 0), what="an empty inbox"
        )
    finally:
        folder.stop()
        await asyncio.wait_for(task, timeout=10)


async def _equals(value: Any, expected: int) -> bool:
    return bool(await value == expected)


async def test_a_view_sent_twice_is_counted_once_even_by_a_new_fold_holder(
    collections: Collections,
) -> None:
    """The gateway resends a beacon whose replica reset the connection: same view id."""
    now = datetime.now(UTC)

    def resent(seed: str, view_id: str) -> list[PageView]:
        view = PageView(
            visitor=f"visitor-{seed}-00000000", path="/", viewed_at=now, view_id=view_id
        )
        return [view]

    await collections.inbox.insert_one(
        inbox_document(
            [
                ("first-try", pack_views(resent("a", "req-1"))),
                ("second-try", pack_views(resent("b", "req-1"))),  # another replica, same id
                ("other", pack_views(resent("c", "req-2"))),
            ]
        )
    )
    first = make_folder(collections)
    await first._recover()
    while await first.fold_once():
        pass
    assert await total_views(collections) == 2
    # The second copy of req-2 comes later, to a new holder: it remembers from the records.
    await collections.inbox.insert_one(
        inbox_document([("third-try", pack_views(resent("d", "req-2")))])
    )
    second = make_folder(collections)
    await second._recover()
    while await second.fold_once():
        pass
    assert await total_views(collections) == 2
    assert await collections.inbox.count_documents({}) == 0
