from datetime import UTC, datetime, timedelta

from services.counter.visits import visit_starts

T0 = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
TIMEOUT = timedelta(minutes=30)


def test_views_within_the_timeout_are_one_visit() -> None:
    views = [("a", T0), ("a", T0 + timedelta(minutes=29)), ("a", T0 + timedelta(minutes=58))]
    assert visit_starts(views, TIMEOUT) == [T0]


def test_a_gap_longer_than_the_timeout_starts_a_new_visit() -> None:
    later = T0 + timedelta(minutes=31)
    assert visit_starts([("a", T0), ("a", later)], TIMEOUT) == [T0, later]


def test_visitors_are_counted_apart_and_order_does_not_matter() -> None:
    views = [("b", T0 + timedelta(minutes=1)), ("a", T0 + timedelta(minutes=5)), ("a", T0)]
    assert sorted(visit_starts(views, TIMEOUT)) == [T0, T0 + timedelta(minutes=1)]


def test_no_views_no_visits() -> None:
    assert visit_starts([], TIMEOUT) == []
