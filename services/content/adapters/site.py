"""The site's identity in MongoDB: a log of revisions (shared/platform/storage/revisions.py),
so two administrators saving at once cannot both make revision n+1; the newest is in force,
and the others are its history, with who saved each and when."""

from datetime import UTC, datetime

import structlog
from pydantic import ValidationError
from pymongo.asynchronous.database import AsyncDatabase

from shared.contracts.site import SiteIdentity
from shared.platform.db import Document
from shared.platform.storage.revisions import Revisions

log = structlog.get_logger(__name__)

BOOKKEEPING = ("by", "at", "announced")


class SiteStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.revisions = Revisions(db["site_identity"])

    async def latest(self) -> tuple[int, SiteIdentity, bool] | None:
        """(revision, identity, announced) of the newest revision; None before the first."""
        found = await self.revisions.latest()
        if found is None:
            return None
        revision, document = found
        fields = {k: v for k, v in document.items() if k not in BOOKKEEPING}
        try:
            identity = SiteIdentity.model_validate(fields)
        except ValidationError as error:  # written around the API: serve the one before
            log.error("site.unreadable", revision=revision, error=str(error)[:300])
            return None
        return revision, identity, bool(document.get("announced"))

    async def add(self, revision: int, identity: SiteIdentity, by: str) -> bool:
        """Save `revision`; False if someone saved that revision first."""
        fields = {**identity.model_dump(), "by": by, "at": datetime.now(UTC), "announced": False}
        return await self.revisions.add(revision, fields)

    async def mark_announced(self, revision: int) -> None:
        await self.revisions.mark(revision, {"announced": True})
