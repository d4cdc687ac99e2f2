"""The notifier's composition root: stores, use cases, consumers and routes, and their lifecycle."""

from collections.abc import AsyncIterator
from datetime import timedelta
from functools import partial

from aiohttp import web
from pymongo.asynchronous.database import AsyncDatabase

from services.notifier.adapters.deliveries import DeliveryStore
from services.notifier.adapters.signup_store import ConfirmationMails, SignupInbox
from services.notifier.adapters.smtp import Sender
from services.notifier.adapters.store import Blocklist, SubscriberStore, SuppressionStore
from services.notifier.config import NotifierSettings
from services.notifier.domain.compose import Composer
from services.notifier.entrypoints.consumers import consume
from services.notifier.entrypoints.keys import (
    COMPOSER,
    DELIVERIES,
    FANOUT,
    LIMITS,
    MIGRATION,
    SECTIONS,
    SENDER,
    SETTINGS,
    SIDE_TASKS,
    SIGNUPS,
    SITE,
    STATUS_CACHE,
    SUBSCRIBERS,
    SUBSCRIPTIONS,
    SUPPRESSIONS,
)
from services.notifier.entrypoints.ratelimit import SignupLimits
from services.notifier.entrypoints.routes import add_routes
from services.notifier.entrypoints.ttlcache import TtlCache
from services.notifier.usecases.copies import AnnouncedCopy
from services.notifier.usecases.delivery import Deliverer
from services.notifier.usecases.fanout import FanOut
from services.notifier.usecases.migration import Migration
from services.notifier.usecases.signups import Signups
from services.notifier.usecases.staff_mail import StaffMail
from services.notifier.usecases.subscriptions import Subscriptions
from shared.contracts.sections import STARTER, SectionCatalogue
from shared.contracts.site import SiteIdentity
from shared.platform.background import Supervisor, TaskSet
from shared.platform.bus import Bus
from shared.platform.db import TRANSIENT_ERRORS, Document
from shared.platform.http import ReadinessCheck, add_ops_routes, make_app
from shared.platform.lifecycle import connections


def create_app(settings: NotifierSettings) -> web.Application:
    app = make_app(transient=TRANSIENT_ERRORS)
    app[SETTINGS] = settings
    app[LIMITS] = SignupLimits(settings.signups_per_ip_per_hour, settings.trust_forwarded_for)
    app[STATUS_CACHE] = TtlCache()
    checks: dict[str, ReadinessCheck] = {}
    app.on_shutdown.append(_drain)
    app.cleanup_ctx.append(partial(_lifecycle, settings, checks))
    add_ops_routes(app, checks)
    add_routes(app)
    return app


async def _lifecycle(
    settings: NotifierSettings, checks: dict[str, ReadinessCheck], app: web.Application
) -> AsyncIterator[None]:
    sender = Sender(settings)
    supervisor = Supervisor()
    async with connections(settings, checks) as (db, bus):
        deliverer = _wire(app, settings, db, bus, sender)
        checks["smtp"] = sender.check
        await app[SITE].refresh()
        await app[SECTIONS].refresh()
        site = app[SITE]
        staff_mail = StaffMail(
            db["staff_mail_sent"],
            sender,
            settings.mail_from,
            app[COMPOSER].domain,
            lambda: site.current,
        )
        await consume(
            bus, app[FANOUT], deliverer, staff_mail, site, app[SECTIONS], settings.prefetch
        )
        supervisor.start("site-identity", app[SITE].run())
        supervisor.start("sections", app[SECTIONS].run())
        # Sign-ups that no replica finished (one died after answering) are taken over.
        supervisor.start("signup-sweep", app[SIGNUPS].run())
        checks["tasks"] = supervisor.check
        yield
        await supervisor.stop()
        await app[SIDE_TASKS].wait()
    await sender.close()


def _wire(
    app: web.Application,
    settings: NotifierSettings,
    db: AsyncDatabase[Document],
    bus: Bus,
    sender: Sender,
) -> Deliverer:
    """Build the stores and use cases, keep what the handlers use in the app's state, and
    return the deliverer, which only the bus uses."""
    lease = timedelta(seconds=settings.claim_lease_seconds)
    subscribers, suppressions = SubscriberStore(db), SuppressionStore(db)
    deliveries = DeliveryStore(db, lease, settings.record_linger_ms / 1000)
    site = app[SITE] = AnnouncedCopy(db, "site_identity", SiteIdentity, settings.default_identity())
    sections = app[SECTIONS] = AnnouncedCopy(db, "section_catalogue", SectionCatalogue, STARTER)
    composer = Composer(settings, lambda: site.current)
    app[SUBSCRIBERS], app[SUPPRESSIONS], app[DELIVERIES] = subscribers, suppressions, deliveries
    app[COMPOSER], app[SENDER], app[SIDE_TASKS] = composer, sender, TaskSet()
    app[FANOUT] = FanOut(
        settings, subscribers, suppressions, deliveries, bus, lambda: sections.current
    )
    app[SUBSCRIPTIONS] = Subscriptions(subscribers, suppressions)
    app[MIGRATION] = Migration(subscribers, suppressions, settings.zone, lambda: sections.current)
    mails = ConfirmationMails(
        db,
        timedelta(minutes=settings.confirmation_interval_minutes),
        settings.confirmations_per_address_per_day,
        settings.zone,
    )
    inbox = SignupInbox(db, lease)
    app[SIGNUPS] = Signups(
        settings, inbox, mails, subscribers, suppressions, composer, sender, app[SIDE_TASKS]
    )
    blocklist = Blocklist(subscribers, suppressions)
    return Deliverer(settings, deliveries, suppressions, blocklist, composer, sender)


async def _drain(app: web.Application) -> None:
    # Before the bus waits for the jobs in flight: they finish their current sends only.
    if SENDER in app:
        app[SENDER].drain()
