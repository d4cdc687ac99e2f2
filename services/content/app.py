"""The content app factory: wires the store, the bus and the outbox relay into aiohttp."""

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from services.content import views
from services.content.config import ContentSettings
from services.content.keys import BUS, RELAY, SETTINGS, STORE, VISITORS
from services.content.outbox import OutboxRelay
from services.content.pages import add_page_routes
from services.content.store import ArticleStore
from services.content.visitors import VisitorHasher
from shared.background import Supervisor
from shared.http import ReadinessCheck, add_ops_routes, make_app
from shared.lifecycle import connections

TEMPLATES = Path(__file__).parent / "templates"


def create_app(settings: ContentSettings) -> web.Application:
    app = make_app()
    app[SETTINGS] = settings
    aiohttp_jinja2.setup(
        app, loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=jinja2.select_autoescape()
    )
    supervisor = Supervisor()
    checks: dict[str, ReadinessCheck] = {}

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        async with connections(settings, checks) as (db, bus):
            store = ArticleStore(db, str(settings.public_url))
            await store.create_indexes()
            relay = OutboxRelay(store, bus, settings.outbox_poll_seconds)
            app[STORE], app[BUS], app[RELAY] = store, bus, relay
            app[VISITORS] = VisitorHasher(db, settings.site_id, settings.zone)
            supervisor.start("outbox-relay", relay.run())
            checks["tasks"] = supervisor.check
            yield
            await supervisor.stop()

    app.cleanup_ctx.append(lifecycle)
    add_ops_routes(app, checks)
    app.router.add_post("/api/articles", views.create_article)
    app.router.add_get("/api/articles", views.list_articles)
    app.router.add_get("/api/articles/{slug}", views.get_article)
    app.router.add_post("/api/articles/{article_id}/publish", views.publish_article)
    app.router.add_post("/api/views", views.record_view)
    add_page_routes(app)
    return app
