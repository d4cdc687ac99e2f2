"""The counter app factory: a page.viewed consumer and the stats API."""

from collections.abc import AsyncIterator
from datetime import timedelta
from functools import partial

from aiohttp import web

from services.counter import views
from services.counter.config import CounterSettings
from services.counter.handlers import record_views
from services.counter.keys import BUS, SETTINGS, STATS, STORE
from services.counter.stats_cache import StatsCache
from services.counter.store import ViewStore
from shared.bus import Bus
from shared.db import make_client
from shared.events import PageViewed
from shared.http import ReadinessCheck, add_ops_routes, bus_check, make_app, mongo_check


def create_app(settings: CounterSettings) -> web.Application:
    app = make_app()
    app[SETTINGS] = settings
    checks: dict[str, ReadinessCheck] = {}

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        client = make_client(str(settings.mongo_url))
        store = ViewStore(
            client[settings.mongo_db],
            settings.zone,
            online_window=timedelta(seconds=settings.online_window_seconds),
            visit_timeout=timedelta(seconds=settings.visit_timeout_seconds),
        )
        await store.create_indexes()
        bus = Bus(str(settings.amqp_url), settings.exchange)
        await bus.connect()
        app[STORE], app[BUS], app[STATS] = store, bus, StatsCache(store)
        await bus.consume(
            "counter", {PageViewed: partial(record_views, store)}, prefetch=settings.prefetch
        )
        checks.update(mongodb=mongo_check(client), rabbitmq=bus_check(bus))
        yield
        await bus.close()
        await client.close()

    app.cleanup_ctx.append(lifecycle)
    add_ops_routes(app, checks)
    app.router.add_get("/stats", views.get_stats)
    app.router.add_get("/stats/articles/{article_id}", views.get_article_views)
    return app
