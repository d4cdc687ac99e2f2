"""The notifier app factory: the fan-out and delivery consumers, and the HTTP API."""

import asyncio
from collections.abc import AsyncIterator

from aiohttp import web

from services.notifier.api import add_routes
from services.notifier.compose import Composer
from services.notifier.config import NotifierSettings
from services.notifier.deliveries import DeliveryStore
from services.notifier.fanout import FanOut
from services.notifier.keys import (
    COMPOSER,
    CONFIRMATION_LOCK,
    DELIVERIES,
    FANOUT,
    LIMITS,
    SENDER,
    SETTINGS,
    SIDE_TASKS,
    STATUS_CACHE,
    SUBSCRIBERS,
    SUPPRESSIONS,
)
from services.notifier.models import DeliveryJob
from services.notifier.ratelimit import SignupLimits
from services.notifier.sending import Deliverer
from services.notifier.smtp import Sender
from services.notifier.store import Blocklist, SubscriberStore, SuppressionStore
from services.notifier.ttlcache import TtlCache
from shared.background import TaskSet
from shared.events import ArticlePublished
from shared.http import ReadinessCheck, add_ops_routes, make_app
from shared.lifecycle import connections


def create_app(settings: NotifierSettings) -> web.Application:
    app = make_app()
    app[SETTINGS] = settings
    app[LIMITS] = SignupLimits(
        settings.signups_per_ip_per_hour,
        settings.signups_per_address_per_hour,
        settings.trust_forwarded_for,
    )
    app[STATUS_CACHE] = TtlCache()
    app[CONFIRMATION_LOCK] = asyncio.Lock()
    checks: dict[str, ReadinessCheck] = {}

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        sender = Sender(settings)
        async with connections(settings, checks) as (db, bus):
            subscribers, suppressions = SubscriberStore(db), SuppressionStore(db)
            deliveries = DeliveryStore(db, settings.record_linger_ms / 1000)
            composer = Composer(settings)
            fanout = FanOut(settings, subscribers, suppressions, deliveries, bus)
            deliverer = Deliverer(
                settings,
                deliveries,
                suppressions,
                Blocklist(subscribers, suppressions),
                composer,
                sender,
            )
            app[SUBSCRIBERS], app[SUPPRESSIONS], app[DELIVERIES] = (
                subscribers,
                suppressions,
                deliveries,
            )
            app[COMPOSER], app[SENDER], app[FANOUT] = composer, sender, fanout
            app[SIDE_TASKS] = TaskSet()
            checks["smtp"] = sender.check
            await bus.consume("notifier", {ArticlePublished: fanout.handle}, prefetch=1)
            # The work queue every replica takes delivery jobs from.
            await bus.consume(
                "notifier.deliveries", {DeliveryJob: deliverer.handle}, prefetch=settings.prefetch
            )
            yield
            await app[SIDE_TASKS].wait()
        await sender.close()

    async def drain(app: web.Application) -> None:
        # Before the bus waits for the jobs in flight: they finish their current sends only.
        if SENDER in app:
            app[SENDER].drain()

    app.on_shutdown.append(drain)
    app.cleanup_ctx.append(lifecycle)
    add_ops_routes(app, checks)
    add_routes(app)
    return app
