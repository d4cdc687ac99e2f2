"""The site's identity as the notifier's emails show it: content owns it and announces each
change as `site.updated`; the notifier keeps every revision it hears of (one replica takes
each event) and every replica serves the newest, read again every few seconds. Until the
first one is heard, the environment's SITE_* defaults, as content's."""

import asyncio
import contextlib

import structlog
from pydantic import ValidationError
from pymongo.asynchronous.database import AsyncDatabase

from shared.contracts.events import Envelope
from shared.contracts.site import SiteIdentity, SiteUpdated
from shared.platform.db import Document
from shared.platform.storage.revisions import Revisions

log = structlog.get_logger(__name__)


class SiteCopy:
    def __init__(
        self, db: AsyncDatabase[Document], defaults: SiteIdentity, poll_seconds: float = 5.0
    ) -> None:
        self._revisions = Revisions(db["site_identity"])
        self._poll = poll_seconds
        self.current = defaults
        self.revision = 0

    async def keep(self, event: Envelope[SiteUpdated]) -> None:
        """A `site.updated` event: keep it (a revision heard twice is kept once)."""
        update = event.data
        await self._revisions.add(update.revision, update.identity.model_dump())
        await self.refresh()

    async def refresh(self) -> None:
        found = await self._revisions.latest()
        if found is None or found[0] <= self.revision:
            return
        revision, fields = found
        try:
            self.current = SiteIdentity.model_validate(fields)
        except ValidationError as error:  # not one content wrote: keep serving the last good
            log.error("site.unreadable", revision=revision, error=str(error)[:300])
            return
        self.revision = revision
        log.info("site.identity", revision=revision)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._poll)
            with contextlib.suppress(Exception):  # the database is away: serve what we have
                await self.refresh()
