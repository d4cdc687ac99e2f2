"""Visit logic: a visit is a run of one visitor's views with no gap longer than the timeout."""

from collections.abc import Iterable
from datetime import datetime, timedelta


def visit_starts(views: Iterable[tuple[str, datetime]], timeout: timedelta) -> list[datetime]:
    """The start time of every visit in `views`, given as (visitor, viewed_at) in any order."""
    starts: list[datetime] = []
    last_seen: dict[str, datetime] = {}
    for visitor, moment in sorted(views, key=lambda view: (view[0], view[1])):
        previous = last_seen.get(visitor)
        if previous is None or moment - previous > timeout:
            starts.append(moment)
        last_seen[visitor] = moment
    return starts
