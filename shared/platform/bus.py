"""The message bus over aio-pika: confirmed publishing and dead-lettering consumers."""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aio_pika
import structlog
from aio_pika.abc import (
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustChannel,
    AbstractRobustConnection,
)

from shared.contracts.events import Envelope, EventData, UnreadableEvent, decode, encode
from shared.platform.dead_letters import delivery_count, parked_copy
from shared.platform.metrics import (
    EVENTS_DEAD_LETTERED,
    EVENTS_HANDLED,
    EVENTS_PUBLISH_FAILED,
    EVENTS_PUBLISHED,
)

log = structlog.get_logger(__name__)

Handler = Callable[[Envelope[Any]], Awaitable[None]]


class PublishFailed(Exception):
    """The broker did not confirm the message; the caller must keep it and retry.

    `refused`: the broker answered, and said no to this message (unroutable, or nacked);
    otherwise it could not be reached. Only a refusal says anything about the message.
    """

    def __init__(self, message: str, *, refused: bool = False) -> None:
        super().__init__(message)
        self.refused = refused


class RetryLater(Exception):
    """A handler's dependency is down (database, SMTP): not the message's fault.

    The bus retries the handler in place with backoff, without counting an attempt, so an
    outage stalls the queue instead of dead-lettering everything that was in flight.
    """


SHUTDOWN_GRACE_SECONDS = 25.0


