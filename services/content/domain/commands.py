"""What editors ask of an article, validated at the edge: the use cases' commands.

These pydantic models are also the API's request bodies (and so its OpenAPI schemas).
"""

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from shared.contracts.text import ONE_LINE, MultiLine

SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
HTTP_URL = r"^https?://[^\s\x00-\x1f\x7f]+$"
Line = Annotated[str, Field(min_length=1, max_length=120, pattern=ONE_LINE)]


class _Editable(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ArticleDraft(_Editable):
    """A new article; it starts as a draft."""

    title: str = Field(min_length=1, max_length=300, pattern=ONE_LINE)
    # Checked against the sections as they are now by the use case (usecases/editing.py):
    # they are data, not a list fixed at start.
    section: str = Field(
        min_length=1,
        max_length=120,
        pattern=ONE_LINE,
        description="a section's slug (or its name), see GET /api/sections",
    )
    lead: MultiLine = Field(default="", max_length=2000)
    body: MultiLine = Field(default="", max_length=200_000)
    tags: list[Line] = Field(default_factory=list, max_length=20)
    authors: list[Line] = Field(default_factory=list, max_length=20)
    cover_image_url: str | None = Field(default=None, max_length=2048, pattern=HTTP_URL)
    cover_caption: str = Field(default="", max_length=500, pattern=ONE_LINE)


class ArticlePatch(_Editable):
    """Changes to an article; a missing or null field stays as it is."""

    title: str | None = Field(default=None, min_length=1, max_length=300, pattern=ONE_LINE)
    slug: str | None = Field(default=None, min_length=1, max_length=96, pattern=SLUG)
    section: str | None = Field(default=None, min_length=1, max_length=120, pattern=ONE_LINE)
    lead: MultiLine | None = Field(default=None, max_length=2000)
    body: MultiLine | None = Field(default=None, max_length=200_000)
    tags: list[Line] | None = Field(default=None, max_length=20)
    authors: list[Line] | None = Field(default=None, max_length=20)
    # "" removes the cover image.
    cover_image_url: str | None = Field(default=None, max_length=2048, pattern=r"^$|" + HTTP_URL)
    cover_caption: str | None = Field(default=None, max_length=500, pattern=ONE_LINE)
    revision: int | None = Field(default=None, ge=1, description="409 if not the current one")


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


# The earliest original date an imported article may carry: older is a typo, not history.
EARLIEST_IMPORT = datetime(1990, 1, 1, tzinfo=UTC)


class ImportedArticle(ArticleDraft):
    """One line of an import file: an article as an old portal published it."""

    published_at: AwareDatetime = Field(description="the original publication time, with offset")
    old_url: str = Field(
        min_length=1,
        max_length=2048,
        pattern=r"^(https?://[^/\s\x00-\x1f\x7f]+)?/[^\s\x00-\x1f\x7f]*$",
        description="the address on the old portal (absolute, or its path): answers 301",
    )

    @field_validator("published_at")
    @classmethod
    def _in_the_past(cls, value: datetime) -> datetime:
        try:
            moment = value.astimezone(UTC)
        except OverflowError:
            raise ValueError("the time is out of range once converted to UTC") from None
        if not EARLIEST_IMPORT <= moment <= datetime.now(UTC):
            raise ValueError("an imported article was published between 1990 and now")
        return moment
