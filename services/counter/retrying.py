"""Retry a database write that FerretDB's SQLite backend refused because another held the lock."""

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pymongo.errors import BulkWriteError, OperationFailure

from services.counter.metrics import BUSY_RETRIES

T = TypeVar("T")


def is_busy(error: OperationFailure) -> bool:
    text = str(error)
    return "SQLITE_BUSY" in text or "database is locked" in text


async def write(operation: Callable[[], Awaitable[T]], attempts: int = 30) -> T:
    """Run `operation`, again while the database is busy (every caller's write is idempotent).

    The lock is usually held for a millisecond or two (another replica's insert), so the
    first retries come quickly.
    """
    delay = 0.001
    for _ in range(attempts - 1):
        try:
            return await operation()
        except BulkWriteError:
            raise
        except OperationFailure as error:
            if not is_busy(error):
                raise
        BUSY_RETRIES.inc()
        await asyncio.sleep(delay * (0.5 + random.random()))  # noqa: S311 (jitter)
        delay = min(delay * 2, 0.2)
    return await operation()
