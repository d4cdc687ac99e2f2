"""A poison message between good ones, at each notifier consumer: the good ones are sent,
the poison is parked in the consumer's dead-letter queue with its reason, nothing is stuck.
Real RabbitMQ and FerretDB, an SMTP server (aiosmtpd) in this process."""

import json
import uuid
from collections.abc import AsyncIterator
from email import message_from_bytes, policy
from typing import Any

import aio_pika
import pytest
from aiohttp.test_utils import TestClient, TestServer
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from services.notifier.app import create_app
from services.notifier.config import NotifierSettings
from services.notifier.domain.deliveries import DeliveryJob
from services.notifier.entrypoints.keys import FANOUT
from shared.contracts.events import ArticlePublished, encode, new_envelope
from shared.platform.db import Document
from tests.notifier_support import (
    SIGNING_KEY,
    SinkServer,
    SmtpSink,
    add_subscribers,
    dead_letters,
    delete_notifier_topology,
    published_article,
)
from tests.support import AMQP_URL, MONGO_URL, eventually

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(
    smtp_server: SinkServer, exchange: str, db_name: str
) -> AsyncIterator[TestClient[Any, Any]]:
    settings = NotifierSettings(
        amqp_url=AMQP_URL,
        mongo_url=MONGO_URL,
        mongo_db=db_name,
        exchange=exchange,
        smtp_port=smtp_server.port,
        signing_key=SIGNING_KEY,
        smtp_timeout_seconds=2,
        claim_lease_seconds=5,
    )
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client
    await delete_notifier_topology(exchange)


@pytest.fixture
def db(mongo: AsyncMongoClient[Document], db_name: str) -> AsyncDatabase[Document]:
    return mongo[db_name]


async def publish_in_order(
    amqp: aio_pika.abc.AbstractRobustConnection, exchange: str, messages: list[tuple[str, bytes]]
) -> None:
    """(routing key, body) pairs on one confirming channel, so the queue gets them in order."""
    channel = await amqp.channel(publisher_confirms=True)
    topic = await channel.get_exchange(exchange)
    for routing_key, body in messages:
        await topic.publish(
            aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=routing_key,
        )
    await channel.close()


def subjects(sink: SmtpSink, address: str) -> list[str]:
    return [
        str(message_from_bytes(item.raw, policy=policy.default)["Subject"])
        for item in sink.to(address)
    ]


def article(run_id: str, title: str) -> ArticlePublished:
    return published_article(f"a-{run_id}-{uuid.uuid4().hex[:6]}", title=title)


async def test_a_poison_article_published_between_two_good_ones(
    client: TestClient[Any, Any],
    sink: SmtpSink,
    db: AsyncDatabase[Document],
    amqp: aio_pika.abc.AbstractRobustConnection,
    exchange: str,
    run_id: str,
) -> None:
    reader = f"doc-gia-{run_id}@example.vn"
    await add_subscribers(db, [reader])
    first, second = article(run_id, "Tin thứ nhất"), article(run_id, "Tin thứ hai")
    poison = json.loads(encode(new_envelope(article(run_id, "Tin hỏng"), "content")))
    poison["data"]["url"] = "không phải địa chỉ"
    await publish_in_order(
        amqp,
        exchange,
        [
            ("article.published", encode(new_envelope(first, "content"))),
            ("article.published", json.dumps(poison).encode()),
            ("article.published", encode(new_envelope(second, "content"))),
        ],
    )

    await eventually(lambda: len(sink.to(reader)) == 2, what="both good articles")
    assert sorted(subjects(sink, reader)) == sorted([first.title, second.title])
    parked = await eventually(
        lambda: dead_letters(amqp, f"{exchange}.notifier.dead"), what="the parked poison"
    )
    assert [json.loads(message.body)["event_id"] for message in parked] == [poison["event_id"]]
    assert "invalid article.published data" in str(parked[0].headers["x-dead-reason"])


async def test_a_poison_delivery_job_between_two_good_ones(
    client: TestClient[Any, Any],
    sink: SmtpSink,
    db: AsyncDatabase[Document],
    amqp: aio_pika.abc.AbstractRobustConnection,
    exchange: str,
    run_id: str,
) -> None:
    """Also finding 6: a job whose recipient is not a plausible address never reaches SMTP."""
    good = [f"mot-{run_id}@example.vn", f"hai-{run_id}@example.vn"]
    await add_subscribers(db, good)
    published = article(run_id, "Thông báo lịch tiếp công dân")
    jobs = [
        json.loads(
            encode(
                new_envelope(
                    DeliveryJob(article=published, recipients=[email], attempt_limit=2), "notifier"
                )
            )
        )
        for email in (good[0], "tam@example.vn", good[1])
    ]
    injected = "ba@example.vn>\r\nRCPT TO:<nan-nhan@example.vn"
    jobs[1]["data"]["recipients"] = [injected]
    await publish_in_order(
        amqp, exchange, [(DeliveryJob.TYPE, json.dumps(job).encode()) for job in jobs]
    )

    await eventually(lambda: len(sink.received) == 2, what="both good jobs sent")
    assert sorted(item.recipient for item in sink.received) == sorted(good)
    parked = await eventually(
        lambda: dead_letters(amqp, f"{exchange}.notifier.deliveries.dead"),
        what="the parked poison job",
    )
    assert [json.loads(message.body)["event_id"] for message in parked] == [jobs[1]["event_id"]]
    assert "invalid notifier.delivery data" in str(parked[0].headers["x-dead-reason"])
    assert "recipients" in str(parked[0].headers["x-dead-reason"])


async def test_a_subscriber_record_that_is_no_address_does_not_stop_the_fan_out(
    client: TestClient[Any, Any], sink: SmtpSink, db: AsyncDatabase[Document], run_id: str
) -> None:
    """Written around the API, such a record would make its whole job unreadable."""
    good = f"tot-{run_id}@example.vn"
    await add_subscribers(db, [good, f"khong hop le {run_id}@example.vn"])
    published = article(run_id, "Tin cho mọi người")
    await client.app[FANOUT].handle(new_envelope(published, "content"))
    await eventually(lambda: len(sink.received) == 1, what="the good reader's email")
    assert [item.recipient for item in sink.received] == [good]
