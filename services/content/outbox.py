"""The outbox relay: sends the events queued inside article documents until the broker confirms."""

import asyncio
import contextlib

import structlog

from services.content.store import ArticleStore
from shared.bus import Bus, PublishFailed

log = structlog.get_logger(__name__)


class OutboxRelay:
    def __init__(self, store: ArticleStore, bus: Bus, poll_seconds: float) -> None:
        self._store = store
        self._bus = bus
        self._poll_seconds = poll_seconds
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Called after a write that queued an event, so it leaves now rather than at the poll."""
        self._wake.set()

    async def run(self) -> None:
        backoff = 0.1
        while True:
            try:
                await self.drain()
                backoff = 0.1
                timeout = self._poll_seconds
            except PublishFailed as error:
                log.warning("outbox.publish_failed", error=str(error), retry_in=backoff)
                timeout, backoff = backoff, min(backoff * 2, 5.0)
            except Exception:
                log.exception("outbox.drain_failed", retry_in=backoff)
                timeout, backoff = backoff, min(backoff * 2, 5.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
            self._wake.clear()

    async def drain(self) -> int:
        """Publish every pending event once; remove each only after its confirm. Returns sent."""
        sent = 0
        # Replicas may both send an entry; consumers drop the duplicate by event_id.
        for article in await self._store.with_pending_events():
            for entry in list(article.get("outbox", [])):
                # Sent as stored: the same bytes and event_id on every retry, by any replica.
                await self._bus.publish_encoded(
                    entry["type"], entry["event_id"], entry["body"].encode()
                )
                await self._store.mark_sent(str(article["_id"]), entry)
                log.info("outbox.sent", event_id=entry["event_id"], event_type=entry["type"])
                sent += 1
        return sent
