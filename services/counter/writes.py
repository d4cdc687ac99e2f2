"""The counter's database writes: retried while FerretDB's SQLite is busy, fenced by the lease.

Every write here is idempotent, so running one again after a refusal is safe. A duplicate
key on a unique insert is an answer (claimed before), not an error.
"""

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, OperationFailure

from services.counter.metrics import BUSY_RETRIES
from shared.db import Document

T = TypeVar("T")
Fence = Callable[[], Awaitable[None]]

DUPLICATE_KEY = 11000


def is_busy(error: OperationFailure) -> bool:
    text = str(error)
    return "SQLITE_BUSY" in text or "database is locked" in text


async def no_fence() -> None:
    pass


async def backoff(delay: float) -> float:
    """Wait a little before the next attempt; the next delay. The lock is usually held for
    a millisecond or two (another replica's insert), so the first retries come quickly."""
    BUSY_RETRIES.inc()
    await asyncio.sleep(delay * (0.5 + random.random()))  # noqa: S311 (jitter)
    return min(delay * 2, 0.2)


async def write(
    operation: Callable[[], Awaitable[T]], fence: Fence = no_fence, attempts: int = 30
) -> T:
    """Run `operation`, again while the database is busy.

    `fence` runs before every attempt and raises if this replica may no longer write (the
    fold lease ran out, possibly while it waited here).
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


async def insert_new(
    collection: AsyncCollection[Document], documents: list[Document], fence: Fence = no_fence
) -> set[str]:
    """Insert each document unless its `_id` is there already; return those `_id`s."""
    try:
        await write(lambda: collection.insert_many(documents, ordered=False), fence)
    except BulkWriteError as error:
        errors = error.details.get("writeErrors", [])
        if any(item.get("code") != DUPLICATE_KEY for item in errors):
            raise
        return {str(documents[item["index"]]["_id"]) for item in errors}
    return set()
