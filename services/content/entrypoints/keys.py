"""Typed keys for what the content app keeps in its state."""

from aiohttp import web

from services.content.adapters.beacons import ViewBatcher
from services.content.adapters.deliveries import Deliveries
from services.content.adapters.editors import EditorTokens
from services.content.adapters.outbox import OutboxRelay
from services.content.adapters.store import ArticleStore
from services.content.adapters.visitors import TrustedProxies, VisitorHasher
from services.content.config import ContentSettings
from services.content.entrypoints.beacon_limits import BeaconLimits
from services.content.entrypoints.http_cache import ResponseCache
from services.content.usecases.accounts import Accounts
from services.content.usecases.announced import Announced
from services.content.usecases.editing import Workflow
from services.content.usecases.reading import ArticleReader
from services.content.usecases.revisions import RevisionHistory
from services.content.usecases.scheduling import Scheduler
from shared.contracts.sections import SectionCatalogue
from shared.contracts.site import SiteIdentity
from shared.platform.bus import Bus

SETTINGS = web.AppKey("settings", ContentSettings)
STORE = web.AppKey("store", ArticleStore)
BUS = web.AppKey("bus", Bus)
RELAY = web.AppKey("relay", OutboxRelay)
VISITORS = web.AppKey("visitors", VisitorHasher)
# TRUSTED_PROXIES, made once: whose X-Forwarded-For is believed.
TRUSTED = web.AppKey("trusted", TrustedProxies)
# The cached read side, for the JSON API and the pages alike.
READER = web.AppKey("reader", ArticleReader)
RESPONSES = web.AppKey("responses", ResponseCache)
WORKFLOW = web.AppKey("workflow", Workflow)
TOKENS = web.AppKey("tokens", EditorTokens)
ACCOUNTS = web.AppKey("accounts", Accounts)
REVISIONS = web.AppKey("revisions", RevisionHistory)
BATCHER = web.AppKey("batcher", ViewBatcher)
BEACON_LIMITS = web.AppKey("beacon_limits", BeaconLimits)
DELIVERIES = web.AppKey("deliveries", Deliveries)
SCHEDULER = web.AppKey("scheduler", Scheduler)
# Settings administrators change and content announces (usecases/announced.py).
SITE: web.AppKey[Announced[SiteIdentity]] = web.AppKey("site", Announced)
SECTIONS: web.AppKey[Announced[SectionCatalogue]] = web.AppKey("sections", Announced)
