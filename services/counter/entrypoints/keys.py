"""Typed keys for what the counter app keeps in its state."""

from aiohttp import web

from services.counter.config import CounterSettings
from services.counter.reader import StatsReader
from services.counter.store import StatsStore

SETTINGS = web.AppKey("settings", CounterSettings)
STORE = web.AppKey("store", StatsStore)
READER = web.AppKey("reader", StatsReader)
CLOSING = web.AppKey("closing", list)  # set when the server shuts down: streams end
