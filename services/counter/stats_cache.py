"""Stats computed at most once a second, however many readers ask."""

import asyncio
import time
from datetime import UTC, datetime

from services.counter.store import Stats, ViewStore

MAX_AGE_SECONDS = 1.0


class StatsCache:
    def __init__(self, store: ViewStore) -> None:
        self._store = store
        self._lock = asyncio.Lock()
        self._value: Stats | None = None
        self._computed_at = 0.0

    async def get(self) -> Stats:
        async with self._lock:
            if self._value is None or time.monotonic() - self._computed_at > MAX_AGE_SECONDS:
                self._value = await self._store.stats(datetime.now(UTC))
                self._computed_at = time.monotonic()
            return self._value
