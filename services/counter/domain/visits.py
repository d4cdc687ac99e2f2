"""Views and visits: a visit is a run of one visitor's views with no gap over the timeout."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

VisitorDay = tuple[date, str]
Visits = list[tuple[int, int]]


@dataclass(frozen=True)
class View:
    """What the fold needs of a view: the figures, and the breakdowns of the dashboard."""

    visitor: str
    article_id: str | None
    is_bot: bool
    agent_family: str | None
    at_ms: int
    view_id: str | None = None  # the gateway's request id: a resent beacon has the same
    path: str | None = None  # its first PAGE_KEY_LENGTH characters (breakdowns.py)
    referrer_host: str | None = None
    device: str | None = None

    @property
    def at(self) -> datetime:
        return datetime.fromtimestamp(self.at_ms / 1000, UTC)


def visit_starts(views: Iterable[tuple[str, datetime]], timeout: timedelta) -> list[datetime]:
    """The start time of every visit in `views`, given as (visitor, viewed_at) in any order.

    The reference definition; the folder reaches the same numbers incrementally (Sessions).
    """
    starts: list[datetime] = []
    last_seen: dict[str, datetime] = {}
    for visitor, moment in sorted(views, key=lambda view: (view[0], view[1])):
        previous = last_seen.get(visitor)
        if previous is None or moment - previous > timeout:
            starts.append(moment)
        last_seen[visitor] = moment
    return starts


def add_view(visits: Visits | None, at_ms: int, timeout_ms: int) -> tuple[Visits, int]:
    """Add a view to a visitor's visits (sorted [start, end] runs): the new runs, and how the
    number of visits changed. Exact in any arrival order: a late view may start a visit,
    extend one, or join two into one (-1)."""
    start = end = at_ms
    kept: Visits = []
    joined = 0
    for first, last in visits or []:
        if at_ms - last <= timeout_ms and first - at_ms <= timeout_ms:
            start, end = min(start, first), max(end, last)
            joined += 1
        else:
            kept.append((first, last))
    kept.append((start, end))
    kept.sort()
    return kept, 1 - joined


class Sessions:
    """Each visitor's visits per local day, held by the folder to count visits incrementally.

    The visitor hash changes with the salt at local midnight, so a visitor is per day and the
    state of days before yesterday can be forgotten.
    """

    def __init__(self, timeout: timedelta) -> None:
        self.timeout_ms = int(timeout.total_seconds() * 1000)
        self._visits: dict[VisitorDay, Visits] = {}

    def get(self, key: VisitorDay) -> Visits | None:
        return self._visits.get(key)

    def update(self, changed: Mapping[VisitorDay, Visits]) -> None:
        self._visits.update(changed)

    def online(self, now_ms: int, window_ms: int) -> int:
        """Distinct visitors with a view in the window (a visitor is per day, see above)."""
        since = now_ms - window_ms
        return len({visitor for (_, visitor), runs in self._visits.items() if runs[-1][1] >= since})

    def forget_before(self, day: date) -> None:
        for key in [key for key in self._visits if key[0] < day]:
            del self._visits[key]

    def __len__(self) -> int:
        return len(self._visits)
