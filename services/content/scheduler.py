"""Publishes scheduled articles when their time comes, once, whichever replica is first."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import structlog

from services.content.metrics import SCHEDULED_PUBLISHED
from services.content.schedule import ScheduleBook
from services.content.store import ArticleStore
from services.content.workflow import Workflow
from shared.contracts.errors import Conflict
from shared.platform.db import Document

log = structlog.get_logger(__name__)

Changed = Callable[[str], Awaitable[None]]


class Scheduler:
    def __init__(
        self,
        store: ArticleStore,
        book: ScheduleBook,
        workflow: Workflow,
        poll_seconds: float,
        repair_seconds: float = 30.0,
        on_change: Changed | None = None,
    ) -> None:
        self._store = store
        self._book = book
        self._workflow = workflow
        self._poll = poll_seconds
        self._repair_seconds = repair_seconds
        self._on_change = on_change
        self.fired = 0  # publications this replica made

    async def repair(self) -> None:
        """Make every scheduled article's booking agree with it. A booking can be lost or
        left wrong by a crash between booking and writing the article, or by a re-time
        racing a firing; this scan of the articles (the truth) puts it right."""
        bookings = await self._book.all()
        for article in await self._store.scheduled():
            article_id, publish_at = str(article["_id"]), article.get("publish_at")
            if publish_at is not None and bookings.get(article_id) != publish_at:
                log.warning("scheduler.rebooked", article_id=article_id)
                await self._book.book(article_id, publish_at)

    async def run(self) -> None:
        # Catch-up: the first repair and tick run at start, so what fell due while every
        # replica was down goes out now.
        repaired_at = float("-inf")
        while True:
            try:
                if time.monotonic() - repaired_at >= self._repair_seconds:
                    await self.repair()
                    repaired_at = time.monotonic()
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
            article_id = str(booking["_id"])
            if await self._fire(booking, now):
                published.append(article_id)
                self.fired += 1
                SCHEDULED_PUBLISHED.inc()
                log.info("scheduler.published", article_id=article_id)
                if self._on_change is not None:
                    await self._on_change(article_id)
        return published

    async def _fire(self, booking: Document, now: datetime) -> bool:
        """Publish the booked article if the article itself says it is due; otherwise
        correct the booking (re-timed later) or drop it (published, cancelled)."""
        article_id = str(booking["_id"])
        for _ in range(3):
            article = await self._store.find(article_id)
            if article is None or article["status"] != "scheduled":
                await self._book.cancel(booking)
                return False
            if article["publish_at"] > now:
                await self._book.book(article_id, article["publish_at"])
                return False
            try:
                await self._workflow.publish_scheduled(article)
            except Conflict:
                continue  # edited between our read and our write: read it again
            await self._book.cancel(booking)
            return True
        # Still claimed for this lease period; the next attempt comes after it.
        raise Conflict(f"article {article_id} kept changing while being published")
