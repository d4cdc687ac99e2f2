"""Visit logic: the reference definition, and the incremental one the folder uses."""

import itertools
import random
from datetime import UTC, datetime, timedelta

from services.counter.domain.visits import Sessions, add_view, visit_starts

T0 = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
TIMEOUT = timedelta(minutes=30)
TIMEOUT_MS = 30 * 60 * 1000
MINUTE = 60 * 1000


def test_views_within_the_timeout_are_one_visit() -> None:
    views = [("a", T0), ("a", T0 + timedelta(minutes=29)), ("a", T0 + timedelta(minutes=58))]
    assert visit_starts(views, TIMEOUT) == [T0]


def test_a_gap_longer_than_the_timeout_starts_a_new_visit() -> None:
    later = T0 + timedelta(minutes=31)
    assert visit_starts([("a", T0), ("a", later)], TIMEOUT) == [T0, later]


def test_a_gap_of_exactly_the_timeout_continues_the_visit() -> None:
    assert visit_starts([("a", T0), ("a", T0 + TIMEOUT)], TIMEOUT) == [T0]


def test_visitors_are_counted_apart_and_order_does_not_matter() -> None:
    views = [("b", T0 + timedelta(minutes=1)), ("a", T0 + timedelta(minutes=5)), ("a", T0)]
    assert sorted(visit_starts(views, TIMEOUT)) == [T0, T0 + timedelta(minutes=1)]


def test_no_views_no_visits() -> None:
    assert visit_starts([], TIMEOUT) == []


def test_the_first_view_starts_a_visit() -> None:
    assert add_view(None, 0, TIMEOUT_MS) == ([(0, 0)], 1)


def test_a_view_inside_the_timeout_extends_the_visit() -> None:
    assert add_view([(0, 0)], 20 * MINUTE, TIMEOUT_MS) == ([(0, 20 * MINUTE)], 0)


def test_a_late_view_between_two_visits_joins_them_into_one() -> None:
    runs = [(0, 0), (50 * MINUTE, 50 * MINUTE)]
    assert add_view(runs, 25 * MINUTE, TIMEOUT_MS) == ([(0, 50 * MINUTE)], -1)


def test_a_late_view_long_before_starts_its_own_visit() -> None:
    runs = [(100 * MINUTE, 110 * MINUTE)]
    assert add_view(runs, 0, TIMEOUT_MS) == ([(0, 0), (100 * MINUTE, 110 * MINUTE)], 1)


def test_any_arrival_order_gives_the_reference_count() -> None:
    rng = random.Random(7)
    moments = [rng.randrange(0, 6 * 60) * MINUTE for _ in range(40)]
    expected = len(visit_starts([("a", T0 + timedelta(milliseconds=m)) for m in moments], TIMEOUT))
    for order in itertools.islice(itertools.permutations(moments), 0, 200, 7):
        runs = None
        count = 0
        for moment in order:
            runs, change = add_view(runs, moment, TIMEOUT_MS)
            count += change
        assert count == expected
    shuffled = moments[:]
    for _ in range(50):
        rng.shuffle(shuffled)
        runs, count = None, 0
        for moment in shuffled:
            runs, change = add_view(runs, moment, TIMEOUT_MS)
            count += change
        assert count == expected


def test_online_counts_distinct_visitors_seen_in_the_window() -> None:
    sessions = Sessions(TIMEOUT)
    day = T0.date()
    now = 100 * MINUTE
    sessions.update(
        {
            (day, "recent"): [(0, now - 4 * MINUTE)],
            (day, "gone"): [(0, now - 6 * MINUTE)],
            (day - timedelta(days=1), "recent"): [(0, now - MINUTE)],  # yesterday's hash
        }
    )
    assert sessions.online(now, 5 * MINUTE) == 1
    sessions.forget_before(day)
    assert len(sessions) == 2
