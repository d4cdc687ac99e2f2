"""A setting content owns and announces (the site's identity, the sections), as every
replica serves it: the newest saved revision, else the defaults (revision 0).

A change is saved as the next revision, then announced: content's other replicas read it at
once, the notifier keeps its own copy. Every replica also reads the newest revision every
few seconds, so a change shows everywhere within that even if an announcement was lost;
sends any revision not yet announced (a replica that died between saving and announcing
leaves one); and at start announces the newest again, for a notifier that was not
listening when it was made.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Generic, TypeVar

import structlog
from pydantic import BaseModel

from shared.contracts.errors import Conflict
from shared.contracts.events import EventData, new_envelope
from shared.platform.bus import Bus, PublishFailed
from shared.platform.storage.revisions import Revisions

log = structlog.get_logger(__name__)

M = TypeVar("M", bound=BaseModel)
PRODUCER = "content"


class Announced(Generic[M]):
    def __init__(
        self,
        revisions: Revisions[M],
        defaults: M,
        event: Callable[[int, M], EventData],
        bus: Bus | None,
        poll_seconds: float,
    ) -> None:
        self._revisions = revisions
        self._event = event
        self._bus = bus
        self._poll = poll_seconds
        self._on_change: Callable[[], Awaitable[None]] | None = None
        self.current = defaults
        self.revision = 0

    def on_change(self, effect: Callable[[], Awaitable[None]]) -> None:
        """Run `effect` whenever a newer revision is served (after the first reads)."""
        self._on_change = effect

    async def refresh(self) -> None:
        """Serve the newest saved revision (never an older one than served now)."""
        latest = await self._revisions.latest()
        if latest is None:
            return
        revision, value, notes = latest
        if revision > self.revision:
            await self._serve(revision, value)
        if not notes.get("announced"):
            await self._announce(revision, value)

    async def save(self, value: M, expected: int | None, by: str) -> int:
        """Save `value` as the next revision; Conflict if `expected` is not the newest (or
        another administrator saved first)."""
        await self.refresh()
        if expected is not None and expected != self.revision:
            raise Conflict(f"revision {expected} is stale; it is at {self.revision}")
        revision = self.revision + 1
        saved = await self._revisions.add(
            revision, value, by=by, at=datetime.now(UTC), announced=False
        )
        if not saved:
            raise Conflict("it was changed meanwhile; read it again and retry")
        await self._serve(revision, value)
        await self._announce(revision, value)
        return revision

    async def run(self) -> None:
        """Announce the newest revision once at start, then keep reading it."""
        if self.revision:
            await self._announce(self.revision, self.current)
        while True:
            await asyncio.sleep(self._poll)
            with contextlib.suppress(Exception):  # the database is away: serve what we have
                await self.refresh()

    async def _serve(self, revision: int, value: M) -> None:
        self.revision, self.current = revision, value
        log.info("announced.serving", kind=type(value).__name__, revision=revision)
        if self._on_change is not None:
            await self._on_change()

    async def _announce(self, revision: int, value: M) -> None:
        if self._bus is None:
            return
        try:
            await self._bus.publish(new_envelope(self._event(revision, value), PRODUCER))
        except PublishFailed as error:  # left unannounced: the next read sends it
            log.warning("announced.failed", revision=revision, error=str(error))
            return
        await self._revisions.note(revision, {"announced": True})
