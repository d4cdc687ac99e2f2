"""The site's identity in MongoDB: one document per revision, written only by unique
inserts (`_id` = the revision number), so two administrators saving at once cannot both
make revision n+1; the newest is the one in force, and the others are its history."""

from datetime import UTC, datetime

import structlog
from pydantic import ValidationError
from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from shared.contracts.site import SiteIdentity
from shared.platform.db import Document
from shared.platform.storage.writes import insert_or_ignore

log = structlog.get_logger(__name__)

BOOKKEEPING = ("_id", "by", "at", "announced")


class SiteStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.revisions: AsyncCollection[Document] = db["site_identity"]

    async def latest(self) -> tuple[int, SiteIdentity, bool] | None:
        """(revision, identity, announced) of the newest revision; None before the first."""
        async with self.revisions.find({}).sort("_id", DESCENDING).limit(1) as cursor:
            async for document in cursor:
                fields = {k: v for k, v in document.items() if k not in BOOKKEEPING}
                try:
                    identity = SiteIdentity.model_validate(fields)
                except ValidationError as error:  # written around the API: keep the last good
                    log.error("site.unreadable", revision=document["_id"], error=str(error)[:300])
                    return None
                return int(document["_id"]), identity, bool(document.get("announced"))
        return None

    async def add(self, revision: int, identity: SiteIdentity, by: str) -> bool:
        """Save `revision`; False if someone saved that revision first."""
        document = {
            "_id": revision,
            **identity.model_dump(),
            "by": by,
            "at": datetime.now(UTC),
            "announced": False,
        }
        return await insert_or_ignore(self.revisions, document)

    async def mark_announced(self, revision: int) -> None:
        await self.revisions.update_one({"_id": revision}, {"$set": {"announced": True}})
