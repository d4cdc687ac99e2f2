"""The bodies of the revisions API: one revision's text, a comparison, a restore."""

from pydantic import BaseModel, ConfigDict, Field

from services.content.domain.revisions import FieldDiff, Snapshot


class RevisionOut(Snapshot):
    """What the article said at `revision`."""

    revision: int


class CompareQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    before: int = Field(ge=1, le=10**9)
    after: int = Field(ge=1, le=10**9)


class CompareOut(BaseModel):
    before: int
    after: int
    fields: list[FieldDiff] = Field(description="only the fields that differ")


class RestoreRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    revision: int | None = Field(
        default=None, ge=1, description="the article's current revision; 409 if stale"
    )
