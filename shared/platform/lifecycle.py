"""What every service opens at start and closes at shutdown: its database and the bus."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from shared.platform.bus import Bus
from shared.platform.db import TRANSIENT_ERRORS, Document, make_client
from shared.platform.http import ReadinessCheck
from shared.platform.settings import ServiceSettings


@asynccontextmanager
async def connections(
    settings: ServiceSettings, checks: dict[str, ReadinessCheck]
) -> AsyncIterator[tuple[AsyncDatabase[Document], Bus]]:
    """Connect, register both with /readyz, and close the bus before the database."""
    client = make_client(str(settings.mongo_url))
    bus = Bus(str(settings.amqp_url), settings.exchange, transient=TRANSIENT_ERRORS)
    try:
        await bus.connect()
        checks.update(mongodb=_mongo_check(client), rabbitmq=_bus_check(bus))
        yield client[settings.mongo_db], bus
    finally:
        # The bus first: its in-flight handlers still need the database to finish.
        await bus.close()
        await client.close()


def _mongo_check(client: AsyncMongoClient[Document]) -> ReadinessCheck:
    async def check() -> None:
        await client.admin.command("ping")

    return check


def _bus_check(bus: Bus) -> ReadinessCheck:
    async def check() -> None:
        if not bus.is_connected:
            raise RuntimeError("not connected to RabbitMQ")

    return check
