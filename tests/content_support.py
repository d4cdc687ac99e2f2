"""Helpers for the content service's tests: settings, running replicas, auth headers."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import aio_pika
from aiohttp.test_utils import TestClient, TestServer

from services.content.adapters.store import ArticleStore
from services.content.app import create_app
from services.content.config import ContentSettings
from shared.platform.db import Document
from shared.platform.http import install_front
from tests.staff_support import register_script_token
from tests.support import AMQP_URL, MONGO_URL

TOKEN = "integration-editor-script-token"  # stored by `replica`, as `tokens create` would
BOOTSTRAP = "integration-bootstrap-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SECTION = "tin-tuc-su-kien"

Client = TestClient[Any, Any]


def settings_for(db_name: str, exchange: str, **overrides: Any) -> ContentSettings:
    values: dict[str, Any] = {
        "amqp_url": AMQP_URL,
        "mongo_url": MONGO_URL,
        "mongo_db": db_name,
        "exchange": exchange,
        "editor_token": BOOTSTRAP,
        "outbox_poll_seconds": 0.2,
        "schedule_poll_seconds": 0.2,
        "view_batch_window_ms": 1,
        **overrides,
    }
    return ContentSettings(**values)


@asynccontextmanager
async def replica(settings: ContentSettings) -> AsyncIterator[Client]:
    """One running content app (its own server, bus connection and background tasks)."""
    await asyncio.to_thread(register_script_token, settings.mongo_db, TOKEN)
    app = create_app(settings)
    async with TestClient(TestServer(app)) as client:
        # As the service runs (shared/platform/runner.py): current cached reads answered
        # before routing.
        assert client.server.runner is not None and client.server.runner.server is not None
        install_front(app, client.server.runner.server)
        yield client


async def error_of(response: Any) -> dict[str, Any]:
    error: dict[str, Any] = (await response.json())["error"]
    return error


async def create(client: Client, title: str, **fields: Any) -> dict[str, Any]:
    body = {"title": title, "section": SECTION, **fields}
    response = await client.post("/api/articles", json=body, headers=AUTH)
    assert response.status == 201, await response.text()
    created: dict[str, Any] = await response.json()
    return created


async def act(client: Client, article_id: str, action: str, **body: Any) -> dict[str, Any]:
    response = await client.post(
        f"/api/articles/{article_id}/{action}", json=body or None, headers=AUTH
    )
    assert response.status == 200, await response.text()
    result: dict[str, Any] = await response.json()
    return result


async def publish(client: Client, title: str, **fields: Any) -> dict[str, Any]:
    article = await create(client, title, **fields)
    return await act(client, article["id"], "publish")


async def drop_topology(amqp: Any, exchange: str) -> None:
    channel = await amqp.channel()
    for name in (exchange, f"{exchange}.dead"):
        await channel.exchange_delete(name)
    await channel.close()


class Probe:
    """A private queue on the test's exchange that keeps every matching message it gets."""

    def __init__(self, queue: aio_pika.abc.AbstractQueue) -> None:
        self._queue = queue
        self.messages: list[dict[str, Any]] = []

    @classmethod
    async def bind(cls, amqp: Any, exchange: str, *keys: str) -> "Probe":
        channel = await amqp.channel()
        # The exchange exists once a replica has connected; declaring it again is harmless.
        target = await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        for key in keys:
            await queue.bind(target, routing_key=key)
        return cls(queue)

    async def drain(self) -> list[dict[str, Any]]:
        while (message := await self._queue.get(no_ack=True, fail=False)) is not None:
            self.messages.append(json.loads(message.body))
        return self.messages


class CuttableProxy:
    """A TCP proxy in front of RabbitMQ: cutting it is, for the app behind it, the broker
    going down, without stopping the broker that other tests share."""

    def __init__(self, target: str) -> None:
        parsed = urlsplit(target)
        self._host, self._port = parsed.hostname or "127.0.0.1", parsed.port or 5672
        self._target = parsed
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    @property
    def url(self) -> str:
        netloc = f"{self._target.username}:{self._target.password}@127.0.0.1:{self.port}"
        return self._target._replace(netloc=netloc).geturl()

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(self._host, self._port)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            self._writers.discard(writer)
            writer.transport.abort()


async def outbox_of(store: ArticleStore, article_id: str) -> list[Document]:
    """The events still queued in the article's outbox, as stored."""
    found = await store.pending_events_of(article_id)
    return [] if found is None else list(found.get("outbox", []))
