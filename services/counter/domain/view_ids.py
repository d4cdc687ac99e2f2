"""The view ids the fold counted lately: a beacon the gateway sent twice is counted once.

The gateway sends a beacon again when its first replica reset the connection (a replica
stopping, or crashing) or answered 503; the beacon keeps the gateway's request id as its view
id. The gateway gives up on a request after 10 s, a copy spooled while the broker was away
is sent within seconds of its return, like every other spooled copy, and one spooled by a
replica that then died is sent by another 10 s later: the second copy reaches the fold well
within two minutes of the first. So the fold remembers the ids of the last `WINDOW_SECONDS`
(at 1,000 views a second, 120,000 ids, about 20 MB). The ids are also in each fold record,
so a new fold holder remembers what its predecessor counted.
"""

import time
from collections import OrderedDict
from collections.abc import Iterable

from services.counter.domain.visits import View

WINDOW_SECONDS = 120.0


class RecentViewIds:
    def __init__(self, window_seconds: float = WINDOW_SECONDS) -> None:
        self._window = window_seconds
        self._seen: OrderedDict[str, float] = OrderedDict()  # id -> when counted (epoch s)

    def unseen(self, views: Iterable[View]) -> list[View]:
        """The views not counted before: none whose id was counted lately or is a second
        time in `views`. Views without an id are all kept."""
        kept: list[View] = []
        batch: set[str] = set()
        for view in views:
            if view.view_id is not None:
                if view.view_id in self._seen or view.view_id in batch:
                    continue
                batch.add(view.view_id)
            kept.append(view)
        return kept

    def add(self, ids: Iterable[str], at: float | None = None) -> None:
        counted_at = time.time() if at is None else at
        for view_id in ids:
            self._seen[view_id] = counted_at
            self._seen.move_to_end(view_id)
        self._forget(time.time() - self._window)

    def _forget(self, before: float) -> None:
        while self._seen:
            view_id, counted_at = next(iter(self._seen.items()))
            if counted_at >= before:
                return
            del self._seen[view_id]

    def __len__(self) -> int:
        return len(self._seen)
