"""The counter's use cases: what an operator changes (the fold alone writes the figures)."""

from datetime import datetime

from services.counter.adapters.store import StatsStore
from shared.contracts.errors import Invalid


async def set_baseline(store: StatsStore, visits: int) -> datetime:
    """Set the visits imported from the portal this one replaces ('Tổng' adds them); when
    it was set. Idempotent: the endpoint and the CLI may both repeat it."""
    if visits < 0:  # both entry points refuse it first; the rule is the domain's
        raise Invalid("the baseline is 0 visits or more", details={"visits": visits})
    return await store.write_baseline(visits)
