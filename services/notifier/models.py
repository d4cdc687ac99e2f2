"""The notifier's API bodies and answers, and its private delivery-job event."""

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from shared.events import ArticlePublished, EventData, register_event
from shared.sections import SECTIONS_BY_SLUG

Language = Literal["vi", "en"]


def _known_sections(sections: list[str]) -> list[str]:
    unknown = [slug for slug in sections if slug not in SECTIONS_BY_SLUG]
    if unknown:
        raise ValueError(f"unknown section(s): {', '.join(unknown)}")
    return sorted(set(sections))


class SubscribeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: EmailStr = Field(max_length=254)
    # Section slugs (see /api/sections); empty means every section.
    sections: list[str] = Field(default_factory=list, max_length=50)
    language: Language = "vi"

    @field_validator("email")
    @classmethod
    def _ascii_address(cls, value: str) -> str:
        # Internationalised addresses need SMTPUTF8 end to end; refuse them clearly instead.
        if not value.isascii():
            raise ValueError("only ASCII email addresses are accepted")
        return value.lower()

    _sections = field_validator("sections")(_known_sections)


class PreferencesRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sections: list[str] = Field(default_factory=list, max_length=50)
    paused: bool = False
    language: Language | None = None

    _sections = field_validator("sections")(_known_sections)


class TokenQuery(BaseModel):
    # Extra parameters (a mail client's tracking tags on a link) are ignored, not refused.
    model_config = ConfigDict(extra="ignore")

    token: str = Field(min_length=1, max_length=2048)


class SubscriberListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["pending", "confirmed", "unsubscribed"] | None = None
    after: str | None = Field(default=None, max_length=254)
    limit: int = Field(default=100, ge=1, le=1000)


class Answer(BaseModel):
    """What happened, in Vietnamese for people."""

    status: str
    message: str


class Preferences(BaseModel):
    """A subscriber's current preferences."""

    email: str
    status: str
    sections: list[str]
    paused: bool
    language: str


class Subscriber(BaseModel):
    """One subscriber, as the admin API lists it."""

    email: str
    status: str
    sections: list[str]
    paused: bool
    language: str
    suppressed: bool


class SubscriberList(BaseModel):
    """A page of subscribers, ordered by address; pass `next` as `after` for the next page."""

    subscribers: list[Subscriber]
    next: str | None


class Suppression(BaseModel):
    """An address the SMTP server refused permanently: nothing is sent to it."""

    email: str
    reason: str
    suppressed_at: str


class SuppressionList(BaseModel):
    """Every suppressed address."""

    suppressions: list[Suppression]


class DeliveryStatus(BaseModel):
    """Deliveries of one article, counted by state (states with none are left out)."""

    article_id: str
    total: int
    deliveries: dict[str, int]


class RetryAnswer(BaseModel):
    """How many failed deliveries were queued again."""

    article_id: str
    queued: int


@register_event
class DeliveryJob(EventData):
    """A chunk of one article's recipients, for whichever replica takes it off the queue."""

    TYPE: ClassVar[str] = "notifier.delivery"
    VERSION: ClassVar[int] = 1

    article: ArticlePublished
    recipients: list[str] = Field(min_length=1, max_length=1000)
    # Recipients who asked for another language than Vietnamese.
    languages: dict[str, Language] = Field(default_factory=dict)
    # Attempt numbers above this are not made: the delivery stays failed until retried.
    attempt_limit: int = Field(ge=1)
