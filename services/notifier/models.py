"""The notifier's API bodies and answers, and its private delivery-job event."""

import re
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, field_validator

from shared.contracts.events import ArticlePublished, EventData, register_event
from shared.contracts.sections import SECTIONS_BY_SLUG
from shared.contracts.text import is_one_line

Language = Literal["vi", "en"]

# What an address from the sign-up form can look like once email-validator accepted and
# lowercased it: a dot-atom local part and an ASCII domain; no space, no control character,
# no bracket or comma that could change an SMTP command or a header.
PLAUSIBLE_ADDRESS = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~.-]+@[a-z0-9-]+(\.[a-z0-9-]+)*", re.IGNORECASE
)
MAX_ADDRESS_LENGTH = 254


def _no_control_characters(value: str) -> str:
    if not is_one_line(value):
        raise ValueError("control characters are not allowed")
    return value


def is_plausible_address(value: str) -> bool:
    return len(value) <= MAX_ADDRESS_LENGTH and PLAUSIBLE_ADDRESS.fullmatch(value) is not None


def _plausible_address(value: str) -> str:
    if not is_plausible_address(value):
        raise ValueError("not a plausible email address")
    return value


Text = Annotated[str, AfterValidator(_no_control_characters)]
Recipient = Annotated[str, AfterValidator(_plausible_address)]


def _known_sections(sections: list[str]) -> list[str]:
    unknown = [slug for slug in sections if slug not in SECTIONS_BY_SLUG]
    if unknown:
        raise ValueError(f"unknown section(s): {', '.join(unknown)}")
    return sorted(set(sections))


class SubscribeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: EmailStr = Field(max_length=MAX_ADDRESS_LENGTH)
    # Section slugs (see /api/sections); empty means every section.
    sections: list[Text] = Field(default_factory=list, max_length=50)
    language: Language = "vi"

    @field_validator("email", mode="before")
    @classmethod
    def _refuse_control_characters(cls, value: object) -> object:
        # Checked before email-validator and the whitespace stripping; only a line break or
        # tab around the address (a paste) is forgiven, by the stripping.
        if isinstance(value, str):
            _no_control_characters(value.strip())
        return value

    @field_validator("email")
    @classmethod
    def _ascii_address(cls, value: str) -> str:
        # Internationalised addresses need SMTPUTF8 end to end; refuse them clearly instead.
        if not value.isascii():
            raise ValueError("only ASCII email addresses are accepted")
        return _plausible_address(value.lower())

    _sections = field_validator("sections")(_known_sections)


class PreferencesRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sections: list[Text] = Field(default_factory=list, max_length=50)
    paused: bool = False
    language: Language | None = None

    _sections = field_validator("sections")(_known_sections)


class TokenQuery(BaseModel):
    # Extra parameters (a mail client's tracking tags on a link) are ignored, not refused.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    # Tokens are base64url, with a dot in the first format: nothing else can be one.
    token: str = Field(min_length=1, max_length=2048, pattern=r"^[A-Za-z0-9_=.-]+$")


class SubscriberListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    status: Literal["pending", "confirmed", "unsubscribed"] | None = None
    after: Text | None = Field(default=None, max_length=MAX_ADDRESS_LENGTH)
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
    # Checked here, so a malformed job is dead-lettered by the bus instead of reaching SMTP.
    recipients: list[Recipient] = Field(min_length=1, max_length=1000)
    # Recipients who asked for another language than Vietnamese.
    languages: dict[Recipient, Language] = Field(default_factory=dict)
    # Attempt numbers above this are not made: the delivery stays failed until retried.
    attempt_limit: int = Field(ge=1)