class Bus:
    """One robust connection to RabbitMQ, a confirming channel, and this service's consumers."""

    def __init__(
        self,
        url: str,
        exchange_name: str,
        *,
        publish_timeout: float = 5.0,
        max_attempts: int = 5,
        retry_delay: float = 0.5,
        transient: tuple[type[BaseException], ...] = (),
    ) -> None:
        """`transient`: the errors of a handler's dependencies that mean "down, try again"
        (the database driver's, from shared/platform/db.py), waited out like RetryLater."""
        self._url = url
        self._transient: tuple[type[BaseException], ...] = (RetryLater, *transient)
        self._exchange_name = exchange_name
        self._dead_exchange_name = f"{exchange_name}.dead"
        self._publish_timeout = publish_timeout
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractRobustChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._dead_exchange: AbstractExchange | None = None
        self._consumers: list[tuple[AbstractQueue, str]] = []
        self._in_flight: set[asyncio.Task[Any]] = set()

    async def connect(self) -> None:
        """Connect, retrying until the broker answers: services may start before it."""
        delay = 0.2
        while True:
            try:
                self._connection = await aio_pika.connect_robust(self._url, timeout=5)
                break
            except aio_pika.exceptions.ProbableAuthenticationError:
                raise  # wrong credentials or vhost: a configuration error, stop the service
            except (OSError, aio_pika.exceptions.AMQPError) as error:
                log.warning("bus.connect_retry", error=repr(error), retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        # on_return_raises: an unroutable `mandatory` message fails the publish, not silently.
        self._channel = await self._connection.channel(
            publisher_confirms=True, on_return_raises=True
        )
        self._exchange = await self._channel.declare_exchange(
            self._exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
        )
        self._dead_exchange = await self._channel.declare_exchange(
            self._dead_exchange_name, aio_pika.ExchangeType.DIRECT, durable=True
        )
        log.info("bus.connected", exchange=self._exchange_name)

    @property
    def is_connected(self) -> bool:
        return (
            self._connection is not None
            and not self._connection.is_closed
            and bool(self._connection.connected.is_set())
        )

    async def publish(self, envelope: Envelope[Any]) -> None:
        """Publish persistently and wait for the broker's confirm; raise PublishFailed if not."""
        await self.publish_encoded(envelope.type, str(envelope.event_id), encode(envelope))

    async def publish_encoded(self, event_type: str, event_id: str, body: bytes) -> None:
        """Publish an already encoded envelope (the outbox keeps them so), confirmed."""
        if self._exchange is None:
            raise PublishFailed("bus is not connected")
        message = aio_pika.Message(
            body,
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=event_id,
            type=event_type,
        )
        try:
            await self._exchange.publish(
                message, routing_key=event_type, mandatory=True, timeout=self._publish_timeout
            )
        except Exception as error:
            EVENTS_PUBLISH_FAILED.labels(event_type).inc()
            refused = isinstance(error, aio_pika.exceptions.DeliveryError)
            raise PublishFailed(f"{event_type} {event_id}: {error!r}", refused=refused) from error
        EVENTS_PUBLISHED.labels(event_type).inc()

    def queue_name(self, service: str) -> str:
        # Named after the exchange too, so a test run on its own exchange has its own queues.
        return f"{self._exchange_name}.{service}"

    async def declare_queue(self, service: str, routing_keys: list[str]) -> AbstractQueue:
        """The service's durable quorum queue, shared by its replicas, and its dead-letter queue."""
        name = self.queue_name(service)
        assert self._channel is not None and self._exchange and self._dead_exchange
        dead_queue = await self._channel.declare_queue(
            f"{name}.dead", durable=True, arguments={"x-queue-type": "quorum"}
        )
        await dead_queue.bind(self._dead_exchange, routing_key=name)
        queue = await self._channel.declare_queue(
            name,
            durable=True,
            arguments={
                "x-queue-type": "quorum",
                "x-dead-letter-exchange": self._dead_exchange_name,
                "x-dead-letter-routing-key": name,
                # Safety net only: the consumer parks a failing message itself, with a reason.
                "x-delivery-limit": self._max_attempts + 2,
            },
        )
        for key in routing_keys:
            await queue.bind(self._exchange, routing_key=key)
        return queue

    async def consume(
        self, service: str, handlers: Mapping[type[EventData], Handler], prefetch: int = 32
    ) -> None:
        """Start consuming; each message is acked only after its handler returned."""
        assert self._channel is not None
        by_type = {event.TYPE: handler for event, handler in handlers.items()}
        queue = await self.declare_queue(service, list(by_type))
        queue_name = queue.name
        await self._channel.set_qos(prefetch_count=prefetch)

        async def on_message(message: AbstractIncomingMessage) -> None:
            task = asyncio.current_task()
            assert task is not None
            self._in_flight.add(task)
            try:
                await self._handle(queue_name, by_type, message)
            finally:
                self._in_flight.discard(task)

        tag = await queue.consume(on_message)
        self._consumers.append((queue, tag))
        log.info("bus.consuming", queue=queue_name, types=list(by_type), prefetch=prefetch)

    async def consume_broadcast(
        self, handlers: Mapping[type[EventData], Handler], prefetch: int = 64
    ) -> None:
        """Give this replica its own copy of every matching event (e.g. to drop cache entries).

        The queue is private to the connection and vanishes with it: a replica that was down
        has nothing to catch up on, because it starts with an empty cache. A copy that cannot
        be read or handled is logged and dropped; the shared queues carry the real work.
        """
        assert self._channel is not None and self._exchange is not None
        by_type = {event.TYPE: handler for event, handler in handlers.items()}
        queue = await self._channel.declare_queue(exclusive=True, auto_delete=True)
        for key in by_type:
            await queue.bind(self._exchange, routing_key=key)
        await self._channel.set_qos(prefetch_count=prefetch)

        async def on_message(message: AbstractIncomingMessage) -> None:
            async with message.process(ignore_processed=True):
                try:
                    envelope = decode(message.body)
                    await by_type[envelope.type](envelope)
                except Exception as error:
                    log.warning("bus.broadcast_dropped", type=message.type, error=repr(error))

        tag = await queue.consume(on_message)
        self._consumers.append((queue, tag))
        log.info("bus.broadcast_consuming", queue=queue.name, types=list(by_type))

    async def _handle(
        self, queue: str, handlers: Mapping[str, Handler], message: AbstractIncomingMessage
    ) -> None:
        try:
            envelope = decode(message.body)
            handler = handlers.get(envelope.type)
            if handler is None:
                raise UnreadableEvent(f"no handler for {envelope.type!r} on {queue}")
        except UnreadableEvent as error:
            EVENTS_HANDLED.labels(queue, message.type or "?", "unreadable").inc()
            await self._dead_letter(queue, message, str(error))
            return
        bound = log.bind(event_id=str(envelope.event_id), event_type=envelope.type)
        try:
            await self._run_through_outages(handler, envelope, bound)
        except Exception as error:
            attempt = delivery_count(message) + 1
            if attempt >= self._max_attempts:
                EVENTS_HANDLED.labels(queue, envelope.type, "dead").inc()
                bound.exception("bus.handler_gave_up", attempt=attempt)
                await self._dead_letter(
                    queue, message, f"handler failed {attempt} times: {error!r}"
                )
            else:
                EVENTS_HANDLED.labels(queue, envelope.type, "retry").inc()
                bound.warning("bus.handler_failed", attempt=attempt, error=repr(error))
                await asyncio.sleep(self._retry_delay * 2 ** (attempt - 1))
                await message.nack(requeue=True)
            return
        await message.ack()
        EVENTS_HANDLED.labels(queue, envelope.type, "ok").inc()

    async def _run_through_outages(
        self, handler: Handler, envelope: Envelope[Any], bound: Any
    ) -> None:
        """Run the handler; while a dependency is down, wait and run it again (holding the
        message, unacked), so an outage never burns the message's delivery attempts."""
        delay = self._retry_delay
        while True:
            try:
                await handler(envelope)
                return
            except self._transient as error:
                bound.warning("bus.handler_waiting", error=repr(error), retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    async def _dead_letter(self, queue: str, message: AbstractIncomingMessage, reason: str) -> None:
        """Park a copy with the reason in its headers, then ack; if parking fails, requeue."""
        assert self._dead_exchange is not None
        parked = parked_copy(message, reason)
        try:
            await self._dead_exchange.publish(
                parked, routing_key=queue, mandatory=True, timeout=self._publish_timeout
            )
        except Exception:
            log.exception("bus.dead_letter_failed", queue=queue)
            await message.nack(requeue=True)
            return
        await message.ack()
        EVENTS_DEAD_LETTERED.labels(queue).inc()
        log.warning("bus.dead_lettered", queue=queue, reason=reason, message_id=message.message_id)

    async def close(self) -> None:
        """Stop taking messages, let the in-flight handlers finish and ack, then disconnect.

        A handler still running after the grace period is cancelled and awaited before the
        connection closes; its message was not acked, so the broker delivers it again.
        """
        consumers, self._consumers = self._consumers, []
        for queue, tag in consumers:
            try:
                await queue.cancel(tag)
            except Exception:
                log.warning("bus.cancel_failed", queue=queue.name)
        if self._in_flight:
            _, late = await asyncio.wait(set(self._in_flight), timeout=SHUTDOWN_GRACE_SECONDS)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if self._connection is not None:
            await self._connection.close()
