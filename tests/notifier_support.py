"""Notifier test helpers: an in-process SMTP server that can fail on purpose, notifier
processes on their own exchange and database, subscribers written straight to the DB, the
database commands a request handler sends, and links' tokens of the first format."""

import asyncio
import base64
import hashlib
import hmac
import os
import socket
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import aio_pika
from aiohttp import web
from aiosmtpd.smtp import SMTP, Envelope, Session
from pymongo import monitoring
from pymongo.asynchronous.database import AsyncDatabase

from shared.contracts.events import ArticlePublished
from shared.platform.db import Document
from tests.processes import ServiceProcess, free_port
from tests.support import AMQP_URL, MONGO_URL

SIGNING_KEY = "notifier-test-signing-key-0123456789abcdef"
ADMIN_TOKEN = "notifier-test-admin-token-0123"

# Answer for one (address, nth time the address is seen at this stage), or None to accept.
Verdict = Callable[[str, int], str | None]


def flaky(ratio: float, seed: str = "chaos") -> Verdict:
    """451 for about `ratio` of tries, decided by a hash: the same run fails the same way."""

    def verdict(address: str, nth: int) -> str | None:
        digest = hashlib.sha256(f"{seed}:{address}:{nth}".encode()).digest()
        return "451 4.3.0 Try again later" if digest[0] < ratio * 256 else None

    return verdict


@dataclass
class Received:
    recipient: str
    raw: bytes

    @property
    def message_id(self) -> str:
        return str(message_from_bytes(self.raw, policy=policy.default)["Message-ID"])


@dataclass
class SmtpSink:
    """Records every accepted message; `on_rcpt` / `on_data` may refuse some on purpose."""

    on_rcpt: Verdict | None = None
    on_data: Verdict | None = None
    received: list[Received] = field(default_factory=list)
    refused: int = 0
    _seen: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))

    def _verdict(self, stage: str, address: str) -> str | None:
        rule = self.on_rcpt if stage == "rcpt" else self.on_data
        self._seen[stage, address] += 1
        answer = rule(address, self._seen[stage, address]) if rule else None
        if answer is not None:
            self.refused += 1
        return answer

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        answer = self._verdict("rcpt", address)
        if answer is not None:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        answer = self._verdict("data", envelope.rcpt_tos[0])
        if answer is not None:
            return answer
        content = envelope.original_content or b""
        for recipient in envelope.rcpt_tos:
            self.received.append(Received(recipient, content))
        return "250 OK: queued"

    def to(self, address: str) -> list[Received]:
        return [item for item in self.received if item.recipient == address]

    def by_recipient(self) -> dict[str, list[Received]]:
        found: dict[str, list[Received]] = defaultdict(list)
        for item in self.received:
            found[item.recipient].append(item)
        return found


