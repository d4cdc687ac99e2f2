"""The site's identity as every replica serves it: the newest saved revision, else the
defaults from the environment (revision 0).

A change is saved as the next revision, then announced as `site.updated`: content's other
replicas read it at once, the notifier keeps it for its emails. Every replica also reads the
newest revision every few seconds, so a change shows everywhere within that even if an
announcement was lost, and sends any revision not yet announced (a replica that died between
saving and announcing leaves one), and at start the newest again, for a notifier that was
not listening when it was made.
"""

import asyncio
import contextlib

import structlog

from services.content.adapters.site import SiteStore
from shared.contracts.errors import Conflict
from shared.contracts.events import new_envelope
from shared.contracts.site import SiteIdentity, SiteUpdated
from shared.platform.bus import Bus, PublishFailed

log = structlog.get_logger(__name__)

PRODUCER = "content"


class SiteIdentityKeeper:
    def __init__(
        self, store: SiteStore, defaults: SiteIdentity, bus: Bus | None, poll_seconds: float
    ) -> None:
        self._store = store
        self._bus = bus
        self._poll = poll_seconds
        self.current = defaults
        self.revision = 0

    async def refresh(self) -> None:
        """Serve the newest saved revision (never an older one than served now)."""
        latest = await self._store.latest()
        if latest is None:
            return
        revision, identity, announced = latest
        if revision > self.revision:
            self.revision, self.current = revision, identity
            log.info("site.identity", revision=revision)
        if not announced:
            await self._announce(revision, identity)

    async def update(self, identity: SiteIdentity, expected: int | None, by: str) -> int:
        """Save `identity` as the next revision; Conflict if `expected` is not the newest
        (or another administrator saved first)."""
        await self.refresh()
        if expected is not None and expected != self.revision:
            raise Conflict(f"revision {expected} is stale; the site is at {self.revision}")
        revision = self.revision + 1
        if not await self._store.add(revision, identity, by):
            raise Conflict("the site was changed meanwhile; reload it and try again")
        self.revision, self.current = revision, identity
        await self._announce(revision, identity)
        return revision

    async def run(self) -> None:
        """Announce the newest revision once at start, then keep reading it."""
        if self.revision:
            await self._announce(self.revision, self.current)
        while True:
            await asyncio.sleep(self._poll)
            with contextlib.suppress(Exception):  # the database is away: serve what we have
                await self.refresh()

    async def _announce(self, revision: int, identity: SiteIdentity) -> None:
        if self._bus is None:
            return
        event = SiteUpdated(revision=revision, identity=identity)
        try:
            await self._bus.publish(new_envelope(event, PRODUCER))
        except PublishFailed as error:  # left unannounced: the next read sends it
            log.warning("site.announce_failed", revision=revision, error=str(error))
            return
        await self._store.mark_announced(revision)
