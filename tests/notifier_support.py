"""Notifier test helpers: an in-process SMTP server that can fail on purpose, notifier
processes on their own exchange and database, and subscribers written straight to the DB."""

import asyncio
import hashlib
import os
import socket
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import aio_pika
from aiosmtpd.smtp import SMTP, Envelope, Session
from pymongo.asynchronous.database import AsyncDatabase

from shared.db import Document
from shared.events import ArticlePublished
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
