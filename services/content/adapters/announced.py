"""Settings content owns and announces (the site's identity, the sections), stored as a log
of revisions (shared/platform/storage/revisions.py): two administrators saving at once
cannot both make revision n+1, the newest is in force, and the others are its history, with
who saved each and when."""

from datetime import UTC, datetime
from typing import Generic, TypeVar

import structlog
from pydantic import BaseModel, ValidationError
from pymongo.asynchronous.collection import AsyncCollection

from shared.platform.db import Document
from shared.platform.storage.revisions import Revisions

log = structlog.get_logger(__name__)

M = TypeVar("M", bound=BaseModel)
BOOKKEEPING = ("by", "at", "announced")
# The collections, one per setting.
SITE_IDENTITY = "site_identity"
SECTIONS = "section_catalogue"


class ModelRevisions(Generic[M]):
    def __init__(self, collection: AsyncCollection[Document], model: type[M]) -> None:
        self.revisions = Revisions(collection)
        self._model = model

    async def latest(self) -> tuple[int, M, bool] | None:
        """(revision, value, announced) of the newest revision; None before the first (or
        if it cannot be read: written around the API, the one served now stays)."""
        found = await self.revisions.latest()
        if found is None:
            return None
        revision, document = found
        fields = {k: v for k, v in document.items() if k not in BOOKKEEPING}
        try:
            value = self._model.model_validate(fields)
        except ValidationError as error:
            log.error("revision.unreadable", revision=revision, error=str(error)[:300])
            return None
        return revision, value, bool(document.get("announced"))

    async def add(self, revision: int, value: M, by: str) -> bool:
        """Save `revision`; False if someone saved that revision first."""
        fields = {**value.model_dump(), "by": by, "at": datetime.now(UTC), "announced": False}
        return await self.revisions.add(revision, fields)

    async def mark_announced(self, revision: int) -> None:
        await self.revisions.mark(revision, {"announced": True})
