"""The counter's API models: Vietnamese figures, bounded date ranges, limits."""

import pytest
from pydantic import ValidationError

from services.counter.schemas import DailyQuery, Figure, TopQuery


@pytest.mark.parametrize(
    ("value", "formatted"),
    [(0, "0"), (999, "999"), (1000, "1.000"), (1426, "1.426"), (1628979, "1.628.979")],
)
def test_figures_are_grouped_with_dots(value: int, formatted: str) -> None:
    assert Figure.of(value) == Figure(value=value, formatted=formatted)


def test_a_daily_range_reads_from_and_to() -> None:
    query = DailyQuery.model_validate({"from": "2026-04-01", "to": "2026-04-30"})
    assert (query.first, query.last) == ("2026-04-01", "2026-04-30")


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-04-30", "to": "2026-04-01"},  # backwards
        {"from": "2024-01-01", "to": "2026-01-01"},  # too long
        {"from": "2026-02-30", "to": "2026-03-01"},  # no such day
        {"from": "1700000000", "to": "2026-03-01"},  # not a date
        {"from": "2026-04-01"},  # missing end
        {"from": "2026-04-01", "to": "2026-04-02", "extra": "1"},
    ],
)
def test_bad_ranges_are_refused(params: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        DailyQuery.model_validate(params)


@pytest.mark.parametrize("limit", ["0", "101", "ten"])
def test_top_limits_are_bounded(limit: str) -> None:
    with pytest.raises(ValidationError):
        TopQuery.model_validate({"limit": limit})
