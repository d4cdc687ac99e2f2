"""Sending an article: redelivery, suppression, retry of failures, the pause, with a real
SMTP server (aiosmtpd in this process), RabbitMQ and FerretDB."""

import uuid
from collections.abc import AsyncIterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from services.notifier.app import create_app
from services.notifier.config import NotifierSettings
from services.notifier.domain.deliveries import DeliveryJob
from shared.contracts.events import ArticlePublished, new_envelope
from shared.platform.bus import Bus
from shared.platform.db import Document
from tests.notifier_support import (
    ADMIN_TOKEN,
    SIGNING_KEY,
    SinkServer,
    SmtpSink,
    add_subscribers,
    delete_notifier_topology,
    published_article,
    suppress,
)
from tests.support import AMQP_URL, MONGO_URL, eventually

pytestmark = pytest.mark.integration
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
async def client(
    smtp_server: SinkServer, exchange: str, db_name: str, bus: Bus
) -> AsyncIterator[TestClient[Any, Any]]:
    port = smtp_server.port
    settings = NotifierSettings(
        amqp_url=AMQP_URL,
        mongo_url=MONGO_URL,
        mongo_db=db_name,
        exchange=exchange,
        smtp_port=port,
        signing_key=SIGNING_KEY,
        admin_token=ADMIN_TOKEN,
        chunk_size=3,
        max_attempts=2,
        retry_base_seconds=0.01,
        retry_max_seconds=0.05,
        pause_after_failures=4,
        pause_seconds=0.5,
        smtp_timeout_seconds=2,
        claim_lease_seconds=5,
    )
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client
    await delete_notifier_topology(exchange)


@pytest.fixture
def db(mongo: AsyncMongoClient[Document], db_name: str) -> AsyncDatabase[Document]:
    return mongo[db_name]


def article(run_id: str, section_slug: str = "thong-bao") -> ArticlePublished:
    return published_article(
        f"a-{run_id}-{uuid.uuid4().hex[:6]}",
        "thong-bao-lich-tiep-dan",
        "Thông báo lịch tiếp công dân",
        "Lịch tiếp công dân tháng 5.",
        section_slug,
    )


async def status(client: TestClient[Any, Any], article_id: str) -> dict[str, int]:
    response = await client.get(f"/api/deliveries/{article_id}", headers=ADMIN)
    assert response.status == 200
    counts: dict[str, int] = (await response.json())["deliveries"]
    return counts


async def test_each_reader_gets_one_email_even_when_the_event_comes_again(
    client: TestClient[Any, Any], sink: SmtpSink, bus: Bus, db: AsyncDatabase[Document], run_id: str
) -> None:
    readers = [f"doc-gia-{n}-{run_id}@example.vn" for n in range(5)]
    other_section = f"chi-doc-phap-luat-{run_id}@example.vn"
    pending, paused = f"chua-xac-nhan-{run_id}@example.vn", f"tam-dung-{run_id}@example.vn"
    await add_subscribers(db, readers[:4])
    await add_subscribers(db, readers[4:], sections=["thong-bao", "dan-van"])
    await add_subscribers(db, [other_section], sections=["van-ban-phap-luat"])
    await add_subscribers(db, [pending], status="pending")
    await add_subscribers(db, [paused], paused=True)
    english = f"english-{run_id}@example.vn"
    await add_subscribers(db, [english], language="en")
    readers.append(english)
    published = article(run_id)
    envelope = new_envelope(published, "content")

    await bus.publish(envelope)
    await eventually(lambda: len(sink.received) >= 6, what="six emails")
    await eventually(
        lambda: _equals(status(client, published.article_id), {"sent": 6}), what="6 sent"
    )
    # The same event again, then the same article under a new event id.
    await bus.publish(envelope)
    await bus.publish(new_envelope(published, "content"))
    await eventually(
        lambda: _fanouts(db, published.article_id, 2), what="the second fan-out to finish"
    )
    await eventually(lambda: _queue_empty(client, bus), what="the delivery queue to drain")

    assert sorted(item.recipient for item in sink.received) == sorted(readers)
    assert await status(client, published.article_id) == {"sent": 6}
    # Each in the reader's language; the article itself as written.
    english_text = body_text(sink.to(english)[0].raw)
    assert "Read the full article" in english_text and published.title in english_text
    assert "Đọc toàn bài" in body_text(sink.to(readers[0])[0].raw)


