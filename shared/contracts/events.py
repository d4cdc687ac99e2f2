"""The event contracts: one envelope for every message, and the typed payload of each event."""

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, HttpUrl, ValidationError

from shared.contracts.text import ID_PATTERN, ONE_LINE


class EventData(BaseModel):
    """A payload. Additive fields do not bump the version, so readers ignore unknown ones."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    TYPE: ClassVar[str]
    VERSION: ClassVar[int]


class ArticleFacts(EventData):
    """What readers of article events need: enough to link, list and email an article."""

    article_id: str
    revision: int = Field(default=1, ge=1)
    slug: str
    title: str
    lead: str
    section: str  # the section's Vietnamese name, for display
    section_slug: str  # the section's key (see shared/contracts/sections.py), for matching
    tags: list[str] = Field(default_factory=list)
    authors: list[str] = Field(default_factory=list)
    url: HttpUrl
    published_at: AwareDatetime


class ArticlePublished(ArticleFacts):
    """An article went live (first publication, or again after being unpublished)."""

    TYPE: ClassVar[str] = "article.published"
    VERSION: ClassVar[int] = 1


class ArticleUpdated(ArticleFacts):
    """A live article was edited; `revision` says which edit, `slug` may have changed."""

    TYPE: ClassVar[str] = "article.updated"
    VERSION: ClassVar[int] = 1

    previous_slug: str | None = None


class ArticleImported(ArticleFacts):
    """An article brought over from an old portal went live at its original date, quietly:
    readers of the site see it, nobody is emailed (the notifier does not take this type).
    Also what a later re-publication of such an article sends."""

    TYPE: ClassVar[str] = "article.imported"
    VERSION: ClassVar[int] = 1

    source_url: str = Field(max_length=2048)  # where the old portal had it


class ArticleUnpublished(EventData):
    """An article was taken off the site."""

    TYPE: ClassVar[str] = "article.unpublished"
    VERSION: ClassVar[int] = 1

    article_id: str
    revision: int = Field(default=1, ge=1)
    slug: str


Device = Literal["phone", "tablet", "desktop"]


class PageView(BaseModel):
    """One view of one page, with the visitor already reduced to a salted hash."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    visitor: str = Field(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")
    path: str = Field(min_length=1, max_length=2048, pattern=ONE_LINE)
    # A live article's id; consumers may turn it into a document key (safely encoded).
    article_id: str | None = Field(default=None, pattern=ID_PATTERN)
    referrer_host: str | None = Field(default=None, max_length=253, pattern=ONE_LINE)
    is_bot: bool = False
    # The user-agent family ("Googlebot", "HeadlessChrome", "Chrome"), never the raw UA:
    # it lets an operator see what the bot filter excluded.
    agent_family: str | None = Field(default=None, max_length=64, pattern=ONE_LINE)
    # The class of device the user agent names; absent from producers of before it existed.
    device: Device | None = None
    viewed_at: AwareDatetime
    # The gateway's id of the beacon's request: a beacon the gateway sends again (its first
    # replica reset the connection) has the same id, and consumers count it once.
    view_id: str | None = Field(default=None, pattern=ID_PATTERN)


class PageViewed(EventData):
    """Page views; a list, so that a producer may batch several into one message."""

    TYPE: ClassVar[str] = "page.viewed"
    VERSION: ClassVar[int] = 1

    views: list[PageView] = Field(min_length=1, max_length=1000)


DataT = TypeVar("DataT", bound=EventData)

EVENT_TYPES: dict[str, type[EventData]] = {
    event.TYPE: event
    for event in (ArticlePublished, ArticleUpdated, ArticleImported, ArticleUnpublished, PageViewed)
}

EventT = TypeVar("EventT", bound=type[EventData])


def register_event(event: EventT) -> EventT:
    """Make a service-private event type decodable (e.g. the notifier's delivery jobs)."""
    known = EVENT_TYPES.setdefault(event.TYPE, event)
    if known is not event:
        raise ValueError(f"event type {event.TYPE!r} is already registered")
    return event


class _EnvelopeHeader(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: uuid.UUID
    type: str = Field(min_length=1)
    version: int = Field(ge=1)
    occurred_at: AwareDatetime
    producer: str = Field(min_length=1)


class Envelope(_EnvelopeHeader, Generic[DataT]):
    """What travels on the bus. `event_id` is the idempotency key of every consumer."""

    data: DataT


class _RawEnvelope(_EnvelopeHeader):
    data: dict[str, Any]


class UnreadableEvent(Exception):
    """The message is not an event we can handle; it goes to the dead-letter queue."""


# pydantic caches parametrised generics only weakly and rebuilds them (≈ 100 µs) once
# collected, so each event type keeps its envelope class here.
_ENVELOPE_CLASSES: dict[type[EventData], type[Envelope[Any]]] = {}


def envelope_class(data_class: type[EventData]) -> type[Envelope[Any]]:
    """`Envelope[data_class]`: parametrised so pydantic serialises `data` by its own type."""
    known = _ENVELOPE_CLASSES.get(data_class)
    if known is None:
        known = _ENVELOPE_CLASSES[data_class] = Envelope[data_class]  # type: ignore[valid-type]
    return known


def new_envelope(data: DataT, producer: str, event_id: uuid.UUID | None = None) -> Envelope[DataT]:
    return envelope_class(type(data))(
        event_id=event_id or uuid.uuid4(),
        type=data.TYPE,
        version=data.VERSION,
        occurred_at=datetime.now(UTC),
        producer=producer,
        data=data,
    )


def encode(envelope: Envelope[Any]) -> bytes:
    return envelope.model_dump_json().encode()


def decode(body: bytes) -> Envelope[EventData]:
    """Parse and validate a message body, or raise UnreadableEvent saying why."""
    try:
        raw = _RawEnvelope.model_validate_json(body)
    except ValidationError as error:
        raise UnreadableEvent(f"invalid envelope: {_short(error)}") from error
    data_class = EVENT_TYPES.get(raw.type)
    if data_class is None:
        raise UnreadableEvent(f"unknown event type {raw.type!r}")
    if raw.version > data_class.VERSION:
        raise UnreadableEvent(
            f"{raw.type} version {raw.version} is newer than understood ({data_class.VERSION})"
        )
    try:
        data = data_class.model_validate(raw.data)
    except ValidationError as error:
        raise UnreadableEvent(f"invalid {raw.type} data: {_short(error)}") from error
    return envelope_class(data_class)(**raw.model_dump(exclude={"data"}), data=data)


def _short(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in item['loc']) or 'body'}: {item['msg']}"
        for item in error.errors()[:3]
    )
