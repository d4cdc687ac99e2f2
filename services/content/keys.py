"""Typed keys for what the content app keeps in its state."""

from aiohttp import web

from services.content.auth import EditorTokens
from services.content.beacon_limits import BeaconLimits
from services.content.beacons import ViewBatcher
from services.content.config import ContentSettings
from services.content.deliveries import Deliveries
from services.content.http_cache import ResponseCache
from services.content.outbox import OutboxRelay
from services.content.reader import ArticleReader
from services.content.scheduler import Scheduler
from services.content.store import ArticleStore
from services.content.visitors import VisitorHasher
from services.content.workflow import Workflow
from shared.platform.bus import Bus

SETTINGS = web.AppKey("settings", ContentSettings)
STORE = web.AppKey("store", ArticleStore)
BUS = web.AppKey("bus", Bus)
RELAY = web.AppKey("relay", OutboxRelay)
VISITORS = web.AppKey("visitors", VisitorHasher)
# The cached read side, for the JSON API and the pages alike.
READER = web.AppKey("reader", ArticleReader)
RESPONSES = web.AppKey("responses", ResponseCache)
WORKFLOW = web.AppKey("workflow", Workflow)
TOKENS = web.AppKey("tokens", EditorTokens)
BATCHER = web.AppKey("batcher", ViewBatcher)
BEACON_LIMITS = web.AppKey("beacon_limits", BeaconLimits)
DELIVERIES = web.AppKey("deliveries", Deliveries)
SCHEDULER = web.AppKey("scheduler", Scheduler)
