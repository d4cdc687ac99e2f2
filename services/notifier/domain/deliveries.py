"""Deliveries: the job that carries a chunk of an article's recipients, and their states."""

from typing import ClassVar, Literal

from pydantic import Field

from services.notifier.domain.models import Language, Recipient
from shared.contracts.events import ArticlePublished, EventData, register_event

FinalState = Literal["sent", "suppressed", "skipped"]
# After a claim that someone else took: the delivery ended, the next attempt may go, or the
# holder is still at it.
Step = Literal["done", "next", "held"]


def delivery_key(article_id: str, email: str) -> str:
    return f"{article_id}:{email}"


def left_unsent(
    email: str, suppressed: frozenset[str], opted_out: frozenset[str]
) -> FinalState | None:
    """How a delivery ends without a send, if its address was suppressed or opted out (left,
    or paused) after the fan-out chose it."""
    if email in suppressed:
        return "suppressed"
    if email in opted_out:
        return "skipped"
    return None


def retry_delay(attempt: int, base: float, ceiling: float) -> float:
    """Exponential backoff before `attempt` (the second attempt waits `base`)."""
    return float(min(base * 2 ** (attempt - 2), ceiling))


def chunks(recipients: list[str], size: int) -> list[list[str]]:
    return [recipients[start : start + size] for start in range(0, len(recipients), size)]


@register_event
class DeliveryJob(EventData):
    """A chunk of one article's recipients, for whichever replica takes it off the queue."""

    TYPE: ClassVar[str] = "notifier.delivery"
    VERSION: ClassVar[int] = 1

    article: ArticlePublished
    # Checked here, so a malformed job is dead-lettered by the bus instead of reaching SMTP.
    recipients: list[Recipient] = Field(min_length=1, max_length=1000)
    # Recipients who asked for another language than Vietnamese.
    languages: dict[Recipient, Language] = Field(default_factory=dict)
    # Attempt numbers above this are not made: the delivery stays failed until retried.
    attempt_limit: int = Field(ge=1)
