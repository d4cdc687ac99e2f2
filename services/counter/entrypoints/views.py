"""HTTP handlers of the counter: the widget, its live stream, and the statistics behind it."""

import re
from datetime import date, datetime

from aiohttp import web

from services.counter.domain.stats import Snapshot, widget_numbers
from services.counter.entrypoints.keys import READER, SETTINGS, STORE, STREAMS
from services.counter.schemas import (
    ArticleCount,
    ArticleViews,
    Baseline,
    BaselineRequest,
    Bots,
    Daily,
    DailyQuery,
    DailyTotals,
    DayFigures,
    Figure,
    Live,
    Measures,
    Periods,
    Stats,
    Top,
    TopQuery,
    Widget,
    WidgetFormatted,
    WidgetItem,
)
from services.counter.usecases import set_baseline
from shared.contracts.errors import Malformed
from shared.contracts.text import ID_PATTERN
from shared.platform.http import json_response, read_model, read_query, require_admin_token

# The widget is on the portal's pages, which may be served from another origin.
PUBLIC_HEADERS = {"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"}
ARTICLE_ID = re.compile(ID_PATTERN)

DEFINITIONS = {
    "online": "distinct visitors with a view in the online window (5 minutes by default)",
    "visits": "runs of one visitor's views without a 30-minute gap, by local day of the start",
    "views": "page views by people (bots excluded)",
    "other_views": "views of pages that are not articles: with the articles' views, the views",
    "visitors": "distinct visitors per local day; all time is the sum of the days, because "
    "the visitor hash's salt turns at local midnight",
    "bot_views": "page views by crawlers and headless browsers, not counted elsewhere",
    "baseline": "visits imported from the portal this one replaces",
    "total": "visits all time plus the baseline",
}


def require_admin(request: web.Request) -> None:
    require_admin_token(request, request.app[SETTINGS].admin_token)


def public(response: web.Response) -> web.Response:
    response.headers.update(PUBLIC_HEADERS)
    return response


def local_today(request: web.Request) -> date:
    return datetime.now(request.app[SETTINGS].zone).date()


def live(snapshot: Snapshot) -> Live:
    online, today, total = widget_numbers(snapshot)

    def item(label: str, measure: str, value: int) -> WidgetItem:
        figure = Figure.of(value)
        return WidgetItem(label=label, measure=measure, value=value, formatted=figure.formatted)

    widget = Widget(
        online=item("Online", "online", online),
        today=item("Hôm nay", "visits.today", today),
        total=item("Tổng", "total", total),
    )
    formatted = WidgetFormatted(
        online=widget.online.formatted,
        today=widget.today.formatted,
        total=widget.total.formatted,
    )
    return Live(online=online, today=today, total=total, formatted=formatted, widget=widget)


def to_stats(snapshot: Snapshot, time_zone: str) -> Stats:
    def periods(name: str) -> Periods:
        return Periods(
            today=Figure.of(getattr(snapshot.today, name)),
            yesterday=Figure.of(getattr(snapshot.yesterday, name)),
            all_time=Figure.of(getattr(snapshot.all_time, name)),
        )

    return Stats(
        **dict(live(snapshot)),
        measures=Measures(
            online=Figure.of(snapshot.online),
            visits=periods("visits"),
            views=periods("views"),
            other_views=periods("other_views"),
            visitors=periods("visitors"),
            bot_views=periods("bot_views"),
            baseline=Figure.of(snapshot.baseline),
            total=Figure.of(snapshot.all_time.visits + snapshot.baseline),
        ),
        definitions=DEFINITIONS,
        day=snapshot.day,
        time_zone=time_zone,
        read_at=snapshot.read_at,
    )


async def get_stats(request: web.Request) -> web.Response:
    snapshot = await request.app[READER].current()
    return public(json_response(to_stats(snapshot, request.app[SETTINGS].site_timezone)))


async def stream_stats(request: web.Request) -> web.StreamResponse:
    """Server-sent events named "stats": the widget on connect, then on each change."""
    return await request.app[STREAMS].serve(request)


def widget_json(snapshot: Snapshot) -> str:
    """The data of a "stats" event."""
    return live(snapshot).model_dump_json()


async def get_article_views(request: web.Request) -> web.Response:
    article_id = request.match_info["article_id"]
    if not ARTICLE_ID.fullmatch(article_id):
        raise Malformed("an article id is 1 to 64 letters, digits, '-' or '_'")
    all_time, today, yesterday = await request.app[STORE].article_views(
        article_id, local_today(request)
    )
    periods = Periods(
        today=Figure.of(today), yesterday=Figure.of(yesterday), all_time=Figure.of(all_time)
    )
    answer = ArticleViews(
        article_id=article_id,
        views=all_time,
        formatted=periods.all_time.formatted,
        periods=periods,
    )
    return public(json_response(answer))


async def get_daily(request: web.Request) -> web.Response:
    query = await read_query(request, DailyQuery)
    first, last = date.fromisoformat(query.first), date.fromisoformat(query.last)
    days = await request.app[STORE].daily(first, last)
    rows = [
        DayFigures(
            date=day,
            views=figures.views,
            visits=figures.visits,
            visitors=figures.visitors,
            bot_views=figures.bot_views,
        )
        for day, figures in days.items()
    ]
    totals = DailyTotals(
        views=sum(row.views for row in rows),
        visits=sum(row.visits for row in rows),
        visitors=sum(row.visitors for row in rows),
        bot_views=sum(row.bot_views for row in rows),
    )
    return public(json_response(Daily(days=rows, totals=totals)))


async def get_top(request: web.Request) -> web.Response:
    query = await read_query(request, TopQuery)
    day = local_today(request)
    counts = await request.app[STORE].top_articles(day, query.limit)
    items = [ArticleCount(article_id=article, views=views) for article, views in counts]
    return public(json_response(Top(day=day, items=items)))


async def get_bots(request: web.Request) -> web.Response:
    require_admin(request)
    snapshot = await request.app[READER].current()
    return json_response(
        Bots(day=snapshot.day, today=snapshot.today.bots, all_time=snapshot.all_time.bots)
    )


async def put_baseline(request: web.Request) -> web.Response:
    require_admin(request)
    body = await read_model(request, BaselineRequest)
    updated_at = await set_baseline(request.app[STORE], body.visits)
    return json_response(Baseline(visits=Figure.of(body.visits), updated_at=updated_at))
