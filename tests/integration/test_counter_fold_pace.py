"""Under load the folder starts a fold at most every `interval_seconds`: each fold costs a
dozen database round trips whatever its size, so a backlog is folded in few, large folds
rather than many small ones. After a quiet moment the next fold starts at once."""

import asyncio
import itertools
import time
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from pymongo import AsyncMongoClient

from services.counter.adapters.records import inbox_document, pack_views
from services.counter.adapters.store import Collections
from services.counter.fold import Folder
from shared.contracts.events import PageView
from shared.platform.db import Document
from shared.platform.quarantine import Quarantine
from tests.support import eventually

pytestmark = pytest.mark.integration

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
INTERVAL = 1.0


class AlwaysHeld:
    async def held(self) -> bool:
        return True

    async def check(self) -> None:
        pass


async def test_a_backlog_is_folded_at_the_set_pace_and_a_lone_view_at_once(
    mongo: AsyncMongoClient[Document], db_name: str
) -> None:
    collections = Collections(mongo[db_name])
    now = datetime.now(UTC)
    for m in range(4):  # a backlog of four folds' worth (max_views below)
        views = [PageView(visitor=f"visitor-{i:04d}-abcdefgh", path="/", viewed_at=now)
                 for i in range(100)]  # fmt: skip
        await collections.inbox.insert_one(inbox_document([(f"event-{m}", pack_views(views))]))
    folder = Folder(
        collections,
        Quarantine(collections.db),
        cast(Any, AlwaysHeld()),
        ZONE,
        visit_timeout=timedelta(minutes=30),
        online_window=timedelta(minutes=5),
        max_views=100,  # one inbox document per fold
        idle_seconds=0.02,
        interval_seconds=INTERVAL,
    )
    starts: list[float] = []
    fold_once = folder.fold_once

    async def timed_fold() -> int:
        started = time.monotonic()
        taken = await fold_once()
        if taken:
            starts.append(started)
        return taken

    folder.fold_once = timed_fold  # type: ignore[method-assign]
    running = asyncio.create_task(folder.run())
    try:
        await eventually(lambda: len(starts) == 4, timeout=30, what="the backlog, folded")
        gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
        # A slower machine only makes the gaps longer; without the pace they are milliseconds.
        assert min(gaps) >= INTERVAL * 0.95, gaps

        # Quiet for longer than the interval: a new view is folded without waiting for it.
        await asyncio.sleep(INTERVAL)
        lone = [PageView(visitor="visitor-lone-abcdefgh", path="/", viewed_at=now)]
        await collections.inbox.insert_one(inbox_document([("event-lone", pack_views(lone))]))
        stored = time.monotonic()
        await eventually(lambda: len(starts) == 5, timeout=30, what="the lone view, folded")
        assert starts[4] - stored < INTERVAL, starts[4] - stored
    finally:
        folder.stop()
        await running
    total = await collections.totals.find_one({"_id": "total"})
    assert total is not None and total["views"] == 401
