"""Every replica's view of the shared figures: re-read in the background, served from memory."""

import asyncio
import contextlib
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import structlog

from services.counter.adapters.store import StatsStore
from services.counter.domain.stats import Snapshot, widget_numbers

log = structlog.get_logger(__name__)


class StatsReader:
    def __init__(
        self, store: StatsStore, zone: ZoneInfo, max_age_seconds: float, interval_seconds: float
    ) -> None:
        self._store = store
        self._zone = zone
        self._max_age = max_age_seconds
        self._interval = interval_seconds
        self._lock = asyncio.Lock()
        self._snapshot: Snapshot | None = None
        self._read_at = 0.0
        self._widget: tuple[int, int, int] | None = None
        self._changed = asyncio.Event()

    async def current(self) -> Snapshot:
        """Figures read from the shared documents at most `max_age` seconds ago."""
        started = time.monotonic()
        snapshot = self._snapshot
        if snapshot is None or started - self._read_at >= self._max_age:
            async with self._lock:
                # Another request may have refreshed while this one waited for the lock.
                if self._snapshot is None or self._read_at < started:
                    try:
                        await self._refresh()
                    except Exception:
                        if self._snapshot is None:
                            raise
                        # The database is down: the last figures, with their read_at.
                        log.warning("stats.serving_last_figures")
            snapshot = self._snapshot
        assert snapshot is not None
        return snapshot

    @property
    def latest(self) -> Snapshot | None:
        """The figures last read, without reading (None before the first read)."""
        return self._snapshot

    async def wait_for_change(self, seconds: float) -> None:
        """Wait until the widget's numbers change, or `seconds` pass."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), seconds)

    async def run(self) -> None:
        while True:
            try:
                async with self._lock:
                    await self._refresh()
            except Exception as error:  # the database is down: serve the last figures
                log.warning("stats.refresh_failed", error=repr(error))
            await asyncio.sleep(self._interval)

    async def _refresh(self) -> None:
        read_at = time.monotonic()
        now = datetime.now(UTC)
        snapshot = await self._store.snapshot(now, now.astimezone(self._zone).date())
        self._snapshot, self._read_at = snapshot, read_at
        widget = widget_numbers(snapshot)
        if widget != self._widget:
            self._widget = widget
            # Wake every waiting stream, then give later waiters a fresh event.
            self._changed.set()
            self._changed = asyncio.Event()
