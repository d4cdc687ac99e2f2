"""The dashboard's pure parts: periods and their documents, sources, caps, the fold's hours
and months, the device class, the chart."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from services.content.domain.agents import device_class
from services.counter.domain import layout
from services.counter.domain.breakdowns import (
    DIRECT,
    OTHER,
    SOURCES,
    KnownNames,
    source_name,
)
from services.counter.domain.dashboard import Period, Point, Tables, cover, period_of
from services.counter.domain.visits import Sessions, View
from services.counter.entrypoints.chart import line_chart, nice_top, y_steps
from services.counter.fold.tally import fold_views

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
TODAY = date(2026, 11, 30)


def test_presets_on_a_day() -> None:
    assert period_of("today", TODAY, None, None) == Period(TODAY, TODAY)
    assert period_of("7d", TODAY, None, None) == Period(date(2026, 11, 24), TODAY)
    assert period_of("30d", TODAY, None, None).days == 30
    twelve = period_of("12m", date(2026, 3, 5), None, None)
    assert twelve == Period(date(2025, 4, 1), date(2026, 3, 5))
    assert Period(date(2026, 3, 1), date(2026, 3, 10)).previous() == Period(
        date(2026, 2, 19), date(2026, 2, 28)
    )


def test_past_whole_months_are_read_as_months_and_the_rest_as_days() -> None:
    twelve = period_of("12m", TODAY, None, None)
    covered = cover(twelve, TODAY)
    assert covered.months == [f"{year}-{month:02d}" for year, month in
                              [(2025, 12), *((2026, m) for m in range(1, 11))]]  # fmt: skip
    assert covered.days == Period(date(2026, 11, 1), TODAY).each_day()  # this month: by day
    mid = date(2026, 11, 15)  # 17 October to 15 November: no whole past month
    thirty = cover(period_of("30d", mid, None, None), mid)
    assert thirty.months == [] and len(thirty.days) == 30
    edge = cover(Period(date(2026, 1, 20), date(2026, 3, 3)), TODAY)
    assert edge.months == ["2026-02"] and len(edge.days) == 12 + 3


def test_a_roll_up_keeps_the_top_names_and_the_rest_as_other() -> None:
    tables = Tables()
    tables.counts["sources"].update({f"s{n:04d}": 1 + n % 3 for n in range(1500)})
    rolled = tables.rolled_up()
    assert len(rolled.counts["sources"]) == 1001
    assert sum(rolled.counts["sources"].values()) == sum(tables.counts["sources"].values())
    assert Tables.of_packed(rolled.packed()).counts == rolled.counts


@given(st.dates(date(2000, 1, 1), date(2100, 1, 1)), st.integers(0, 365))
def test_a_cover_holds_every_day_of_the_period_once(first: date, extra: int) -> None:
    period = Period(first, first + timedelta(days=extra))
    covered = cover(period, period.last)
    from_months = [d for d in period.each_day() if layout.month_key(d) in covered.months]
    assert sorted(from_months + covered.days) == period.each_day()
    assert not set(from_months) & set(covered.days)


def test_sources_are_named() -> None:
    assert source_name(None) == source_name("") == DIRECT
    assert source_name("www.google.com.vn") == source_name("google.de") == "Google"
    assert source_name("m.facebook.com") == source_name("l.facebook.com") == "Facebook"
    assert source_name("zalo.me") == "Zalo" and source_name("coccoc.com") == "Cốc Cốc"
    assert source_name("WWW.Baomoi.com.") == "baomoi.com"
    assert source_name("notgoogle.com") == "notgoogle.com"


def test_a_full_breakdown_counts_new_names_as_other() -> None:
    known = KnownNames()
    scope = (layout.DAYS, "2026-11-30")
    known.load(scope, {SOURCES.field: {f"host{n}" for n in range(SOURCES.cap - 1)}})
    admitter = known.admitter()
    assert admitter.name(scope, SOURCES, "host1") == "host1"
    assert admitter.name(scope, SOURCES, "new") == "new"  # the last place
    assert admitter.name(scope, SOURCES, "new") == "new"
    assert admitter.name(scope, SOURCES, "later") == OTHER
    assert known.count(scope, SOURCES) == SOURCES.cap - 1  # unchanged until applied
    known.add(admitter.admitted)
    assert known.count(scope, SOURCES) == SOURCES.cap


def _view(visitor: str, at: datetime, **fields: str | None) -> View:
    return View(visitor, fields.get("article"), False, fields.get("family", "Chrome"),
                int(at.timestamp() * 1000), None, fields.get("path", "/"),
                fields.get("referrer"), fields.get("device", "phone"))  # fmt: skip


def test_a_fold_writes_hours_breakdowns_and_the_month() -> None:
    at = datetime(2026, 11, 29, 17, 30, tzinfo=UTC)  # 00:30 on the 30th, local
    views = [
        _view("v1", at, referrer="www.google.com", device="tablet"),
        _view("v1", at + timedelta(minutes=5), article="a1", path="/tin/a1"),
        _view("v2", at + timedelta(hours=2)),
    ]
    result = fold_views(views, Sessions(timedelta(minutes=30)), HCM)
    deltas = {(c, key): incs for c, key, incs in result.deltas(KnownNames().admitter())}
    day = deltas[(layout.DAYS, "2026-11-30")]  # the figures, as fields
    assert day == {"views": 3, "visits": 2, "visitors": 2, "other_views": 2}
    tables = layout.grouped(deltas[(layout.DAY_TABLES, "2026-11-30")])  # packed, names as is
    assert tables["h"] == {"00:views": 2, "00:visits": 1, "00:visitors": 1,
                           "02:views": 1, "02:visits": 1, "02:visitors": 1}  # fmt: skip
    assert tables["s"] == {"Google": 1, DIRECT: 2}
    assert tables["d"] == {"tablet": 1, "phone": 2}
    assert tables["p"] == {"/": 2, "/tin/a1": 1} and tables["b"] == {"Chrome": 3}
    assert tables["a"] == {"a1": 1}
    month = deltas[(layout.MONTHS, "2026-11")]  # small: per-day figures and versions
    assert month == {"f.30.views": 3, "f.30.visits": 2, "f.30.visitors": 2, "v.30": 1}


def test_device_classes() -> None:
    iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1"
    android_phone = "Mozilla/5.0 (Linux; Android 14; SM-S918B) Chrome/120.0 Mobile Safari/537.36"
    android_tablet = "Mozilla/5.0 (Linux; Android 13; SM-X710) Chrome/120.0 Safari/537.36"
    ipad = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1"
    desktop = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0 Safari/537.36"
    assert device_class(iphone) == device_class(android_phone) == "phone"
    assert device_class(android_tablet) == device_class(ipad) == "tablet"
    assert device_class(desktop) == device_class("") == "desktop"


def test_the_chart_draws_each_line_and_escapes_its_labels() -> None:
    assert [nice_top(n) for n in (0, 1, 3, 7, 11, 1_628_979)] == [1, 1, 5, 10, 20, 2_000_000]
    assert [y_steps(top) for top in (1, 2, 5, 10, 20, 50, 100)] == [1, 2, 5, 5, 4, 5, 4]
    period = Period(TODAY - timedelta(days=2), TODAY)
    points = [Point(d, None, n, n * 2, n * 3) for n, d in enumerate(period.each_day())]
    svg = line_chart(points, ["<a>", "b", "c"], 'Khách "x" & y')
    assert svg.count("<polyline") == 3 and "&lt;a&gt;" in svg and "<a>" not in svg
    assert 'aria-label="Khách &quot;x&quot; &amp; y"' in svg
