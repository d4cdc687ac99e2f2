"""Typed keys for what the counter app keeps in its state."""

from aiohttp import web

from services.counter.adapters.reader import StatsReader
from services.counter.adapters.store import StatsStore
from services.counter.config import CounterSettings

SETTINGS = web.AppKey("settings", CounterSettings)
STORE = web.AppKey("store", StatsStore)
READER = web.AppKey("reader", StatsReader)
CLOSING = web.AppKey("closing", list)  # set when the server shuts down: streams end
