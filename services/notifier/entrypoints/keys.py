"""Typed keys for what the notifier app keeps in its state."""

from aiohttp import web

from services.notifier.adapters.deliveries import DeliveryStore
from services.notifier.adapters.smtp import Sender
from services.notifier.adapters.store import SubscriberStore, SuppressionStore
from services.notifier.config import NotifierSettings
from services.notifier.domain.compose import Composer
from services.notifier.entrypoints.ratelimit import SignupLimits
from services.notifier.entrypoints.ttlcache import TtlCache
from services.notifier.schemas import DeliveryStatus
from services.notifier.usecases.copies import AnnouncedCopy
from services.notifier.usecases.fanout import FanOut
from services.notifier.usecases.migration import Migration
from services.notifier.usecases.signups import Signups
from services.notifier.usecases.subscriptions import Subscriptions
from shared.contracts.sections import SectionCatalogue
from shared.contracts.site import SiteIdentity
from shared.platform.background import TaskSet

SETTINGS = web.AppKey("settings", NotifierSettings)
SUBSCRIBERS = web.AppKey("subscribers", SubscriberStore)
SUPPRESSIONS = web.AppKey("suppressions", SuppressionStore)
DELIVERIES = web.AppKey("deliveries", DeliveryStore)
COMPOSER = web.AppKey("composer", Composer)
SENDER = web.AppKey("sender", Sender)
FANOUT = web.AppKey("fanout", FanOut)
LIMITS = web.AppKey("limits", SignupLimits)
SIDE_TASKS = web.AppKey("side_tasks", TaskSet)
SIGNUPS = web.AppKey("signups", Signups)
SUBSCRIPTIONS = web.AppKey("subscriptions", Subscriptions)
MIGRATION = web.AppKey("migration", Migration)
STATUS_CACHE = web.AppKey("status_cache", TtlCache[DeliveryStatus])
# What content announces, as this notifier keeps it (usecases/copies.py).
SITE: web.AppKey[AnnouncedCopy[SiteIdentity]] = web.AppKey("site", AnnouncedCopy)
SECTIONS: web.AppKey[AnnouncedCopy[SectionCatalogue]] = web.AppKey("sections", AnnouncedCopy)
