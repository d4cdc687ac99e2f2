"""A small per-replica cache whose entries live a second: concurrent readers share one load."""

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class TtlCache(Generic[T]):
    def __init__(self, ttl: float = 0.5, size: int = 256) -> None:
        self._ttl, self._size = ttl, size
        self._entries: OrderedDict[str, tuple[float, asyncio.Future[T]]] = OrderedDict()

    async def get(self, key: str, load: Callable[[], Awaitable[T]]) -> T:
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is None or now - entry[0] > self._ttl or _failed(entry[1]):
            future: asyncio.Future[T] = asyncio.ensure_future(load())
            self._entries[key] = (now, future)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
            entry = (now, future)
        return await asyncio.shield(entry[1])


def _failed(future: "asyncio.Future[Any]") -> bool:
    return future.done() and (future.cancelled() or future.exception() is not None)
