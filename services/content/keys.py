"""Typed keys for what the content app keeps in its state."""

from aiohttp import web

from services.content.config import ContentSettings
from services.content.outbox import OutboxRelay
from services.content.store import ArticleStore
from services.content.visitors import VisitorHasher
from shared.bus import Bus

SETTINGS = web.AppKey("settings", ContentSettings)
STORE = web.AppKey("store", ArticleStore)
BUS = web.AppKey("bus", Bus)
RELAY = web.AppKey("relay", OutboxRelay)
VISITORS = web.AppKey("visitors", VisitorHasher)
