"""Publishes scheduled articles when their time comes, once, whichever replica is first."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import structlog

from services.content.metrics import SCHEDULED_PUBLISHED
from services.content.schedule import ScheduleBook
from services.content.store import ArticleStore
from services.content.workflow import Workflow

log = structlog.get_logger(__name__)

Changed = Callable[[str], Awaitable[None]]


class Scheduler:
    def __init__(
        self,
        store: ArticleStore,
        book: ScheduleBook,
        workflow: Workflow,
        poll_seconds: float,
        on_change: Changed | None = None,
    ) -> None:
        self._store = store
        self._book = book
        self._workflow = workflow
        self._poll = poll_seconds
        self._on_change = on_change
        self.fired = 0  # publications this replica made

    async def repair(self) -> None:
        """Book every scheduled article: a booking lost to a crash is made again."""
        for article in await self._store.scheduled():
            if article.get("publish_at") is not None:
                await self._book.ensure(
                    str(article["_id"]), int(article["revision"]), article["publish_at"]
                )

    async def run(self) -> None:
        # Catch-up: the first tick runs at start, so what fell due while down goes out now.
        await self.repair()
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("scheduler.tick_failed")
            await asyncio.sleep(self._poll)

    async def tick(self) -> list[str]:
        """Fire what is due; return the ids this replica published."""
        now = datetime.now(UTC)
        published: list[str] = []
        for booking in await self._book.due(now):
            if not await self._book.claim(booking, now):
                continue  # another replica fires this one
            article_id, revision = str(booking["_id"]), int(booking["revision"])
            fired = await self._workflow.publish_due(article_id, revision, booking["publish_at"])
            await self._book.done(booking)
            if fired:
                published.append(article_id)
                self.fired += 1
                SCHEDULED_PUBLISHED.inc()
                log.info("scheduler.published", article_id=article_id)
                if self._on_change is not None:
                    await self._on_change(article_id)
        return published
