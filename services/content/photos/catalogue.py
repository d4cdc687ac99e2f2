"""Photo records in MongoDB (`photos`, by server-made `_id`), mapped to `Photo` here and
nowhere else, and the articles that use a photo (read from `articles`)."""

import re
from datetime import UTC, datetime
from typing import Any

from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.content.photos.model import ID_PATTERN, Photo, PhotoPage, PhotoUse, StoredFile
from shared.contracts.errors import Invalid
from shared.platform.db import Document

USES_SHOWN = 100  # per kind of use: enough to decide, bounded for a photo on every page
_CURSOR = re.compile(rf"^([0-9]{{1,15}})-({ID_PATTERN})$")


def _file(document: Document) -> StoredFile:
    return StoredFile(
        width=int(document["width"]),
        height=int(document["height"]),
        format=document["format"],
        size=int(document["size"]),
        etag=str(document["etag"]),
    )


def _file_document(file: StoredFile) -> Document:
    return {
        "width": file.width,
        "height": file.height,
        "format": file.format,
        "size": file.size,
        "etag": file.etag,
    }


def to_document(photo: Photo) -> Document:
    return {
        "_id": photo.id,
        "original_name": photo.original_name,
        "width": photo.width,
        "height": photo.height,
        "source_format": photo.source_format,
        "fallback": photo.fallback,
        "variants": [_file_document(v) for v in photo.variants],
        "original": _file_document(photo.original),
        "caption": photo.caption,
        "alt": photo.alt,
        "uploaded_by": photo.uploaded_by,
        "uploaded_at": photo.uploaded_at,
    }


def from_document(document: Document) -> Photo:
    return Photo(
        id=str(document["_id"]),
        original_name=str(document["original_name"]),
        width=int(document["width"]),
        height=int(document["height"]),
        source_format=str(document["source_format"]),
        fallback=document["fallback"],
        variants=tuple(_file(v) for v in document["variants"]),
        original=_file(document["original"]),
        caption=str(document.get("caption", "")),
        alt=str(document.get("alt", "")),
        uploaded_by=str(document["uploaded_by"]),
        uploaded_at=document["uploaded_at"],
    )


def cursor_of(photo: Photo) -> str:
    return f"{int(photo.uploaded_at.timestamp() * 1000)}-{photo.id}"


def _after(cursor: str) -> Document:
    """The filter for the photos older than the one a cursor names (ties broken by id)."""
    found = _CURSOR.match(cursor)
    if found is None:
        raise Invalid("the cursor is not one this API gave", [{"field": "cursor"}])
    moment = datetime.fromtimestamp(int(found[1]) / 1000, UTC)
    return {
        "$or": [
            {"uploaded_at": {"$lt": moment}},
            {"uploaded_at": moment, "_id": {"$lt": found[2]}},
        ]
    }


class PhotoCatalogue:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.photos: AsyncCollection[Document] = db["photos"]
        self.articles: AsyncCollection[Document] = db["articles"]

    async def add(self, photo: Photo) -> None:
        await self.photos.insert_one(to_document(photo))

    async def get(self, photo_id: str) -> Photo | None:
        found = await self.photos.find_one({"_id": photo_id})
        return None if found is None else from_document(found)

    async def page(self, limit: int, cursor: str | None) -> PhotoPage:
        """Newest first, `limit` at a time."""
        query = _after(cursor) if cursor else {}
        found = self.photos.find(query).sort([("uploaded_at", DESCENDING), ("_id", DESCENDING)])
        documents = await found.limit(limit + 1).to_list()
        items = tuple(from_document(d) for d in documents[:limit])
        more = len(documents) > limit
        return PhotoPage(items, cursor_of(items[-1]) if more and items else None)

    async def set_text(self, photo_id: str, changes: dict[str, str]) -> bool:
        """Change caption and/or alt; False if there is no such photo."""
        result = await self.photos.update_one({"_id": photo_id}, {"$set": changes})
        return result.matched_count == 1

    async def remove(self, photo_id: str) -> bool:
        return (await self.photos.delete_one({"_id": photo_id})).deleted_count == 1

    async def uses(self, photo_id: str) -> list[PhotoUse]:
        """The articles (any state) whose cover or body shows one of the photo's variants."""
        needle = {"$regex": re.escape(f"/anh/{photo_id}/")}
        covers = await self._titles({"cover_image_url": needle})
        bodies = await self._titles({"body": needle})
        return [
            PhotoUse(
                article_id=article_id,
                title=str(document.get("title", "")),
                status=str(document.get("status", "")),
                as_cover=article_id in covers,
                in_body=article_id in bodies,
            )
            for article_id, document in {**bodies, **covers}.items()
        ]

    async def _titles(self, query: Document) -> dict[str, Any]:
        fields = {"title": 1, "status": 1}
        found = await self.articles.find(query, fields).limit(USES_SHOWN).to_list()
        return {str(d["_id"]): d for d in found}
