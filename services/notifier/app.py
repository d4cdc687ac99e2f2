"""The notifier app factory: the fan-out and delivery consumers, and the HTTP API."""

from collections.abc import AsyncIterator
from datetime import timedelta

from aiohttp import web

from services.notifier.api import add_routes
from services.notifier.compose import Composer
from services.notifier.config import NotifierSettings
from services.notifier.deliveries import DeliveryStore
from services.notifier.fanout import FanOut
from services.notifier.keys import (
    COMPOSER,
    DELIVERIES,
    FANOUT,
    LIMITS,
    SENDER,
    SETTINGS,
    SIDE_TASKS,
    SIGNUPS,
    STATUS_CACHE,
    SUBSCRIBERS,
    SUPPRESSIONS,
)
from services.notifier.models import DeliveryJob
from services.notifier.ratelimit import SignupLimits
from services.notifier.sending import Deliverer
from services.notifier.signup_store import ConfirmationMails, SignupInbox
from services.notifier.signups import Signups
from services.notifier.smtp import Sender
from services.notifier.store import Blocklist, SubscriberStore, SuppressionStore
from services.notifier.ttlcache import TtlCache
from shared.contracts.events import ArticlePublished
from shared.platform.background import Supervisor, TaskSet
from shared.platform.db import TRANSIENT_ERRORS
from shared.platform.http import ReadinessCheck, add_ops_routes, make_app
from shared.platform.lifecycle import connections


def create_app(settings: NotifierSettings) -> web.Application:
    app = make_app(transient=TRANSIENT_ERRORS)
    app[SETTINGS] = settings
    app[LIMITS] = SignupLimits(settings.signups_per_ip_per_hour, settings.trust_forwarded_for)
    app[STATUS_CACHE] = TtlCache()
    supervisor = Supervisor()
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
            mails = ConfirmationMails(
                db,
                timedelta(minutes=settings.confirmation_interval_minutes),
                settings.confirmations_per_address_per_day,
                settings.zone,
            )
            app[SIGNUPS] = Signups(
                settings, SignupInbox(db), mails, subscribers, suppressions, composer, sender
            )
            app[SIDE_TASKS] = TaskSet()
            checks["smtp"] = sender.check
            await bus.consume("notifier", {ArticlePublished: fanout.handle}, prefetch=1)
            # The work queue every replica takes delivery jobs from.
            await bus.consume(
                "notifier.deliveries", {DeliveryJob: deliverer.handle}, prefetch=settings.prefetch
            )
            # Sign-ups that no replica finished (one died after answering) are taken over.
            supervisor.start("signup-sweep", app[SIGNUPS].run())
            checks["tasks"] = supervisor.check
            yield
            await supervisor.stop()
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
