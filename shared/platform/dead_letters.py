"""Messages a consumer gives up on: parked, whole, with the reason in their headers."""

from datetime import UTC, datetime

import aio_pika
from aio_pika.abc import AbstractIncomingMessage


def parked_copy(message: AbstractIncomingMessage, reason: str) -> aio_pika.Message:
    """The message as it came, persistent, with why and when it was set aside, and the
    routing key it came with (so an operator can send it back where it was going)."""
    headers = dict(message.headers or {})
    headers.update(
        {
            "x-dead-reason": reason[:1000],
            "x-original-routing-key": message.routing_key or "",
            "x-dead-at": datetime.now(UTC).isoformat(),
        }
    )
    return aio_pika.Message(
        message.body,
        headers=headers,
        content_type=message.content_type,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=message.message_id,
        type=message.type,
    )


def delivery_count(message: AbstractIncomingMessage) -> int:
    """How often a quorum queue delivered this message before (0 on the first delivery)."""
    value = (message.headers or {}).get("x-delivery-count", 0)
    return value if isinstance(value, int) else 0
