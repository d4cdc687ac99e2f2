"""Typed keys for what the counter app keeps in its state."""

from aiohttp import web

from services.counter.config import CounterSettings
from services.counter.stats_cache import StatsCache
from services.counter.store import ViewStore

SETTINGS = web.AppKey("settings", CounterSettings)
STORE = web.AppKey("store", ViewStore)
STATS = web.AppKey("stats", StatsCache)
