"""Request and response bodies of the content API."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

# One line of text: control characters (CR/LF above all) would break email headers.
ONE_LINE = r"^[^\x00-\x1f\x7f]*$"


class ArticleDraft(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=300, pattern=ONE_LINE)
    lead: str = Field(default="", max_length=2000)
    body: str = Field(default="", max_length=200_000)
    section: str = Field(min_length=1, max_length=120, pattern=ONE_LINE)
    authors: list[Annotated[str, Field(min_length=1, max_length=120, pattern=ONE_LINE)]] = Field(
        default_factory=list, max_length=20
    )


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
