"""The content API's bodies (they also generate its OpenAPI document), and how an
`Article` is shown in them."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.content.domain.article import Article, Status, section_of
from services.content.domain.commands import SLUG
from services.content.domain.editors import Role
from shared.contracts.sections import Section, SectionCatalogue
from shared.contracts.site import SiteIdentity
from shared.contracts.text import ID_PATTERN, ONE_LINE, MultiLine


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
    approved_by: str | None = None
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
    ref: str = Field(default="", description="names the token for revoking it")


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


class SummariesQuery(BaseModel):
    """Up to 100 article ids, comma-separated (the statistics dashboard names its top ones)."""

    model_config = ConfigDict(extra="forbid")

    ids: str = Field(
        min_length=1, max_length=6500, pattern=r"^[A-Za-z0-9_-]{1,64}(,[A-Za-z0-9_-]{1,64}){0,99}$"
    )


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


def _common(article: Article, url: str, sections: SectionCatalogue) -> dict[str, object]:
    section = section_of(article, sections)
    return {
        "id": article.id,
        "slug": article.slug,
        "title": article.title,
        "lead": article.lead,
        "section": section.name,
        "section_slug": section.slug,
        "tags": [TagOut(slug=tag.slug, name=tag.name) for tag in article.tags],
        "authors": list(article.authors),
        "cover_image_url": article.cover_image_url,
        "cover_caption": article.cover_caption,
        "url": url,
    }


def summary_of(article: Article, url: str, sections: SectionCatalogue) -> ArticleSummary:
    return ArticleSummary.model_validate(
        {**_common(article, url, sections), "published_at": article.published_at}
    )


def article_out_of(article: Article, url: str, sections: SectionCatalogue) -> ArticleOut:
    return ArticleOut.model_validate(
        {
            **_common(article, url, sections),
            "published_at": article.published_at,
            "body": article.body,
            "revision": article.revision,
            "status": article.status,
            "updated_at": article.updated_at,
        }
    )


def editor_article_of(article: Article, url: str, sections: SectionCatalogue) -> EditorArticle:
    return EditorArticle.model_validate(
        {
            **_common(article, url, sections),
            "body": article.body,
            "status": article.status,
            "revision": article.revision,
            "publish_at": article.publish_at,
            "published_at": article.published_at,
            "created_at": article.created_at,
            "created_by": article.created_by,
            "updated_at": article.updated_at,
            "updated_by": article.updated_by,
            "approved_by": article.approved_by,
        }
    )


class SiteOut(BaseModel):
    """The site's identity in force, and its revision (0: the environment's defaults)."""

    revision: int
    identity: SiteIdentity


class SiteChange(SiteIdentity):
    """A new identity for the site, whole; `revision` (the one you read) makes a stale
    change a 409 instead of overwriting someone else's."""

    revision: int | None = Field(default=None, ge=0)


class SectionsOut(BaseModel):
    """Every section, hidden ones too, in navigation order, and the list's revision (0: the
    starter list of a new portal)."""

    revision: int
    sections: tuple[Section, ...]


class SectionsChange(SectionCatalogue):
    """The whole new list of sections (a slug once each); `revision` (the one you read)
    makes a stale change a 409 instead of overwriting someone else's."""

    revision: int | None = Field(default=None, ge=0)
