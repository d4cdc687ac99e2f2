"""Stats computed at most once a second, however many readers ask."""

import asyncio
import time
from datetime import UTC, datetime

from services.counter.store import Stats, ViewStore


class StatsCache:
    def __init__(self, store: ViewStore, max_age_seconds: float) -> None:
        self._store = store
        self._max_age = max_age_seconds
        self._lock = asyncio.Lock()
        self._value: Stats | None = None
        self._computed_at = 0.0

    async def get(self) -> Stats:
        async with self._lock:
            if self._value is None or time.monotonic() - self._computed_at >= self._max_age:
                self._value = await self._store.stats(datetime.now(UTC))
                self._computed_at = time.monotonic()
            return self._value