async def test_a_permanent_refusal_suppresses_and_an_admin_can_lift_it(
    client: TestClient[Any, Any], sink: SmtpSink, bus: Bus, db: AsyncDatabase[Document], run_id: str
) -> None:
    bounced, fine = f"khong-ton-tai-{run_id}@example.vn", f"ton-tai-{run_id}@example.vn"
    sink.on_rcpt = lambda address, _: "550 5.1.1 No such user" if address == bounced else None
    await add_subscribers(db, [bounced, fine])
    published = article(run_id)
    await bus.publish(new_envelope(published, "content"))

    await eventually(
        lambda: _equals(status(client, published.article_id), {"sent": 1, "suppressed": 1}),
        what="one sent, one suppressed",
    )
    assert [item.recipient for item in sink.received] == [fine]
    assert (await client.get("/api/suppressions")).status == 401
    listed = await (await client.get("/api/suppressions", headers=ADMIN)).json()
    assert [row["email"] for row in listed["suppressions"]] == [bounced]
    assert "550" in listed["suppressions"][0]["reason"]
    subscribers = await (await client.get("/api/notifier/subscribers", headers=ADMIN)).json()
    assert {row["email"]: row["suppressed"] for row in subscribers["subscribers"]} == {
        bounced: True,
        fine: False,
    }

    # The next article skips the suppressed address entirely.
    second = article(run_id)
    await bus.publish(new_envelope(second, "content"))
    await eventually(lambda: _equals(status(client, second.article_id), {"sent": 1}), what="sent")

    lifted = await client.delete(f"/api/suppressions/{bounced}", headers=ADMIN)
    assert lifted.status == 204
    assert (await client.delete(f"/api/suppressions/{bounced}", headers=ADMIN)).status == 404
    assert (await (await client.get("/api/suppressions", headers=ADMIN)).json()) == {
        "suppressions": []
    }


async def test_failed_deliveries_are_retried_by_the_admin_and_sent_once(
    client: TestClient[Any, Any], sink: SmtpSink, bus: Bus, db: AsyncDatabase[Document], run_id: str
) -> None:
    greylisted, fine = f"bi-hoan-{run_id}@example.vn", f"binh-thuong-{run_id}@example.vn"
    sink.on_data = lambda address, _: "451 4.7.1 Greylisted" if address == greylisted else None
    await add_subscribers(db, [greylisted, fine])
    published = article(run_id)
    await bus.publish(new_envelope(published, "content"))
    await eventually(
        lambda: _equals(status(client, published.article_id), {"sent": 1, "failed": 1}),
        what="one sent, one failed after its attempts",
    )
    assert (await client.post(f"/api/deliveries/{published.article_id}/retry")).status == 401

    sink.on_data = None
    response = await client.post(f"/api/deliveries/{published.article_id}/retry", headers=ADMIN)
    assert response.status == 202
    assert (await response.json())["queued"] == 1
    await eventually(
        lambda: _equals(status(client, published.article_id), {"sent": 2}), what="both sent"
    )
    assert sorted(item.recipient for item in sink.received) == sorted([greylisted, fine])


async def test_sending_pauses_while_smtp_is_down_and_resumes(
    client: TestClient[Any, Any],
    smtp_server: SinkServer,
    sink: SmtpSink,
    bus: Bus,
    db: AsyncDatabase[Document],
    run_id: str,
) -> None:
    readers = [f"tam-ngung-{n}-{run_id}@example.vn" for n in range(3)]
    await add_subscribers(db, readers)
    await smtp_server.stop()
    published = article(run_id)
    await bus.publish(new_envelope(published, "content"))

    async def paused() -> bool:
        response = await client.get("/readyz")
        checks = (await response.json())["checks"]
        return response.status == 503 and "paused until" in checks["smtp"]

    await eventually(paused, what="/readyz to say sending is paused")
    metrics = await (await client.get("/metrics")).text()
    assert "notifier_smtp_paused 1.0" in metrics
    assert await status(client, published.article_id) == {"pending": 3}

    await smtp_server.start()
    # No attempt was spent while the server was unreachable: all three go out.
    await eventually(
        lambda: _equals(status(client, published.article_id), {"sent": 3}), what="all sent"
    )
    assert (await client.get("/readyz")).status == 200
    assert sorted(item.recipient for item in sink.received) == sorted(readers)


