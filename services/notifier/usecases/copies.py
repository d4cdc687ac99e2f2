"""What content owns and announces, as the notifier keeps it: the site's identity (for its
emails) and the sections (for the sign-up and preference pages, and for routing emails).

Each announcement is kept as a revision (one replica takes each event; a revision heard
twice is kept once, an older one heard late changes nothing), and every replica serves the
newest, read again every few seconds. Until the first is heard: the defaults (the
environment's SITE_*, the starter sections), as content's.
"""

import asyncio
import contextlib
from typing import Generic, TypeVar

import structlog
from pydantic import BaseModel
from pymongo.asynchronous.database import AsyncDatabase

from shared.platform.db import Document
from shared.platform.storage.revisions import Revisions

log = structlog.get_logger(__name__)

M = TypeVar("M", bound=BaseModel)


class AnnouncedCopy(Generic[M]):
    def __init__(
        self,
        db: AsyncDatabase[Document],
        collection: str,
        model: type[M],
        defaults: M,
        poll_seconds: float = 5.0,
    ) -> None:
        self._revisions = Revisions(db[collection], model)
        self._kind = model.__name__
        self._poll = poll_seconds
        self.current = defaults
        self.revision = 0

    async def keep(self, revision: int, value: M) -> None:
        """An announcement: keep it, then serve the newest."""
        await self._revisions.add(revision, value)
        await self.refresh()

    async def refresh(self) -> None:
        # None also for a newest revision that cannot be read: the last good one stays.
        found = await self._revisions.latest()
        if found is None or found[0] <= self.revision:
            return
        self.revision, self.current, _ = found
        log.info("copy.serving", kind=self._kind, revision=self.revision)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._poll)
            with contextlib.suppress(Exception):  # the database is away: serve what we have
                await self.refresh()
