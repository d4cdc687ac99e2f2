"""Request and response bodies of the content API (they also generate its OpenAPI document)."""

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from shared.contracts.sections import SECTIONS_BY_SLUG
from shared.contracts.text import ID_PATTERN, ONE_LINE, MultiLine

SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
HTTP_URL = r"^https?://[^\s\x00-\x1f\x7f]+$"

Status = Literal["draft", "scheduled", "published", "unpublished"]
Role = Literal["editor", "admin"]
Line = Annotated[str, Field(min_length=1, max_length=120, pattern=ONE_LINE)]


def _known_section(value: str | None) -> str | None:
    """A section slug; its display name is accepted too and stored as the slug."""
    if value is None or value in SECTIONS_BY_SLUG:
        return value
    for section in SECTIONS_BY_SLUG.values():
        if section.name.casefold() == value.casefold():
            return section.slug
    raise ValueError(f"unknown section; one of: {', '.join(SECTIONS_BY_SLUG)}")


class _Editable(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ArticleDraft(_Editable):
    """A new article; it starts as a draft."""

    title: str = Field(min_length=1, max_length=300, pattern=ONE_LINE)
    section: str = Field(
        description="a section slug, see GET /api/sections",
        json_schema_extra={"enum": list(SECTIONS_BY_SLUG)},
    )
    lead: MultiLine = Field(default="", max_length=2000)
    body: MultiLine = Field(default="", max_length=200_000)
    tags: list[Line] = Field(default_factory=list, max_length=20)
    authors: list[Line] = Field(default_factory=list, max_length=20)
    cover_image_url: str | None = Field(default=None, max_length=2048, pattern=HTTP_URL)
    cover_caption: str = Field(default="", max_length=500, pattern=ONE_LINE)

    _section = field_validator("section")(_known_section)


class ArticlePatch(_Editable):
    """Changes to an article; a missing or null field stays as it is."""

    title: str | None = Field(default=None, min_length=1, max_length=300, pattern=ONE_LINE)
    slug: str | None = Field(default=None, min_length=1, max_length=96, pattern=SLUG)
    section: str | None = Field(default=None, json_schema_extra={"enum": list(SECTIONS_BY_SLUG)})
    lead: MultiLine | None = Field(default=None, max_length=2000)
    body: MultiLine | None = Field(default=None, max_length=200_000)
    tags: list[Line] | None = Field(default=None, max_length=20)
    authors: list[Line] | None = Field(default=None, max_length=20)
    # "" removes the cover image.
    cover_image_url: str | None = Field(default=None, max_length=2048, pattern=r"^$|" + HTTP_URL)
    cover_caption: str | None = Field(default=None, max_length=500, pattern=ONE_LINE)
    revision: int | None = Field(default=None, ge=1, description="409 if not the current one")

    _section = field_validator("section")(_known_section)


class ScheduleRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    publish_at: AwareDatetime

    @field_validator("publish_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        # Stored and compared in UTC; "0001-01-01T00:00+14:00" has no UTC equivalent.
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValueError("the time is out of range once converted to UTC") from None


class PreviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: MultiLine = Field(max_length=200_000)


class PreviewOut(BaseModel):
    """The body as it will be stored and shown."""

    body: str


class TagOut(BaseModel):
    slug: str
    name: str


class ArticleSummary(BaseModel):
    """An article in a list."""

    id: str
    slug: str
    title: str
    lead: str
    section: str
    section_slug: str
    tags: list[TagOut]
    authors: list[str]
    cover_image_url: str | None
    cover_caption: str
    published_at: datetime
    url: str


class ArticleOut(ArticleSummary):
    """One live article."""

    body: str
    revision: int
    status: Status
    updated_at: datetime


class ArticlePage(BaseModel):
    """A page of articles; pass `next_cursor` back as `cursor` for the next one."""

    items: list[ArticleSummary]
    next_cursor: str | None


class ArticleList(BaseModel):
    """A list of articles."""

    items: list[ArticleSummary]


class SectionOut(BaseModel):
    slug: str
    name: str
    count: int = 0


class SectionList(BaseModel):
    """The sections, in catalogue order."""

    items: list[SectionOut]


class EditorArticle(BaseModel):
    """An article as editors see it, in any state."""

    id: str
    slug: str
    title: str
    lead: str
    body: str
    section: str
    section_slug: str
    tags: list[TagOut]
    authors: list[str]
    cover_image_url: str | None
    cover_caption: str
    status: Status
    revision: int
    publish_at: datetime | None
    published_at: datetime | None
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    url: str


class EditorArticleList(BaseModel):
    """Articles in every state, the latest edit first."""

    items: list[EditorArticle]


class AuditEntry(BaseModel):
    revision: int
    action: str
    by: str
    at: datetime


class AuditList(BaseModel):
    """Who changed the article, how and when, oldest first."""

    items: list[AuditEntry]


class EditorMe(BaseModel):
    """Who the token belongs to."""

    name: str
    role: Role


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80, pattern=ONE_LINE)
    role: Role = "editor"


class TokenCreated(BaseModel):
    """The new token; it is shown once and only its hash is stored."""

    name: str
    role: Role
    token: str


class NoQuery(BaseModel):
    """No parameters; unknown ones (cache busters) are ignored, operator-like ones refused."""

    model_config = ConfigDict(extra="ignore")


class LatestQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    limit: int = Field(default=20, ge=1, le=50)
    cursor: str | None = Field(default=None, max_length=200, pattern=r"^[A-Za-z0-9_=-]*$")
    section: str | None = Field(default=None, max_length=96, pattern=SLUG)
    tag: str | None = Field(default=None, max_length=96, pattern=SLUG)


class OtherQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    limit: int = Field(default=5, ge=1, le=20)


class SearchQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    q: str = Field(min_length=1, max_length=200, pattern=ONE_LINE)
    limit: int = Field(default=20, ge=1, le=50)


class EditorListQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: Status | None = None
    limit: int = Field(default=50, ge=1, le=100)


class ViewBeacon(BaseModel):
    """What a page sends when it is shown; the visitor is derived on the server, never sent."""

    model_config = ConfigDict(extra="ignore")

    path: str = Field(min_length=1, max_length=2048, pattern=r"^/[^\x00-\x1f\x7f-\x9f]*$")
    # Counted as the article's view only if it names a live article (else: a view of the
    # path); an id is never taken as given.
    article_id: str | None = Field(default=None, pattern=ID_PATTERN)
    referrer: str | None = Field(default=None, max_length=2048, pattern=ONE_LINE)
