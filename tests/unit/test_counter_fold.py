"""The fold's arithmetic: local days, visitors, bots, articles, and the increments it stores."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from services.counter.adapters.records import inbox_document, pack_views, unpack_messages
from services.counter.domain.breakdowns import KnownNames
from services.counter.domain.layout import field_key, from_field_key
from services.counter.domain.visits import Sessions, View
from services.counter.fold.tally import fold_views
from shared.contracts.events import PageView

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
NEW_YORK = ZoneInfo("America/New_York")
TIMEOUT = timedelta(minutes=30)


def view(visitor: str, at: datetime, article: str | None = "a1", bot: str | None = None) -> View:
    return View(visitor, article, bot is not None, bot, int(at.timestamp() * 1000))


def test_views_around_local_midnight_plus_seven_fall_on_their_local_day() -> None:
    # 16:59:59 UTC is 23:59:59 in Hanoi; 17:00:00 UTC is midnight, the next local day.
    before = datetime(2026, 4, 24, 16, 59, 59, tzinfo=UTC)
    after = datetime(2026, 4, 24, 17, 0, 0, tzinfo=UTC)
    result = fold_views([view("v1", before), view("v2", after)], Sessions(TIMEOUT), HCM)
    days = {day.isoformat(): tally.views for day, tally in result.days.items()}
    assert days == {"2026-04-24": 1, "2026-04-25": 1}


def test_another_zone_moves_the_boundary() -> None:
    # New York in April is UTC-4: 03:59 UTC is still the previous local day there.
    before = datetime(2026, 4, 25, 3, 59, tzinfo=UTC)
    after = datetime(2026, 4, 25, 4, 0, tzinfo=UTC)
    result = fold_views([view("v1", before), view("v1", after)], Sessions(TIMEOUT), NEW_YORK)
    days = {day.isoformat(): (t.views, t.visits, t.visitors) for day, t in result.days.items()}
    # The same hash on two local days is two visitors (the salt turns at midnight).
    assert days == {"2026-04-24": (1, 1, 1), "2026-04-25": (1, 1, 1)}
    assert (result.total.views, result.total.visits, result.total.visitors) == (2, 2, 2)


def test_a_visit_continued_across_folds_is_counted_once() -> None:
    sessions = Sessions(TIMEOUT)
    t0 = datetime(2026, 4, 25, 3, 0, tzinfo=UTC)
    first = fold_views([view("v1", t0)], sessions, HCM)
    sessions.update(first.seen)
    second = fold_views([view("v1", t0 + timedelta(minutes=10))], sessions, HCM)
    assert (first.total.visits, first.total.visitors) == (1, 1)
    assert (second.total.visits, second.total.visitors, second.total.views) == (0, 0, 1)


def test_bots_are_counted_apart_by_family_and_not_as_visitors() -> None:
    t0 = datetime(2026, 4, 25, 3, 0, tzinfo=UTC)
    views = [
        view("bot1", t0, bot="Googlebot"),
        view("bot1", t0, bot="Googlebot"),
        view("bot2", t0, bot="HeadlessChrome"),
        view("human", t0),
    ]
    result = fold_views(views, Sessions(TIMEOUT), HCM)
    assert (result.total.views, result.total.visitors, result.total.bot_views) == (1, 1, 3)
    assert dict(result.total.bots) == {"Googlebot": 2, "HeadlessChrome": 1}


def test_article_views_and_other_pages_add_up_to_the_views() -> None:
    t0 = datetime(2026, 4, 25, 3, 0, tzinfo=UTC)
    views = [view("v", t0, "a.1"), view("v", t0, "a.1"), view("w", t0, "b$2"), view("w", t0, None)]
    result = fold_views(views, Sessions(TIMEOUT), HCM)
    (tally,) = result.days.values()
    assert dict(tally.articles) == {"a.1": 2, "b$2": 1}
    assert sum(tally.articles.values()) + tally.other_views == tally.views == 4
    deltas = {(name, key): incs for name, key, incs in result.deltas(KnownNames().admitter())}
    assert deltas[("totals", "total")] == {"views": 4, "visits": 2, "visitors": 2, "other_views": 1}
    per_day = deltas[("day_tables", "2026-04-25")]  # packed in one field: ids as they are
    assert {k: n for k, n in per_day.items() if k.startswith("a:")} == {"a:a.1": 2, "a:b$2": 1}
    shards = [incs for (name, _), incs in deltas.items() if name == "articles"]
    assert sum(n for incs in shards for n in incs.values()) == 3


def test_field_keys_round_trip() -> None:
    for name in ("a.b", "$x", "100%", "", "plain-id_1"):
        key = field_key(name)
        assert "." not in key and not key.startswith("$") and key
        assert from_field_key(key) == name


def test_inbox_documents_keep_what_the_fold_needs() -> None:
    at = datetime(2026, 4, 25, 3, 0, 0, 123000, tzinfo=UTC)
    page_view = PageView(
        visitor="v" * 16,
        path="/x" + "y" * 300,
        article_id="a1",
        is_bot=True,
        agent_family="Bot",
        referrer_host="www.google.com",
        device="phone",
        viewed_at=at,
    )
    document = inbox_document([("event-1", pack_views([page_view])), ("event-2", [])])
    assert document["n"] == 1
    path = "/x" + "y" * 158  # a page is counted by its first 160 characters
    view = View(
        "v" * 16, "a1", True, "Bot", int(at.timestamp() * 1000), None, path, "www.google.com",
        "phone",
    )  # fmt: skip
    assert unpack_messages(document) == [("event-1", [view]), ("event-2", [])]
    assert view.at == at
