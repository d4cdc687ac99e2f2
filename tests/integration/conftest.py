"""Integration fixtures: a bus on its own exchange, and databases that are dropped afterwards."""

import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import aio_pika
import pytest
from pymongo import AsyncMongoClient

from shared.platform.bus import Bus
from shared.platform.db import Document, make_client
from tests.notifier_support import SinkServer, SmtpSink, start_sink
from tests.support import AMQP_URL, MONGO_URL

INFRA = Path(__file__).resolve().parents[2] / "scripts" / "infra.sh"


@pytest.fixture
def exchange(run_id: str) -> str:
    return f"test.{run_id}"


@pytest.fixture
async def amqp() -> AsyncIterator[aio_pika.abc.AbstractRobustConnection]:
    connection = await aio_pika.connect_robust(AMQP_URL)
    yield connection
    await connection.close()


@pytest.fixture
async def bus(exchange: str, amqp: aio_pika.abc.AbstractRobustConnection) -> AsyncIterator[Bus]:
    bus = Bus(AMQP_URL, exchange, retry_delay=0.05, max_attempts=3)
    await bus.connect()
    yield bus
    await bus.close()
    await delete_topology(amqp, exchange)


async def delete_topology(connection: aio_pika.abc.AbstractConnection, exchange: str) -> None:
    """Remove what a test declared, so the broker does not fill up with test queues."""
    channel = await connection.channel()
    for service in ("counter", "notifier", "notifier.deliveries", "probe"):
        for name in (f"{exchange}.{service}", f"{exchange}.{service}.dead"):
            await channel.queue_delete(name)
    for name in (exchange, f"{exchange}.dead"):
        await channel.exchange_delete(name)
    await channel.close()


@pytest.fixture
async def mongo() -> AsyncIterator[AsyncMongoClient[Document]]:
    client = make_client(MONGO_URL)
    yield client
    await client.close()


@pytest.fixture
async def db_name(mongo: AsyncMongoClient[Document], run_id: str) -> AsyncIterator[str]:
    name = f"test_{run_id}"
    yield name
    await mongo.drop_database(name)


def broker(action: str) -> None:
    """Take the real RabbitMQ down or bring it back, through the project's own script."""
    subprocess.run(["bash", str(INFRA), f"rabbitmq-{action}"], check=True, timeout=120)


@pytest.fixture
def sink() -> SmtpSink:
    """A real SMTP server in this process (aiosmtpd) that keeps what it received."""
    return SmtpSink()


@pytest.fixture
async def smtp_server(sink: SmtpSink) -> AsyncIterator[SinkServer]:
    server = await start_sink(sink)
    yield server
    await server.stop()
