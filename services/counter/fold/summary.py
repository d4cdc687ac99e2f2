"""The summary readers serve: every figure of the widget in one document, written by the fold.

One document, so a reader never sees one measure of a fold without the others. The fold
is the only writer of the figures, so it keeps them in memory and adds each fold's
increments, reading the documents back only when it starts holding or a day begins.
"""

import time
from datetime import UTC, date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from services.counter.adapters.store import Collections
from services.counter.domain import layout
from services.counter.domain.visits import Sessions
from services.counter.fold.tally import Delta
from shared.platform.db import Document
from shared.platform.storage.writes import Fence, write

REWRITE_SECONDS = 5.0  # at least this often, so a reader can tell the fold is alive
ONLINE_CHECK_SECONDS = 1.0  # online changes with the clock alone: a second is fine enough
# The summary holds a day's figures and bots, not its articles, breakdowns or hours: every
# replica reads it ten times a second.
SUMMED = frozenset(layout.FIGURES) | {layout.BOT_VIEWS}


class Summary:
    def __init__(
        self,
        collections: Collections,
        zone: ZoneInfo,
        online_window_ms: int,
        fence: Fence,
    ) -> None:
        self.c = collections
        self._fence = fence
        self._zone = zone
        self._online_window_ms = online_window_ms
        self._figures: tuple[date, Document] | None = None
        self._published: tuple[int, float] | None = None
        self._online_checked = 0.0
        self._applied = 0

    def reset(self, applied: int) -> None:
        """Forget the figures (another holder may have folded since) and restart at `applied`."""
        self._figures = None
        self._applied = applied

    def account(self, deltas: list[Delta]) -> None:
        """Add a fold's increments to the figures held in memory."""
        if self._figures is None:
            return
        figures = self._figures[1]
        for name, key, incs in deltas:
            if name == layout.TOTALS and key == layout.TOTAL:
                _add(figures[layout.TOTAL], incs)
            elif name == layout.DAYS and key in figures["days"]:
                day_figures = {k: n for k, n in incs.items() if k.partition(".")[0] in SUMMED}
                _add(figures["days"][key], day_figures)

    async def publish(self, sessions: Sessions, folded: bool, applied: int | None = None) -> None:
        """Write the summary after a fold (`applied`: the fold it now includes), or when
        the number online changed, or every few seconds."""
        now = time.monotonic()
        today = datetime.now(self._zone).date()
        stale = self._figures is None or self._figures[0] != today
        if not (folded or stale) and now - self._online_checked < ONLINE_CHECK_SECONDS:
            return
        self._online_checked = now
        online = sessions.online(int(time.time() * 1000), self._online_window_ms)
        if stale:
            self._figures = (today, await self._read(today))
        elif not folded and self._published_lately(online, now):
            return
        if applied is not None:
            self._applied = applied
        await self._write(online)
        self._published = (online, now)

    def _published_lately(self, online: int, now: float) -> bool:
        """Whether the summary already shows this number online, and was written lately."""
        if self._published is None:
            return False
        published_online, published_at = self._published
        return published_online == online and now - published_at < REWRITE_SECONDS

    async def _write(self, online: int) -> None:
        assert self._figures is not None
        summary = {
            **self._figures[1],
            "online": online,
            "applied": self._applied,
            "at": datetime.now(UTC),
        }
        key = {"_id": layout.SUMMARY}
        await write(partial(self.c.totals.replace_one, key, summary, upsert=True), self._fence)

    async def _read(self, today: date) -> Document:
        # The folder is the only writer of these documents: what it reads is current.
        total = await self.c.totals.find_one({"_id": layout.TOTAL})
        days = {}
        for day in (today - timedelta(days=1), today):
            days[day.isoformat()] = _figures(await self.c.days.find_one({"_id": day.isoformat()}))
        return {layout.TOTAL: _figures(total), "days": days}


def _add(figures: Document, incs: dict[str, int]) -> None:
    for path, n in incs.items():
        head, _, rest = path.partition(".")
        if rest:
            inner = figures.setdefault(head, {})
            inner[rest] = inner.get(rest, 0) + n
        else:
            figures[head] = figures.get(head, 0) + n


def _figures(document: Document | None) -> Document:
    """A total or day document as the summary holds it: its figures and bots alone."""
    return {k: v for k, v in (document or {}).items() if k in SUMMED}
