"""An append-only log of revisions of one small setting (the site's identity, the sections):
each revision a document with `_id` = its number, written only by unique inserts, so two
writers cannot both make revision n+1 (FerretDB has no compare-and-set update). The newest
is in force; the others are its history. A revision holds the value's fields and any notes
beside them (who saved it, whether it was announced)."""

from typing import Any, Generic, TypeVar

import structlog
from pydantic import BaseModel, ValidationError
from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection

from shared.platform.db import Document
from shared.platform.storage.writes import insert_or_ignore

log = structlog.get_logger(__name__)

M = TypeVar("M", bound=BaseModel)


class Revisions(Generic[M]):
    def __init__(self, collection: AsyncCollection[Document], model: type[M]) -> None:
        self.collection = collection
        self._model = model

    async def add(self, revision: int, value: M, **notes: Any) -> bool:
        """Write `revision`; False if it exists already (someone else wrote it first)."""
        document = {**value.model_dump(), **notes, "_id": revision}
        return await insert_or_ignore(self.collection, document)

    async def latest(self) -> tuple[int, M, Document] | None:
        """The newest revision, its value and its notes; None before the first, or if the
        newest cannot be read (written around the API: whatever is served now stays)."""
        async with self.collection.find({}).sort("_id", DESCENDING).limit(1) as cursor:
            async for document in cursor:
                revision = int(document.pop("_id"))
                fields = {k: v for k, v in document.items() if k in self._model.model_fields}
                notes = {k: v for k, v in document.items() if k not in fields}
                try:
                    return revision, self._model.model_validate(fields), notes
                except ValidationError as error:
                    log.error("revision.unreadable", revision=revision, error=str(error)[:300])
                    return None
        return None

    async def note(self, revision: int, notes: Document) -> None:
        """Note something about a revision (an update by `_id`: only on a small collection)."""
        await self.collection.update_one({"_id": revision}, {"$set": notes})
