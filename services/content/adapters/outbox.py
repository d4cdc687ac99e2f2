"""The outbox relay: sends the events queued inside article documents until the broker confirms.

Two ways in. A write on this replica wakes the relay with its article's id, and the relay
reads that one article by `_id` (cheap) and sends its events at once, retrying with backoff
while the broker is away. A periodic scan of every article (expensive on FerretDB, which
scans all documents for anything but an `_id` match) picks up what a replica that died
left behind; it also runs at start.

A poison entry cannot hold the others up: an entry that is not a readable event, or that
the broker refuses (not: cannot be reached) `REFUSALS` times in a row, is set aside in the
quarantine with the reason, and a failing article does not stop the others' events.
"""

import asyncio
import contextlib
import time
from collections.abc import Iterable

import structlog

from services.content.adapters.store import ArticleStore
from shared.contracts.events import UnreadableEvent, decode
from shared.platform.bus import Bus, PublishFailed
from shared.platform.db import Document
from shared.platform.quarantine import Quarantine

log = structlog.get_logger(__name__)

MIN_BACKOFF, MAX_BACKOFF = 0.1, 5.0
REFUSALS = 5  # refusals in a row that make an entry poison (about 3 s with the backoff)


class OutboxRelay:
    def __init__(
        self, store: ArticleStore, bus: Bus, quarantine: Quarantine, poll_seconds: float
    ) -> None:
        self._store = store
        self._bus = bus
        self._quarantine = quarantine
        self._refusals: dict[str, int] = {}  # event id -> refusals in a row
        self._scan_seconds = poll_seconds
        self._woken: set[str] = set()
        self._scan_now = True  # the first scan runs at start
        self._wake = asyncio.Event()

    def wake(self, article_id: str | None = None) -> None:
        """After a write that queued an event on `article_id`: send it now. Without an id,
        scan every article now."""
        if article_id is None:
            self._scan_now = True
        else:
            self._woken.add(article_id)
        self._wake.set()

    async def run(self) -> None:
        backoff = MIN_BACKOFF
        next_scan = time.monotonic()
        while True:
            self._wake.clear()  # before taking the work: a wake from now on is not missed
            woken, self._woken = self._woken, set()
            scan = self._scan_now or time.monotonic() >= next_scan
            self._scan_now = False
            try:
                await self.drain(woken)
                if scan:
                    await self.drain()
                    next_scan = time.monotonic() + self._scan_seconds
                backoff, timeout = MIN_BACKOFF, next_scan - time.monotonic()
            except Exception as error:  # broker or database away: keep it all, retry soon
                self._woken |= woken
                self._scan_now = self._scan_now or scan
                if isinstance(error, PublishFailed):
                    log.warning("outbox.publish_failed", error=str(error), retry_in=backoff)
                else:
                    log.exception("outbox.drain_failed", retry_in=backoff)
                timeout, backoff = backoff, min(backoff * 2, MAX_BACKOFF)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(timeout, 0.0))

    async def drain(self, article_ids: Iterable[str] | None = None) -> int:
        """Publish the pending events of these articles (or of all, by a scan); remove
        each only after its confirm. Returns how many were sent."""
        if article_ids is None:
            articles = await self._store.with_pending_events()
        else:
            found = [await self._store.pending_events_of(i) for i in article_ids]
            articles = [article for article in found if article is not None]
        sent = 0
        failure: PublishFailed | None = None
        for article in articles:
            try:
                sent += await self._send(article)
            except PublishFailed as error:
                if not error.refused:
                    raise  # the broker is away: every other article would fail too
                failure = error  # this article's entry was refused; the others go on
        if failure is not None:
            raise failure
        return sent

    async def _send(self, article: Document) -> int:
        # Replicas may both send an entry; consumers drop the duplicate by event_id.
        # In order: a refused entry holds back the article's later events, not others'.
        article_id, sent = str(article["_id"]), 0
        for entry in article.get("outbox", []):
            if problem := _unreadable(entry):
                await self._set_aside(article_id, entry, problem)
                continue
            try:
                # Sent as stored: the same bytes and event_id on every retry, by any replica.
                await self._bus.publish_encoded(
                    entry["type"], entry["event_id"], entry["body"].encode()
                )
            except PublishFailed as error:
                if error.refused and self._refused(entry["event_id"]) >= REFUSALS:
                    await self._set_aside(article_id, entry, str(error))
                    continue
                raise
            self._refusals.pop(entry["event_id"], None)
            await self._store.mark_sent(article_id, entry)
            sent += 1
            log.info("outbox.sent", event_id=entry["event_id"], event_type=entry["type"])
        return sent

    def _refused(self, event_id: str) -> int:
        self._refusals[event_id] = self._refusals.get(event_id, 0) + 1
        return self._refusals[event_id]

    async def _set_aside(self, article_id: str, entry: Document, reason: str) -> None:
        """Quarantine the entry, then take it out of the article's outbox."""
        key = f"{article_id}:{entry.get('event_id', '?')}"
        await self._quarantine.put("outbox", key, {"article_id": article_id, **entry}, reason)
        await self._store.mark_sent(article_id, entry)
        self._refusals.pop(str(entry.get("event_id")), None)


def _unreadable(entry: Document) -> str | None:
    """Why an outbox entry is not an event that can be sent, or None if it is one."""
    if not all(isinstance(entry.get(name), str) for name in ("event_id", "type", "body")):
        return "not an outbox entry: event_id, type and body must be text"
    try:
        envelope = decode(entry["body"].encode())
    except UnreadableEvent as error:
        return str(error)
    if envelope.type != entry["type"] or str(envelope.event_id) != entry["event_id"]:
        return "the entry's type or event id differs from its envelope's"
    return None
