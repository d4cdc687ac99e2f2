"""Typed keys for what the notifier app keeps in its state."""

from aiohttp import web

from services.notifier.compose import Composer
from services.notifier.config import NotifierSettings
from services.notifier.deliveries import DeliveryStore
from services.notifier.fanout import FanOut
from services.notifier.models import DeliveryStatus
from services.notifier.ratelimit import SignupLimits
from services.notifier.signups import Signups
from services.notifier.smtp import Sender
from services.notifier.store import SubscriberStore, SuppressionStore
from services.notifier.ttlcache import TtlCache
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
STATUS_CACHE = web.AppKey("status_cache", TtlCache[DeliveryStatus])
