"""The counter app factory: a page.viewed consumer and the stats API."""

from collections.abc import AsyncIterator
from datetime import timedelta
from functools import partial

from aiohttp import web

from services.counter import views
from services.counter.config import CounterSettings
from services.counter.handlers import record_views
from services.counter.keys import SETTINGS, STATS, STORE
from services.counter.stats_cache import StatsCache
from services.counter.store import ViewStore
from shared.events import PageViewed
from shared.http import ReadinessCheck, add_ops_routes, make_app
from shared.lifecycle import connections


def create_app(settings: CounterSettings) -> web.Application:
    app = make_app()
    app[SETTINGS] = settings
    checks: dict[str, ReadinessCheck] = {}

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        async with connections(settings, checks) as (db, bus):
            store = ViewStore(
                db,
                settings.zone,
                online_window=timedelta(seconds=settings.online_window_seconds),
                visit_timeout=timedelta(seconds=settings.visit_timeout_seconds),
            )
            await store.create_indexes()
            app[STORE], app[STATS] = store, StatsCache(store, settings.stats_max_age_seconds)
            handler = partial(record_views, store)
            await bus.consume("counter", {PageViewed: handler}, prefetch=settings.prefetch)
            yield

    app.cleanup_ctx.append(lifecycle)
    add_ops_routes(app, checks)
    app.router.add_get("/stats", views.get_stats)
    app.router.add_get("/stats/articles/{article_id}", views.get_article_views)
    return app
