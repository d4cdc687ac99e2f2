"""The content service's composition root: builds the store, the read cache, the use cases,
the outbox relay, the scheduler and the beacon path, and hands them to the entry points."""

from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

import aiohttp
import aiohttp_jinja2
import jinja2
from aiohttp import web
from pymongo.asynchronous.database import AsyncDatabase

from services.content.adapters import announced
from services.content.adapters.beacons import ViewBatcher
from services.content.adapters.deliveries import Deliveries
from services.content.adapters.editors import EditorTokens
from services.content.adapters.outbox import OutboxRelay
from services.content.adapters.passwords import Passwords
from services.content.adapters.schedule import ScheduleBook
from services.content.adapters.staff import StaffStore
from services.content.adapters.store import ArticleStore
from services.content.adapters.view_spool import ViewSpool
from services.content.adapters.visitors import TrustedProxies, VisitorHasher
from services.content.config import ContentSettings
from services.content.domain.events import PRODUCER
from services.content.entrypoints import consumers
from services.content.entrypoints.auth import AUTH, Authenticator
from services.content.entrypoints.beacon_limits import BeaconLimits
from services.content.entrypoints.http_cache import ResponseCache
from services.content.entrypoints.keys import (
    ACCOUNTS,
    BATCHER,
    BEACON_LIMITS,
    BUS,
    DELIVERIES,
    READER,
    RELAY,
    RESPONSES,
    REVISIONS,
    SCHEDULER,
    SECTIONS,
    SETTINGS,
    SITE,
    STORE,
    TOKENS,
    TRUSTED,
    VISITORS,
    WORKFLOW,
)
from services.content.entrypoints.old_addresses import add_old_address_route
from services.content.entrypoints.pages import add_page_routes
from services.content.entrypoints.routes import add_api_routes
from services.content.entrypoints.staff_pages import add_staff_pages
from services.content.photos.keys import PHOTOS
from services.content.photos.library import build_photos
from services.content.usecases.accounts import Accounts
from services.content.usecases.announced import Announced
from services.content.usecases.editing import Workflow
from services.content.usecases.reading import ArticleReader
from services.content.usecases.revisions import RevisionHistory
from services.content.usecases.scheduling import Scheduler
from shared.contracts.errors import Unavailable
from shared.contracts.events import new_envelope
from shared.contracts.sections import STARTER, SectionsChanged
from shared.contracts.site import SiteUpdated
from shared.contracts.staff import StaffMailRequested
from shared.platform.background import Supervisor
from shared.platform.bus import Bus, PublishFailed
from shared.platform.db import TRANSIENT_ERRORS, Document
from shared.platform.http import FRONT, ReadinessCheck, add_ops_routes, make_app
from shared.platform.lifecycle import connections
from shared.platform.quarantine import Quarantine

TEMPLATES = Path(__file__).parent / "templates"


def create_app(settings: ContentSettings) -> web.Application:
    app = make_app(transient=TRANSIENT_ERRORS)
    app[SETTINGS] = settings
    app[TRUSTED] = TrustedProxies(settings.trusted_proxies)
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
            await _build(app, settings, db, bus, http, supervisor)
            await consumers.subscribe(bus, app[READER], app[SITE], app[SECTIONS])
            app[BATCHER].start()
            checks["tasks"] = supervisor.check
            yield
            await app[BATCHER].close()
            await supervisor.stop()

    app.cleanup_ctx.append(lifecycle)
    add_ops_routes(app, checks)
    add_api_routes(app)
    add_page_routes(app)
    add_staff_pages(app)
    add_old_address_route(app)  # last: it takes every path the others did not
    return app


async def publish_staff_mail(bus: Bus, mail: StaffMailRequested) -> None:
    """Answered only once the broker has the mail's event: an accepted invitation is mailed."""
    try:
        await bus.publish(new_envelope(mail, PRODUCER))
    except PublishFailed:
        raise Unavailable("the email could not be queued now; try again in a moment") from None


async def _build(
    app: web.Application,
    settings: ContentSettings,
    db: AsyncDatabase[Document],
    bus: Bus,
    http: aiohttp.ClientSession,
    supervisor: Supervisor,
) -> None:
    """Every part, made once per process, and its background task started."""
    notifier_url, token = settings.notifier_url, settings.admin_token
    app[DELIVERIES] = Deliveries(
        http,
        str(notifier_url) if notifier_url else None,
        token.get_secret_value() if token else None,
    )
    store = ArticleStore(db, str(settings.public_url))
    await store.register_slugs()
    site = Announced(
        announced.site_identity(db),
        settings.default_identity(),
        lambda revision, identity: SiteUpdated(revision=revision, identity=identity),
        bus,
        settings.site_poll_seconds,
    )
    sections = Announced(
        announced.sections(db),
        STARTER,
        lambda revision, catalogue: SectionsChanged(revision=revision, catalogue=catalogue),
        bus,
        settings.site_poll_seconds,
    )
    await site.refresh()
    await sections.refresh()
    reader = ArticleReader(store, settings.cache_reload_seconds, lambda: sections.current)
    sections.on_change(reader.rebuild)  # every summary names its section
    await reader.load_all()
    quarantine = Quarantine(db)
    relay = OutboxRelay(store, bus, quarantine, settings.outbox_poll_seconds)
    book = ScheduleBook(db, settings.schedule_lease_seconds)
    workflow = Workflow(store, book, reader, relay, lambda: sections.current)
    scheduler = Scheduler(
        store,
        book,
        workflow,
        settings.schedule_poll_seconds,
        repair_seconds=settings.schedule_lease_seconds,
    )
    spool = ViewSpool(db, bus, quarantine, settings.spool_poll_seconds)
    app[STORE], app[BUS], app[RELAY], app[WORKFLOW] = store, bus, relay, workflow
    app[READER], app[SCHEDULER] = reader, scheduler
    app[BATCHER] = ViewBatcher(bus, spool, settings.view_batch_window_ms / 1000)
    app[SITE], app[SECTIONS] = site, sections
    app[RESPONSES] = ResponseCache(
        reader, settings.public_max_age, lambda: (site.revision, sections.revision)
    )
    app[FRONT] = app[RESPONSES].front  # a current cached read skips routing and middleware
    tokens = EditorTokens(db)
    accounts = Accounts(
        StaffStore(db),
        Passwords(),
        partial(publish_staff_mail, bus),
        settings.public_base,
        settings.editor_token.get_secret_value(),
    )
    app[TOKENS], app[ACCOUNTS] = tokens, accounts
    app[AUTH] = Authenticator(
        tokens, accounts, secure_cookies=settings.public_base.startswith("https:")
    )
    app[REVISIONS] = RevisionHistory(store, workflow)
    app[PHOTOS] = build_photos(db)
    app[VISITORS] = VisitorHasher(db, settings.site_id, settings.zone)
    supervisor.start("outbox-relay", relay.run())
    supervisor.start("scheduler", scheduler.run())
    supervisor.start("cache-reload", reader.run())
    supervisor.start("view-spool", spool.run())
    supervisor.start("staff-expiry", accounts.run())
    supervisor.start("site-identity", site.run())
    supervisor.start("sections", sections.run())
