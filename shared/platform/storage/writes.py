"""Insert-or-ignore, a race-tolerant upsert, and writes retried while SQLite is busy."""

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

from shared.platform.db import Document
from shared.platform.metrics import BUSY_RETRIES

T = TypeVar("T")
# Runs before each attempt of a write and raises if the caller may no longer write (its
# single-writer lease ran out, maybe while it waited for the database).
Fence = Callable[[], Awaitable[None]]

DUPLICATE_KEY = 11000


async def no_fence() -> None:
    pass


def is_busy(error: OperationFailure) -> bool:
    """FerretDB's SQLite refused the write because another writer held its lock."""
    text = str(error)
    return "SQLITE_BUSY" in text or "database is locked" in text


async def backoff(delay: float) -> float:
    """Wait a little before the next attempt; the next delay. The lock is usually held for
    a millisecond or two (another replica's insert), so the first retries come quickly."""
    BUSY_RETRIES.inc()
    await asyncio.sleep(delay * (0.5 + random.random()))  # noqa: S311 (jitter)
    return min(delay * 2, 0.2)


async def write(
    operation: Callable[[], Awaitable[T]], fence: Fence = no_fence, attempts: int = 30
) -> T:
    """Run `operation`, again while the database is busy, `fence` before every attempt.

    The operation must be idempotent (every write of these services is): a busy refusal
    may come after it took effect.
    """
    delay = 0.001
    for _ in range(attempts - 1):
        await fence()
        try:
            return await operation()
        except BulkWriteError:
            raise
        except OperationFailure as error:
            if not is_busy(error):
                raise
        delay = await backoff(delay)
    await fence()
    return await operation()


async def insert_or_ignore(
    collection: AsyncCollection[Document], document: Document, fence: Fence = no_fence
) -> bool:
    """Insert `document`; False if its `_id` is there already (the earlier insert decided)."""
    try:
        await write(lambda: collection.insert_one(document), fence)
    except DuplicateKeyError:
        return False
    return True


async def insert_many_or_ignore(
    collection: AsyncCollection[Document], documents: list[Document], fence: Fence = no_fence
) -> set[str]:
    """Insert each document unless its `_id` is there already; return those `_id`s."""
    if not documents:
        return set()
    try:
        await write(lambda: collection.insert_many(documents, ordered=False), fence)
    except BulkWriteError as error:
        errors = error.details.get("writeErrors", [])
        if any(item.get("code") != DUPLICATE_KEY for item in errors):
            raise
        return {str(documents[item["index"]]["_id"]) for item in errors}
    return set()


async def upsert(
    collection: AsyncCollection[Document], key: Document, update: dict[str, Any]
) -> None:
    """An upsert that tolerates a racing insert of the same `_id`: MongoDB retries that race
    itself; FerretDB raises DuplicateKeyError, and then the document exists, so the update
    is applied to it. Only for documents with a single writer, or a `$setOnInsert`."""
    try:
        await write(lambda: collection.update_one(key, update, upsert=True))
    except DuplicateKeyError:
        await write(lambda: collection.update_one(key, update))
