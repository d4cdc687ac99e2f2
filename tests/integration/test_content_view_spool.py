"""The view spool on the real database and broker: what was kept is sent once, unchanged."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from services.content.adapters.beacons import encode_page_viewed, page_view
from services.content.adapters.view_spool import ORPHAN_SECONDS, REFUSALS, ViewSpool
from shared.platform.bus import Bus
from shared.platform.db import Document
from shared.platform.quarantine import Quarantine
from tests.content_support import Probe, drop_topology
from tests.support import eventually

pytestmark = pytest.mark.integration


def message(n: int) -> tuple[str, bytes]:
    event_id = uuid.uuid4()
    view = page_view(
        visitor="v" * 32,
        path=f"/p/{n}",
        article_id=None,
        referrer_host=None,
        is_bot=False,
        agent_family="Chrome",
        viewed_at=datetime.now(UTC),
    )
    return str(event_id), encode_page_viewed([view], event_id)


async def test_kept_messages_are_sent_unchanged_and_forgotten(
    bus: Bus, amqp: Any, exchange: str, mongo: AsyncMongoClient[Document], db_name: str
) -> None:
    probe = await Probe.bind(amqp, exchange, "page.viewed")
    db = mongo[db_name]
    spool = ViewSpool(db, bus, Quarantine(db), poll_seconds=1)
    kept = dict(message(n) for n in range(230))
    for event_id, body in kept.items():
        await spool.keep(event_id, body)
    # And one a replica that died left behind (another replica's, older than the orphan wait).
    orphan_id, orphan = message(999)
    left_at = datetime.now(UTC) - timedelta(seconds=ORPHAN_SECONDS + 1)
    await db["view_spool"].insert_one(
        {"_id": orphan_id, "body": orphan, "by": "dead:1", "at": left_at}
    )
    assert await spool.send() == 231
    assert await db["view_spool"].count_documents({}) == 0

    async def all_arrived() -> list[dict[str, Any]]:
        found = await probe.drain()
        return found if len(found) >= 231 else []

    arrived = await eventually(all_arrived, what="every kept message")
    assert sorted(m["event_id"] for m in arrived) == sorted([*kept, orphan_id])
    sent = {m["event_id"]: m for m in arrived}
    assert sent[orphan_id] == json.loads(orphan)  # the very message kept
    await drop_topology(amqp, exchange)


async def test_a_message_the_broker_keeps_refusing_is_set_aside(
    bus: Bus, mongo: AsyncMongoClient[Document], db_name: str
) -> None:
    db = mongo[db_name]  # nothing is bound to page.viewed on this exchange: each is returned
    spool = ViewSpool(db, bus, Quarantine(db), poll_seconds=1)
    event_id, body = message(1)
    await spool.keep(event_id, body)
    for _ in range(REFUSALS):
        await spool.send()
    assert await db["view_spool"].count_documents({}) == 0
    [item] = await Quarantine(db).find("view-spool")
    assert item["_id"] == f"view-spool:{event_id}"
