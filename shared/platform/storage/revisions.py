"""An append-only log of revisions of one small thing (the site's identity): each revision a
document with `_id` = its number, written only by unique inserts, so two writers cannot
both make revision n+1 (FerretDB has no compare-and-set update). The newest is in force;
the others are its history."""

from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection

from shared.platform.db import Document
from shared.platform.storage.writes import insert_or_ignore


class Revisions:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.collection = collection

    async def add(self, revision: int, fields: Document) -> bool:
        """Write `revision`; False if it exists already (someone else wrote it first)."""
        return await insert_or_ignore(self.collection, {**fields, "_id": revision})

    async def latest(self) -> tuple[int, Document] | None:
        """The newest revision and its fields (without `_id`); None before the first."""
        async with self.collection.find({}).sort("_id", DESCENDING).limit(1) as cursor:
            async for document in cursor:
                revision = int(document.pop("_id"))
                return revision, document
        return None

    async def mark(self, revision: int, fields: Document) -> None:
        """Note something about a revision (an update by `_id`: only on a small collection)."""
        await self.collection.update_one({"_id": revision}, {"$set": fields})
