"""The summary readers serve: every figure of the widget in one document, written by the folder.

One document, so a reader never sees one measure of a fold without the others. The folder
is the only writer of the figures, so it keeps them in memory and adds each fold's
increments, reading the documents back only when it starts holding or a day begins.
"""

import time
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from services.counter.store import Collections
from services.counter.visits import Sessions
from shared.platform.db import Document
from shared.platform.storage.writes import Fence, write

REWRITE_SECONDS = 5.0  # at least this often, so a reader can tell the folder is alive
ONLINE_CHECK_SECONDS = 1.0  # online changes with the clock alone: a second is fine enough


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

    def account(self, deltas: list[Any]) -> None:
        """Add a fold's increments to the figures held in memory."""
        if self._figures is None:
            return
        figures = self._figures[1]
        for name, key, incs in deltas:
            if name == "totals" and key == "total":
                _add(figures["total"], incs)
            elif name == "days" and key in figures["days"]:
                _add(figures["days"][key], {k: n for k, n in incs.items() if k[:2] != "a."})

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
        if stale or self._figures is None:
            self._figures = (today, await self._read(today))
        elif (
            not folded
            and self._published is not None
            and self._published[0] == online
            and now - self._published[1] < REWRITE_SECONDS
        ):
            return
        if applied is not None:
            self._applied = applied
        summary = {
            **self._figures[1],
            "online": online,
            "applied": self._applied,
            "at": datetime.now(UTC),
        }
        replace = partial(self.c.totals.replace_one, {"_id": "summary"}, summary, upsert=True)
        await write(replace, self._fence)
        self._published = (online, now)

    async def _read(self, today: date) -> Document:
        # The folder is the only writer of these documents: what it reads is current.
        total = await self.c.totals.find_one({"_id": "total"})
        days = {}
        for day in (today - timedelta(days=1), today):
            days[day.isoformat()] = _figures(await self.c.days.find_one({"_id": day.isoformat()}))
        return {"total": _figures(total), "days": days}


def _add(figures: Document, incs: dict[str, int]) -> None:
    for path, n in incs.items():
        head, _, rest = path.partition(".")
        if rest:
            inner = figures.setdefault(head, {})
            inner[rest] = inner.get(rest, 0) + n
        else:
            figures[head] = figures.get(head, 0) + n


def _figures(document: Document | None) -> Document:
    """A total or day document as the summary holds it: without ids and per-article views."""
    return {k: v for k, v in (document or {}).items() if k not in ("_id", "seq", "a")}