async def test_suppressed_subscribers_get_nothing(
    client: TestClient[Any, Any], sink: SmtpSink, bus: Bus, db: AsyncDatabase[Document], run_id: str
) -> None:
    reader, suppressed = f"nhan-{run_id}@example.vn", f"chan-{run_id}@example.vn"
    await add_subscribers(db, [reader, suppressed])
    await suppress(db, [suppressed])
    published = article(run_id)
    await bus.publish(new_envelope(published, "content"))
    await eventually(lambda: _equals(status(client, published.article_id), {"sent": 1}), what="1")
    assert [item.recipient for item in sink.received] == [reader]


def body_text(raw: bytes) -> str:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


async def _equals(counts: Any, expected: dict[str, Any]) -> bool:
    return bool(await counts == expected)


async def _fanouts(db: AsyncDatabase[Document], article_id: str, expected: int) -> bool:
    return await db["fanouts"].count_documents({"article_id": article_id}) == expected


async def _queue_empty(client: TestClient[Any, Any], bus: Bus) -> bool:
    del client
    name = bus.queue_name("notifier.deliveries")
    channel = await bus._connection.channel()  # type: ignore[union-attr]
    try:
        queue = await channel.declare_queue(name, passive=True)
        return queue.declaration_result.message_count == 0
    finally:
        await channel.close()


async def test_a_reader_who_left_after_the_fan_out_is_skipped(
    client: TestClient[Any, Any], sink: SmtpSink, bus: Bus, db: AsyncDatabase[Document], run_id: str
) -> None:
    """A job already on the queue still honours an unsubscribe made after the fan-out."""
    gone, stays = f"da-roi-{run_id}@example.vn", f"o-lai-{run_id}@example.vn"
    await add_subscribers(db, [gone], status="unsubscribed")
    await add_subscribers(db, [stays])
    published = article(run_id)
    job = DeliveryJob(article=published, recipients=[gone, stays], attempt_limit=2)
    await bus.publish(new_envelope(job, "notifier"))

    async def outcomes() -> dict[str, str]:
        found = db["delivery_outcomes"].find({"article_id": published.article_id})
        return {doc["_id"].split(":", 1)[1]: doc["state"] async for doc in found}

    await eventually(lambda: _equals(outcomes(), {gone: "skipped", stays: "sent"}), what="ends")
    assert [item.recipient for item in sink.received] == [stays]


async def test_delivery_counts_need_the_admin_token(
    client: TestClient[Any, Any], sink: SmtpSink, bus: Bus, db: AsyncDatabase[Document], run_id: str
) -> None:
    """Finding 5: who got which article is not public; editors see counts through content."""
    await add_subscribers(db, [f"dem-{run_id}@example.vn"])
    published = article(run_id)
    await bus.publish(new_envelope(published, "content"))
    await eventually(lambda: _equals(status(client, published.article_id), {"sent": 1}), what="1")

    path = f"/api/deliveries/{published.article_id}"
    for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": ""}):
        response = await client.get(path, headers=headers)
        assert response.status == 401, headers
        assert response.content_type == "application/json"
        body = await response.json()
        assert body["error"]["code"] == "unauthorized"
        assert set(body["error"]) >= {"code", "message"}
    assert (await client.get("/api/deliveries/no-such-article")).status == 401


async def test_admin_path_parameters_refuse_control_characters(
    client: TestClient[Any, Any],
) -> None:
    """Finding 6: path parameters are input too."""
    for method, path in (
        ("GET", "/api/deliveries/a%00b"),
        ("POST", "/api/deliveries/a%1Bb/retry"),
        ("DELETE", "/api/suppressions/ban%0D%0Adoc@example.vn"),
    ):
        response = await client.request(method, path, headers=ADMIN)
        assert response.status == 422, path
        assert (await response.json())["error"]["code"] == "validation_error"
