"""Typed keys for what the notifier app keeps in its state."""

from aiohttp import web

from services.notifier.config import NotifierSettings
from services.notifier.mailer import Composer, Mailer
from services.notifier.store import DeliveryStore, SubscriberStore
from shared.background import TaskSet

SETTINGS = web.AppKey("settings", NotifierSettings)
SUBSCRIBERS = web.AppKey("subscribers", SubscriberStore)
DELIVERIES = web.AppKey("deliveries", DeliveryStore)
COMPOSER = web.AppKey("composer", Composer)
MAILER = web.AppKey("mailer", Mailer)
SIDE_TASKS = web.AppKey("side_tasks", TaskSet)
