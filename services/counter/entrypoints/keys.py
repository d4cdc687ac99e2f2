"""Typed keys for what the counter app keeps in its state."""

from aiohttp import web

from services.counter.adapters.dashboard import DashboardStore
from services.counter.adapters.reader import StatsReader
from services.counter.adapters.store import StatsStore
from services.counter.config import CounterSettings
from services.counter.entrypoints.streams import WidgetStreams

SETTINGS = web.AppKey("settings", CounterSettings)
STORE = web.AppKey("store", StatsStore)
READER = web.AppKey("reader", StatsReader)
STREAMS = web.AppKey("streams", WidgetStreams)
DASHBOARD = web.AppKey("dashboard", DashboardStore)
