"""The counter's route table and its OpenAPI document, declared together."""

from functools import partial

from aiohttp import web

from services.counter.entrypoints import dashboard, views
from services.counter.schemas import (
    ArticleViews,
    Baseline,
    BaselineRequest,
    Bots,
    CsvQuery,
    Daily,
    DailyQuery,
    Dashboard,
    DashboardAccess,
    DashboardQuery,
    Stats,
    Top,
    TopQuery,
)
from shared.platform.openapi import ApiSpec


def add_routes(app: web.Application) -> None:
    spec = ApiSpec(
        "Counter",
        "1.0",
        "Visitor statistics: the widget (Online · Hôm nay · Tổng), its live stream, "
        "per-article views, a daily series, top articles, excluded bots, the baseline.",
    )
    add = partial(spec.route, app)

    add("GET", "/api/stats", views.get_stats, "The widget and every measure", tag="stats",
        responses={200: Stats})  # fmt: skip
    add("GET", "/api/stats/stream", views.stream_stats,
        "Live widget numbers (server-sent events 'stats', data as Live)", tag="stats",
        responses={200: "text/event-stream; each event 'stats' carries Live JSON"})  # fmt: skip
    add("GET", "/api/stats/articles/{article_id}", views.get_article_views,
        "Views of one article", tag="stats", responses={200: ArticleViews})  # fmt: skip
    add("GET", "/api/stats/daily", views.get_daily, "Figures per local day in a range",
        tag="stats", query=DailyQuery, responses={200: Daily})  # fmt: skip
    add("GET", "/api/stats/top", views.get_top, "Most viewed articles today", tag="stats",
        query=TopQuery, responses={200: Top})  # fmt: skip
    add("GET", "/api/stats/bots", views.get_bots, "Views excluded as bots, by agent family",
        tag="admin", responses={200: Bots}, auth=True)  # fmt: skip
    add("PUT", "/api/stats/baseline", views.put_baseline, "Set the imported baseline",
        tag="admin", body=BaselineRequest, responses={200: Baseline}, auth=True)  # fmt: skip
    add("GET", "/api/stats/dashboard", dashboard.get_dashboard,
        "The dashboard: a period's figures against the one before, series and tables",
        tag="dashboard", query=DashboardQuery, responses={200: Dashboard}, auth=True)  # fmt: skip
    add("GET", "/api/stats/dashboard/chart.svg", dashboard.get_chart,
        "The dashboard's series as an SVG chart", tag="dashboard", query=DashboardQuery,
        responses={200: "image/svg+xml"}, auth=True)  # fmt: skip
    add("GET", "/api/stats/dashboard/export.csv", dashboard.get_csv,
        "One table of the dashboard, or its series, whole, as CSV", tag="dashboard",
        query=CsvQuery, responses={200: "text/csv"}, auth=True)  # fmt: skip
    add("GET", "/api/stats/dashboard/access", dashboard.get_access,
        "Whether the dashboard is public", tag="dashboard",
        responses={200: DashboardAccess})  # fmt: skip
    add("PUT", "/api/stats/dashboard/access", dashboard.put_access,
        "Make the dashboard public, or staff only again", tag="admin", body=DashboardAccess,
        responses={200: DashboardAccess}, auth=True)  # fmt: skip
    spec.add_routes(app)
