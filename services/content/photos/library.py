"""The photo library's use cases: upload, list, describe, edit, delete, read a variant."""

import asyncio
import secrets
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import structlog
from pymongo.asynchronous.database import AsyncDatabase

from services.content.photos.catalogue import PhotoCatalogue
from services.content.photos.files import GridFSFiles, PhotoFiles
from services.content.photos.model import (
    CONTENT_TYPES,
    ID_LENGTH,
    Photo,
    PhotoPage,
    PhotoUse,
    StoredFile,
    VariantRef,
    clean_name,
)
from shared.contracts.errors import Conflict, NotFound, Throttled
from shared.platform.db import Document

if TYPE_CHECKING:  # Pillow is imported with the first upload (_decode_and_resize)
    from services.content.photos.images import Encoded, Processed

log = structlog.get_logger(__name__)

# One photo decoded at a time per replica: a 40-megapixel upload holds ~300 MB while it is
# resized, and the other core keeps serving pages. Past MAX_WAITING queued uploads (each
# holds its file in memory), the next is told to come back.
PARALLEL_DECODES = 1
MAX_WAITING = 8
# Variants read from the database are kept per replica: they never change under a name.
CACHE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class PhotoText:
    caption: str = ""
    alt: str = ""


def new_photo_id() -> str:
    return secrets.token_hex(ID_LENGTH // 2)


def _stored(encoded: "Encoded") -> StoredFile:
    size = len(encoded.data)
    return StoredFile(encoded.width, encoded.height, encoded.format, size, encoded.etag)


class ByteCache:
    """The most recently read files, up to a total size."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._size = 0
        self._files: OrderedDict[str, bytes] = OrderedDict()

    def get(self, name: str) -> bytes | None:
        data = self._files.get(name)
        if data is not None:
            self._files.move_to_end(name)
        return data

    def put(self, name: str, data: bytes) -> None:
        if len(data) > self._capacity // 8 or name in self._files:
            return  # one big file must not empty the cache
        self._files[name] = data
        self._size += len(data)
        while self._size > self._capacity:
            _, dropped = self._files.popitem(last=False)
            self._size -= len(dropped)

    def drop(self, name: str) -> None:
        data = self._files.pop(name, None)
        self._size -= len(data) if data is not None else 0


class PhotoLibrary:
    def __init__(
        self, catalogue: PhotoCatalogue, files: PhotoFiles, cache_bytes: int = CACHE_BYTES
    ) -> None:
        self.catalogue = catalogue
        self.files = files
        self._cache = ByteCache(cache_bytes)
        self._decoding = asyncio.Semaphore(PARALLEL_DECODES)
        self._waiting = 0

    async def upload(self, data: bytes, name: str | None, text: PhotoText, by: str) -> Photo:
        """Decode, strip, resize and store; a refused file leaves nothing behind."""
        made = await self._process(data)
        now = datetime.now(UTC)
        photo = Photo(
            id=new_photo_id(),
            original_name=clean_name(name),
            width=made.width,
            height=made.height,
            source_format=made.source_format,
            fallback=made.fallback,
            variants=tuple(_stored(v) for v in made.variants),
            original=_stored(made.original),
            caption=text.caption,
            alt=text.alt,
            uploaded_by=by,
            # Stored to the millisecond (BSON's precision), so the list's cursor round-trips.
            uploaded_at=now.replace(microsecond=now.microsecond // 1000 * 1000),
        )
        encoded = [*made.variants, made.original]
        names = photo.files()  # in the same order: the variants, then the original
        written: list[str] = []
        try:
            for file_name, file in zip(names, encoded, strict=True):
                await self.files.put(file_name, file.data, CONTENT_TYPES[file.format])
                written.append(file_name)
            await self.catalogue.add(photo)  # last: the photo exists once it is whole
        except BaseException:
            await self._forget(written)
            raise
        log.info("photo.uploaded", photo_id=photo.id, by=by, bytes=len(data))
        return photo

    async def _process(self, data: bytes) -> "Processed":
        if self._waiting >= MAX_WAITING:
            raise Throttled("too many photos are being processed; try again in a minute")
        self._waiting += 1
        try:
            async with self._decoding:
                # In a worker thread: the event loop keeps answering while Pillow works.
                return await asyncio.to_thread(_decode_and_resize, data)
        finally:
            self._waiting -= 1

    async def _forget(self, names: list[str]) -> None:
        for name in names:
            try:
                await self.files.delete(name)
            except Exception:  # the database went away: a file without a photo stays
                log.exception("photo.cleanup_failed", file=name)

    async def get(self, photo_id: str) -> Photo:
        photo = await self.catalogue.get(photo_id)
        if photo is None:
            raise NotFound("no such photo")
        return photo

    async def uses(self, photo_id: str) -> list[PhotoUse]:
        return await self.catalogue.uses(photo_id)

    async def page(self, limit: int, cursor: str | None) -> PhotoPage:
        return await self.catalogue.page(limit, cursor)

    async def describe(self, photo_id: str, caption: str | None, alt: str | None) -> Photo:
        """Change the caption and/or the alt text (None leaves one as it is)."""
        photo = await self.get(photo_id)
        changed = replace(
            photo,
            caption=photo.caption if caption is None else caption,
            alt=photo.alt if alt is None else alt,
        )
        changes = {"caption": changed.caption, "alt": changed.alt}
        if not await self.catalogue.set_text(photo_id, changes):
            raise NotFound("no such photo")
        return changed

    async def delete(self, photo_id: str, force: bool) -> None:
        """Remove the photo and its files; 409 while an article uses it, unless forced."""
        photo = await self.get(photo_id)
        used = await self.uses(photo_id)
        if used and not force:
            details = [{"article_id": u.article_id, "title": u.title} for u in used]
            raise Conflict("the photo is used by articles; remove it there first", details)
        # The record first: from then on the photo is gone, even if a file delete fails.
        await self.catalogue.remove(photo_id)
        for name in photo.files():
            self._cache.drop(name)
            await self.files.delete(name)
        log.info("photo.deleted", photo_id=photo_id, forced=bool(used))

    async def variant(self, ref: VariantRef) -> tuple[Photo, StoredFile]:
        """The photo and the variant an address names, or NotFound."""
        photo = await self.catalogue.get(ref.photo_id)
        file = photo.variant(ref.width, ref.format) if photo else None
        if photo is None or file is None:
            raise NotFound("no such photo or size")
        return photo, file

    async def read(self, photo: Photo, file: StoredFile, original: bool = False) -> bytes:
        """A file's bytes; variants from the cache when they were read lately (an original,
        downloaded now and then, would only push them out)."""
        name = file.name(photo.id, original)
        data = self._cache.get(name)
        if data is None:
            data = await self.files.get(name)
            if data is None:
                raise NotFound("the photo was deleted")
            if not original:
                self._cache.put(name, data)
        return data


def _decode_and_resize(data: bytes) -> "Processed":
    # Pillow is imported with the first upload, not at start: a replica that never takes
    # one keeps its few megabytes (the idle-memory goal, docs/performance.md).
    from services.content.photos import images

    images.guard_decoder()
    return images.process(data)


def build_photos(db: AsyncDatabase[Document]) -> PhotoLibrary:
    """The library on the service's database: records in `photos`, files in GridFS."""
    return PhotoLibrary(PhotoCatalogue(db), GridFSFiles(db))
