"""The notifier API's query parameters and answers (they also generate its OpenAPI document)."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from services.notifier.domain.migration import MAX_IMPORT_BYTES
from services.notifier.domain.models import MAX_ADDRESS_LENGTH, Text

# The people-facing words of the answers, shared by the JSON API and the pages.
CONFIRMED = "Đăng ký nhận tin đã được xác nhận."
UNSUBSCRIBED = "Bạn đã hủy đăng ký nhận tin."
RESUBSCRIBED = "Bạn đã đăng ký nhận tin trở lại."


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


class ExportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    # confirmed: those who receive mail (the default); all: every status, with `status`.
    status: Literal["confirmed", "all"] = "confirmed"


class SubscriberFile(RootModel[str]):
    """A CSV file of subscribers (UTF-8, header row: email, sections, consent_source,
    consented_at, language; docs/notifier.md)."""

    root: str = Field(max_length=MAX_IMPORT_BYTES)


class RefusedRow(BaseModel):
    """A row that was not imported: its line in the file, and why."""

    line: int
    reason: str


class ImportAnswer(BaseModel):
    """What the import did with the file's rows (`refusals`: the first 100 refused)."""

    rows: int
    imported: int
    updated: int
    unchanged: int
    left_out: int
    refused: int
    refusals: list[RefusedRow]
