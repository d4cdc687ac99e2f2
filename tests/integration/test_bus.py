"""The bus against the real RabbitMQ: confirms, acks, dead-lettering with a reason."""

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import aio_pika
import pytest

from shared.contracts.events import Envelope, PageView, PageViewed, new_envelope
from shared.platform.bus import Bus, PublishFailed, RetryLater
from tests.support import AMQP_URL, eventually

pytestmark = pytest.mark.integration


def page_viewed(path: str = "/") -> Envelope[PageViewed]:
    view = PageView(visitor="a" * 32, path=path, viewed_at=datetime.now(UTC))
    return new_envelope(PageViewed(views=[view]), "test")


async def dead_letters(
    amqp: aio_pika.abc.AbstractRobustConnection, queue: str
) -> list[aio_pika.abc.AbstractIncomingMessage]:
    channel = await amqp.channel()
    parked = await channel.get_queue(queue)
    found = []
    while (message := await parked.get(fail=False)) is not None:
        await message.ack()
        found.append(message)
    await channel.close()
    return found


async def test_publish_consume_ack(bus: Bus, amqp: aio_pika.abc.AbstractRobustConnection) -> None:
    received: list[Envelope[Any]] = []

    async def handle(event: Envelope[Any]) -> None:
        received.append(event)

    await bus.consume("counter", {PageViewed: handle})
    sent = [page_viewed(f"/{i}") for i in range(5)]
    for event in sent:
        await bus.publish(event)

    await eventually(lambda: len(received) == 5, what="5 events consumed")
    assert {e.event_id for e in received} == {e.event_id for e in sent}
    await assert_all_acked(bus, amqp)


async def assert_all_acked(bus: Bus, amqp: aio_pika.abc.AbstractRobustConnection) -> None:
    """After the consumer is gone, unacked messages would be ready again: there must be none."""
    await bus.close()
    channel = await amqp.channel()
    queue = await channel.declare_queue(bus.queue_name("counter"), passive=True)
    assert queue.declaration_result.message_count == 0
    await channel.close()
    assert await dead_letters(amqp, bus.queue_name("counter") + ".dead") == []


async def test_unroutable_publish_is_an_error(bus: Bus) -> None:
    # No queue is bound for page.viewed on this fresh exchange: `mandatory` returns it.
    with pytest.raises(PublishFailed):
        await bus.publish(page_viewed())


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "invalid envelope"),
        (
            json.dumps(
                {
                    "event_id": str(uuid.uuid4()),
                    "type": "page.viewed",
                    "version": 1,
                    "occurred_at": "2026-01-01T00:00:00Z",
                    "producer": "test",
                    "data": {"views": "three"},
                }
            ).encode(),
            "invalid page.viewed data",
        ),
    ],
)
async def test_poison_message_is_parked_with_a_reason_and_consuming_goes_on(
    bus: Bus, amqp: aio_pika.abc.AbstractRobustConnection, exchange: str, body: bytes, reason: str
) -> None:
    received: list[Envelope[Any]] = []

    async def handle(event: Envelope[Any]) -> None:
        received.append(event)

    await bus.consume("counter", {PageViewed: handle})
    channel = await amqp.channel()
    topic = await channel.get_exchange(exchange)
    await topic.publish(aio_pika.Message(body), routing_key="page.viewed")
    good = page_viewed()
    await bus.publish(good)

    await eventually(lambda: len(received) == 1, what="the good event")
    assert received[0].event_id == good.event_id
    parked = await eventually(
        lambda: dead_letters(amqp, bus.queue_name("counter") + ".dead"), what="a dead letter"
    )
    assert len(parked) == 1
    assert parked[0].body == body
    assert reason in str(parked[0].headers["x-dead-reason"])
    await channel.close()


async def test_handler_that_keeps_failing_is_parked_after_the_attempts(
    bus: Bus, amqp: aio_pika.abc.AbstractRobustConnection
) -> None:
    attempts = 0

    async def broken(event: Envelope[Any]) -> None:
        nonlocal attempts
        attempts += 1
        raise RuntimeError("database is on fire")

    await bus.consume("counter", {PageViewed: broken})
    await bus.publish(page_viewed())
    parked = await eventually(
        lambda: dead_letters(amqp, bus.queue_name("counter") + ".dead"), what="a dead letter"
    )
    assert attempts == 3
    assert "handler failed 3 times" in str(parked[0].headers["x-dead-reason"])
    assert "database is on fire" in str(parked[0].headers["x-dead-reason"])


async def test_a_handler_that_fails_once_is_retried_and_acked(
    bus: Bus, amqp: aio_pika.abc.AbstractRobustConnection
) -> None:
    calls: list[uuid.UUID] = []

    async def flaky(event: Envelope[Any]) -> None:
        calls.append(event.event_id)
        if len(calls) == 1:
            raise RuntimeError("a bug that only bites once")

    await bus.consume("counter", {PageViewed: flaky})
    event = page_viewed()
    await bus.publish(event)
    await eventually(lambda: len(calls) == 2, what="the retry")
    assert calls == [event.event_id, event.event_id]
    await assert_all_acked(bus, amqp)


async def test_an_outage_of_a_dependency_does_not_use_up_the_attempts(
    bus: Bus, amqp: aio_pika.abc.AbstractRobustConnection
) -> None:
    calls = 0

    async def database_down_for_a_while(event: Envelope[Any]) -> None:
        nonlocal calls
        calls += 1
        if calls <= 5:  # more than max_attempts (3): would be dead-lettered if counted
            raise RetryLater("database unavailable")

    await bus.consume("counter", {PageViewed: database_down_for_a_while})
    await bus.publish(page_viewed())
    await eventually(lambda: calls == 6, what="the handler to get through")
    await assert_all_acked(bus, amqp)


async def test_every_replica_gets_its_own_copy_of_a_broadcast(exchange: str, bus: Bus) -> None:
    replicas = [Bus(AMQP_URL, exchange) for _ in range(2)]
    copies: list[list[str]] = [[], []]
    try:
        for replica, seen in zip(replicas, copies, strict=True):
            await replica.connect()

            async def remember(event: Envelope[Any], seen: list[str] = seen) -> None:
                seen.append(str(event.event_id))

            await replica.consume_broadcast({PageViewed: remember})
        sent = page_viewed()
        await bus.publish(sent)
        await eventually(lambda: all(seen == [str(sent.event_id)] for seen in copies))
    finally:
        for replica in replicas:
            await replica.close()
