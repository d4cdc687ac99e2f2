"""Start a service process: load settings (or stop naming the bad variable), log, serve, and
on SIGTERM drain: /readyz answers 503 at once, the listening socket closes, the connections
already accepted get a moment for their requests to arrive, and what is in flight finishes
(15 s at most) before the bus and the database close.

A replica being replaced stays in the gateway's DNS answer until its container exits, so
requests keep arriving while it stops. Those that find the socket closed are sent to
another replica by the gateway (nothing reached this one). A request the kernel had already
queued when the socket closed is reset after the gateway sent it; the gateway sends a GET,
or a beacon, which carries an id that the counter counts once, to another replica, and
nothing else (see gateway/portal.conf.template).
"""

import asyncio
import signal
from collections.abc import Callable
from typing import TypeVar

import structlog
from aiohttp import web

from shared.platform.access_log import ACCESS_LOG
from shared.platform.http import DRAINING, install_front
from shared.platform.logs import configure_logging
from shared.platform.memory import release_free_memory
from shared.platform.settings import ServiceSettings, load_settings

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)
LISTEN_BACKLOG = 4096

SHUTDOWN_TIMEOUT = 15.0  # in-flight requests and consumers get this long to finish and ack
# aiohttp closes at once a connection whose request it has not read yet; the gateway sends
# its request right after connecting, so a second after the socket closed, every accepted
# connection has its request in hand, and what is closed then is truly idle.
SETTLE_SECONDS = 1.0

log = structlog.get_logger(__name__)


def run_service(
    name: str,
    settings_class: type[SettingsT],
    create_app: Callable[[SettingsT], web.Application],
) -> None:
    settings = load_settings(settings_class)
    configure_logging(name, settings.log_level)
    log.info("service.starting", host=settings.http_host, port=settings.http_port)
    try:
        asyncio.run(serve(create_app(settings), settings.http_host, settings.http_port))
    finally:
        ACCESS_LOG.flush()
    log.info("service.stopped")


async def serve(app: web.Application, host: str, port: int) -> None:
    """Serve until SIGTERM or SIGINT, then drain (see the module's docstring)."""
    # access_log: the error middleware logs each request (shared/platform/access_log.py).
    runner = web.AppRunner(
        app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT
    )
    await runner.setup()
    assert runner.server is not None  # made by setup()
    install_front(app, runner.server)
    # A burst of connections (thousands of widget streams reconnecting after a restart)
    # overflows aiohttp's default accept queue of 128, and the kernel drops the excess.
    site = web.TCPSite(runner, host, port, backlog=LISTEN_BACKLOG)
    await site.start()
    release_free_memory()  # what starting up allocated once and freed
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
        log.info("service.draining")
        app[DRAINING].set()
        await site.stop()
        await asyncio.sleep(SETTLE_SECONDS)
    finally:
        await runner.cleanup()
