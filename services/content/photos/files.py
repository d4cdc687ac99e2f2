"""Where photo files live: a small interface, and a GridFS bucket that reads by `_id`.

The bucket is standard GridFS (`photos.files` and `photos.chunks`, with the fields the
GridFS spec names), so `mongofiles` or any driver's GridFS bucket reads it. Only the
chunks' `_id`s differ from what a driver picks: `<file id>#<n>` instead of a fresh
ObjectId. That is what makes it fast on FerretDB: its SQLite backend uses an index for an
exact `_id` match and for nothing else, so a driver's read (`find({"files_id": …})
.sort("n")`) scans every chunk in the bucket, and got slower with every photo stored
(docs/photos.md has the measurement). Reading by `_id` costs the same at any size.
"""

import math
from datetime import UTC, datetime
from typing import Protocol

from bson import Binary
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from shared.platform.db import Document

BUCKET = "photos"
# 1 MiB: most variants are one chunk, one read; the largest original is 20 reads.
CHUNK_BYTES = 1024 * 1024


class PhotoFiles(Protocol):
    """Whole files by name: written once, read many times, deleted together."""

    async def put(self, name: str, data: bytes, content_type: str) -> None: ...

    async def get(self, name: str) -> bytes | None: ...

    async def delete(self, name: str) -> None: ...


def chunk_id(name: str, n: int) -> str:
    return f"{name}#{n}"


class GridFSFiles:
    def __init__(self, db: AsyncDatabase[Document], bucket: str = BUCKET) -> None:
        self.files: AsyncCollection[Document] = db[f"{bucket}.files"]
        self.chunks: AsyncCollection[Document] = db[f"{bucket}.chunks"]

    async def put(self, name: str, data: bytes, content_type: str) -> None:
        """Chunks first, the file document last: a file is listed only once it is whole."""
        count = math.ceil(len(data) / CHUNK_BYTES)
        if count:
            await self.chunks.insert_many(
                [
                    {
                        "_id": chunk_id(name, n),
                        "files_id": name,
                        "n": n,
                        "data": Binary(data[n * CHUNK_BYTES : (n + 1) * CHUNK_BYTES]),
                    }
                    for n in range(count)
                ]
            )
        await self.files.insert_one(
            {
                "_id": name,
                "length": len(data),
                "chunkSize": CHUNK_BYTES,
                "uploadDate": datetime.now(UTC),
                "filename": name,
                "metadata": {"contentType": content_type},
            }
        )

    async def get(self, name: str) -> bytes | None:
        found = await self.files.find_one({"_id": name})
        if found is None:
            return None
        length, size = int(found["length"]), int(found["chunkSize"])
        parts: list[bytes] = []
        for n in range(math.ceil(length / size)):
            chunk = await self.chunks.find_one({"_id": chunk_id(name, n)})
            if chunk is None:
                return None  # deleted while it was read
            parts.append(bytes(chunk["data"]))
        data = b"".join(parts)
        return data if len(data) == length else None

    async def delete(self, name: str) -> None:
        """The file document first (from then on the file is gone), then its chunks in
        order until one is missing: this also clears what a put cut short left behind."""
        await self.files.delete_one({"_id": name})
        n = 0
        while (await self.chunks.delete_one({"_id": chunk_id(name, n)})).deleted_count:
            n += 1