@dataclass
class SinkServer:
    """The sink on a port of this event loop; `stop` drops every connection, as an outage."""

    sink: SmtpSink
    port: int = field(default_factory=free_port)
    _server: asyncio.Server | None = None
    _sessions: list[SMTP] = field(default_factory=list)

    async def start(self) -> None:
        def session() -> SMTP:
            protocol = SMTP(self.sink, hostname="sink.test")
            self._sessions.append(protocol)
            return protocol

        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(session, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for protocol in self._sessions:
            if protocol.transport is not None:
                protocol.transport.close()
        self._sessions.clear()


async def start_sink(sink: SmtpSink) -> SinkServer:
    """Serve `sink` on a free port in this event loop (so the test sees what it received)."""
    server = SinkServer(sink)
    await server.start()
    return server


def notifier_env(
    run: str, exchange: str, db_name: str, smtp_port: int, **extra: str
) -> dict[str, str]:
    port = free_port()
    return {
        "AMQP_URL": AMQP_URL,
        "MONGO_URL": MONGO_URL,
        "EXCHANGE": exchange,
        "MONGO_DB": db_name,
        "HTTP_PORT": str(port),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "SIGNING_KEY": SIGNING_KEY,
        "ADMIN_TOKEN": ADMIN_TOKEN,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "LOG_LEVEL": "WARNING",
        "PATH": os.environ["PATH"],
        **extra,
    }


class NotifierProcess(ServiceProcess):
    STOP_SECONDS = 20

    @classmethod
    def start(cls, env: dict[str, str], log: Path) -> "NotifierProcess":
        return cls.launch("notifier", env, log)

    @property
    def owner(self) -> str:
        """How this replica signs its delivery claims."""
        return f"{socket.gethostname()}:{self.process.pid}"


def published_article(
    article_id: str,
    slug: str = "tin",
    title: str = "Tin",
    lead: str = "Tóm tắt",
    section_slug: str = "thong-bao",
) -> ArticlePublished:
    """An article.published of the section "Thông báo", published now."""
    return ArticlePublished(
        article_id=article_id,
        slug=slug,
        title=title,
        lead=lead,
        section="Thông báo",
        section_slug=section_slug,
        url=f"https://tin.example.vn/bai-viet/{slug}",
        published_at=datetime.now(UTC),
    )


async def add_subscribers(
    db: AsyncDatabase[Document],
    emails: list[str],
    status: str = "confirmed",
    sections: list[str] | None = None,
    paused: bool = False,
    language: str = "vi",
) -> None:
    """Subscribers as if they had signed up (and confirmed) through the API."""
    now = datetime.now(UTC)
    await db["subscribers"].insert_many(
        [
            {
                "_id": email,
                "email": email,
                "sections": sections or [],
                "language": language,
                "paused": paused,
                "status": status,
                "created_at": now,
            }
            for email in emails
        ]
    )
    if status != "confirmed" or paused:
        await db["opt_outs"].insert_many([{"_id": email, "at": now} for email in emails])


async def suppress(db: AsyncDatabase[Document], emails: list[str]) -> None:
    now = datetime.now(UTC)
    await db["suppressions"].insert_many(
        [{"_id": email, "reason": "550 test", "suppressed_at": now} for email in emails]
    )


async def delete_notifier_topology(exchange: str) -> None:
    """Remove the notifier's queues (its work queue is unknown to the shared cleanup) and the
    test's exchanges: a quorum queue left behind costs the broker for good."""
    connection = await aio_pika.connect(AMQP_URL)
    channel = await connection.channel()
    for queue in ("notifier", "notifier.deliveries"):
        for name in (f"{exchange}.{queue}", f"{exchange}.{queue}.dead"):
            await channel.queue_delete(name)
    for name in (exchange, f"{exchange}.dead"):
        await channel.exchange_delete(name)
    await connection.close()


async def dead_letters(
    connection: aio_pika.abc.AbstractConnection, queue: str
) -> list[aio_pika.abc.AbstractIncomingMessage]:
    """Take (and ack) every message parked in a dead-letter queue."""
    channel = await connection.channel()
    parked = await channel.get_queue(queue)
    found = []
    while (message := await parked.get(fail=False)) is not None:
        await message.ack()
        found.append(message)
    await channel.close()
    return found


def legacy_token(
    key: bytes, purpose: str, email: str, ttl_seconds: int | None, now: float | None = None
) -> str:
    """A token of the first format, as emails sent before the opaque tokens carry it:
    base64url("purpose\\naddress\\nexpiry") "." base64url(HMAC-SHA256)."""
    expires = 0 if ttl_seconds is None else int((now or time.time()) + ttl_seconds)
    payload = f"{purpose}\n{email}\n{expires}".encode()
    mac = hmac.new(key, payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass(frozen=True)
class Command:
    """One database command: what it was, on which collection, and what it answered."""

    name: str
    collection: str
    reply: dict[str, Any]
    in_handler: bool


class CommandLog(monitoring.CommandListener):
    """The commands sent to the watched databases, each marked if a request handler (and
    not a task it started, such as the work after the answer) sent it.

    PyMongo's listeners are process-wide and cannot be removed, so there is one, registered
    on first use; it records only while a test watches a database.
    """

    def __init__(self) -> None:
        self.watched: set[str] = set()
        self.commands: list[Command] = []
        self._handlers: set[asyncio.Task[Any]] = set()
        self._started: dict[int, tuple[str, str, bool]] = {}

    def watch(self, app: web.Application, database: str) -> None:
        """Record `database`'s commands, and mark those sent by `app`'s request handlers
        (call before the app starts: its middlewares freeze then)."""
        self.watched.add(database)
        handlers = self._handlers

        @web.middleware
        async def mark(request: web.Request, handler: Callable[..., Awaitable[Any]]) -> Any:
            task = asyncio.current_task()
            assert task is not None
            handlers.add(task)
            try:
                return await handler(request)
            finally:
                handlers.discard(task)

        app.middlewares.append(mark)

    def stop(self, database: str) -> None:
        self.watched.discard(database)
        self.commands.clear()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.database_name in self.watched:
            collection = event.command.get(event.command_name)
            in_handler = asyncio.current_task() in self._handlers
            self._started[event.request_id] = (event.command_name, str(collection), in_handler)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._finished(event.request_id, dict(event.reply))

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._finished(event.request_id, {"failed": str(event.failure)})

    def _finished(self, request_id: int, reply: dict[str, Any]) -> None:
        started = self._started.pop(request_id, None)
        if started is not None:
            name, collection, in_handler = started
            self.commands.append(Command(name, collection, _outcome(reply), in_handler))

    def in_handlers(self) -> list[Command]:
        return [command for command in self.commands if command.in_handler]


def _outcome(reply: dict[str, Any]) -> dict[str, Any]:
    """What a reply says happened, without its timestamps or the documents' contents."""
    outcome = {k: v for k, v in reply.items() if k not in ("$clusterTime", "operationTime")}
    if "cursor" in outcome:
        outcome["cursor"] = len(outcome["cursor"].get("firstBatch", []))
    return outcome


_COMMAND_LOG: list[CommandLog] = []


def command_log() -> CommandLog:
    """The process's one command listener; register it before the client to watch is made."""
    if not _COMMAND_LOG:
        _COMMAND_LOG.append(CommandLog())
        monitoring.register(_COMMAND_LOG[0])
    return _COMMAND_LOG[0]
