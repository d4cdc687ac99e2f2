"""Request and response bodies of the content API."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ArticleDraft(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=300)
    lead: str = Field(default="", max_length=2000)
    body: str = Field(default="", max_length=200_000)
    section: str = Field(min_length=1, max_length=120)
    authors: list[str] = Field(default_factory=list, max_length=20)


class Article(BaseModel):
    id: str
    slug: str
    title: str
    lead: str
    body: str
    section: str
    authors: list[str]
    status: str
    revision: int
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None = None
    url: str


class ArticleList(BaseModel):
    items: list[Article]


class ViewBeacon(BaseModel):
    """What a page sends when it is shown; the visitor is derived on the server, never sent."""

    model_config = ConfigDict(extra="ignore")

    path: str = Field(min_length=1, max_length=2048, pattern=r"^/")
    article_id: str | None = Field(default=None, max_length=64)
    referrer: str | None = Field(default=None, max_length=2048)
