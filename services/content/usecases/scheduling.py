"""Publishes scheduled articles when their time comes, once, whichever replica is first."""

import asyncio
import time
from datetime import UTC, datetime

import structlog

from services.content.adapters.schedule import Booking, ScheduleBook
from services.content.adapters.store import ArticleStore
from services.content.domain.article import Status
from services.content.metrics import SCHEDULED_PUBLISHED
from services.content.usecases.editing import Workflow

log = structlog.get_logger(__name__)
# Reads of an article that keeps changing under the scheduler before it waits for the
# next attempt (a lease period later).
READS = 3


class Scheduler:
    def __init__(
        self,
        store: ArticleStore,
        book: ScheduleBook,
        workflow: Workflow,
        poll_seconds: float,
        repair_seconds: float = 30.0,
    ) -> None:
        self._store = store
        self._book = book
        self._workflow = workflow
        self._poll = poll_seconds
        self._repair_seconds = repair_seconds
        self.fired = 0  # publications this replica made

    async def repair(self) -> None:
        """Make every scheduled article's booking agree with it. A booking can be lost or
        left wrong by a crash between booking and writing the article, or by a re-time
        racing a firing; this scan of the articles (the truth) puts it right."""
        bookings = await self._book.all()
        for article in await self._store.scheduled():
            if article.publish_at is not None and bookings.get(article.id) != article.publish_at:
                log.warning("scheduler.rebooked", article_id=article.id)
                await self._book.book(article.id, article.publish_at)

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
            if not await self._book.claim(booking):
                continue  # another replica fires this one
            article_id = booking.article_id
            if await self._fire(booking, now):
                published.append(article_id)
                self.fired += 1
                SCHEDULED_PUBLISHED.inc()
                log.info("scheduler.published", article_id=article_id)
        return published

    async def _fire(self, booking: Booking, now: datetime) -> bool:
        """Publish the booked article if the article itself says it is due; otherwise
        correct the booking (re-timed later) or drop it (published, cancelled)."""
        article_id = booking.article_id
        for _ in range(READS):
            article = await self._store.find(article_id)
            if article is None or article.status is not Status.SCHEDULED:
                await self._book.cancel(booking)
                return False
            if article.publish_at is not None and article.publish_at > now:
                await self._book.book(article_id, article.publish_at)
                return False
            if await self._workflow.publish_scheduled(article) is not None:
                await self._book.cancel(booking)
                return True
            # Edited between our read and our write: read it again.
        # Still claimed for this lease period; the next attempt comes after it.
        log.warning("scheduler.kept_changing", article_id=article_id)
        return False
