"""The content app factory: wires the store, the read cache, the bus, the outbox relay, the
scheduler and the beacon batcher into aiohttp."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import aiohttp_jinja2
import jinja2
from aiohttp import web

from services.content.auth import EditorTokens
from services.content.beacon_limits import BeaconLimits
from services.content.beacons import ViewBatcher
from services.content.config import ContentSettings
from services.content.deliveries import Deliveries
from services.content.http_cache import ResponseCache
from services.content.keys import (
    BATCHER,
    BEACON_LIMITS,
    BUS,
    DELIVERIES,
    READER,
    RELAY,
    RESPONSES,
    SCHEDULER,
    SETTINGS,
    STORE,
    TOKENS,
    VISITORS,
    WORKFLOW,
)
from services.content.outbox import OutboxRelay
from services.content.pages import add_page_routes
from services.content.reader import ArticleReader
from services.content.routes import add_api_routes
from services.content.schedule import ScheduleBook
from services.content.scheduler import Scheduler
from services.content.store import ArticleStore
from services.content.view_spool import ViewSpool
from services.content.visitors import VisitorHasher
from services.content.workflow import Workflow
from shared.contracts.events import ArticlePublished, ArticleUnpublished, ArticleUpdated, Envelope
from shared.platform.background import Supervisor
from shared.platform.db import TRANSIENT_ERRORS
from shared.platform.http import ReadinessCheck, add_ops_routes, make_app
from shared.platform.lifecycle import connections
from shared.platform.quarantine import Quarantine

TEMPLATES = Path(__file__).parent / "templates"


def create_app(settings: ContentSettings) -> web.Application:
    app = make_app(transient=TRANSIENT_ERRORS)
    app[SETTINGS] = settings
    app[BEACON_LIMITS] = BeaconLimits(
        settings.beacons_per_minute,
        settings.beacon_burst,
        settings.visitors_per_address_per_hour,
    )
    aiohttp_jinja2.setup(
        app, loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=jinja2.select_autoescape()
    )
    supervisor = Supervisor()
    checks: dict[str, ReadinessCheck] = {}

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        async with connections(settings, checks) as (db, bus), aiohttp.ClientSession() as http:
            notifier_url, token = settings.notifier_url, settings.admin_token
            app[DELIVERIES] = Deliveries(
                http,
                str(notifier_url) if notifier_url else None,
                token.get_secret_value() if token else None,
            )
            store = ArticleStore(db, str(settings.public_url))
            await store.register_slugs()
            book = ScheduleBook(db, settings.schedule_lease_seconds)
            workflow = Workflow(store, book)
            reader = ArticleReader(store, settings.cache_reload_seconds)
            await reader.load_all()
            quarantine = Quarantine(db)
            relay = OutboxRelay(store, bus, quarantine, settings.outbox_poll_seconds)

            async def published_by_scheduler(article_id: str) -> None:
                await reader.refresh(article_id)
                relay.wake(article_id)

            scheduler = Scheduler(
                store,
                book,
                workflow,
                settings.schedule_poll_seconds,
                repair_seconds=settings.schedule_lease_seconds,
                on_change=published_by_scheduler,
            )
            spool = ViewSpool(db, bus, quarantine, settings.spool_poll_seconds)
            batcher = ViewBatcher(bus, spool, settings.view_batch_window_ms / 1000)
            app[STORE], app[BUS], app[RELAY], app[WORKFLOW] = store, bus, relay, workflow
            app[READER], app[SCHEDULER], app[BATCHER] = reader, scheduler, batcher
            app[RESPONSES] = ResponseCache(reader, settings.public_max_age)
            app[TOKENS] = EditorTokens(db, settings.editor_token.get_secret_value())
            app[VISITORS] = VisitorHasher(db, settings.site_id, settings.zone)

            # Every replica hears every article event (its own queue) and re-reads that
            # article, so an edit made anywhere shows everywhere as soon as it is relayed.
            async def on_article_event(envelope: Envelope[Any]) -> None:
                await reader.refresh(envelope.data.article_id)

            await bus.consume_broadcast(
                dict.fromkeys(
                    (ArticlePublished, ArticleUpdated, ArticleUnpublished), on_article_event
                )
            )
            batcher.start()
            supervisor.start("outbox-relay", relay.run())
            supervisor.start("scheduler", scheduler.run())
            supervisor.start("cache-reload", reader.run())
            supervisor.start("view-spool", spool.run())
            checks["tasks"] = supervisor.check
            yield
            await batcher.close()
            await supervisor.stop()

    app.cleanup_ctx.append(lifecycle)
    add_ops_routes(app, checks)
    add_api_routes(app)
    add_page_routes(app)
    return app
