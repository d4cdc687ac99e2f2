"""The figures readers serve: per period, as one replica last read them."""

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class Figures:
    views: int = 0
    visits: int = 0
    visitors: int = 0
    bot_views: int = 0
    other_views: int = 0
    bots: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Snapshot:
    """The shared figures as one replica last read them."""

    read_at: datetime
    day: date
    online: int
    today: Figures
    yesterday: Figures
    all_time: Figures
    baseline: int


def widget_numbers(snapshot: Snapshot) -> tuple[int, int, int]:
    """Online · Hôm nay · Tổng: visitors online, visits today, visits ever plus the baseline."""
    return (
        snapshot.online,
        snapshot.today.visits,
        snapshot.all_time.visits + snapshot.baseline,
    )
