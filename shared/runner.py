"""Start a service process: load settings (or stop naming the bad variable), log, serve."""

from collections.abc import Callable
from typing import TypeVar

import structlog
from aiohttp import web

from shared.logs import configure_logging
from shared.settings import ServiceSettings, load_settings

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


def run_service(
    name: str,
    settings_class: type[SettingsT],
    create_app: Callable[[SettingsT], web.Application],
) -> None:
    settings = load_settings(settings_class)
    configure_logging(name, settings.log_level)
    log = structlog.get_logger(__name__)
    log.info("service.starting", host=settings.http_host, port=settings.http_port)
    # shutdown_timeout: in-flight requests and consumers get time to finish and ack.
    web.run_app(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        print=None,
        access_log=None,  # the error middleware logs each request as JSON, with its id
        shutdown_timeout=15,
    )
    log.info("service.stopped")
