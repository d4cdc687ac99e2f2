"""Article documents as stored, turned into the API's models."""

from datetime import datetime

from services.content.models import ArticleOut, ArticleSummary, EditorArticle, TagOut
from services.content.slugs import make_slug
from shared.contracts.sections import SECTIONS_BY_SLUG, Section
from shared.platform.db import Document


def section_of(article: Document) -> Section:
    """The article's section; one filed before the catalogue existed keeps its own name."""
    stored = str(article.get("section", ""))
    known = SECTIONS_BY_SLUG.get(stored)
    return known if known is not None else Section(make_slug(stored), stored)


def tags_of(names: list[str]) -> list[Document]:
    """Tags as stored: the name as typed and its slug; one entry per slug."""
    tags: dict[str, Document] = {}
    for name in names:
        tags.setdefault(make_slug(name), {"slug": make_slug(name), "name": name})
    return list(tags.values())


def _common(article: Document, url: str) -> dict[str, object]:
    section = section_of(article)
    return {
        "id": str(article["_id"]),
        "slug": article["slug"],
        "title": article["title"],
        "lead": article.get("lead", ""),
        "section": section.name,
        "section_slug": section.slug,
        "tags": [TagOut(slug=t["slug"], name=t["name"]) for t in article.get("tags", [])],
        "authors": list(article.get("authors", [])),
        "cover_image_url": article.get("cover_image_url") or None,
        "cover_caption": article.get("cover_caption", ""),
        "url": url,
    }


def summary(article: Document, url: str) -> ArticleSummary:
    published_at: datetime = article["published_at"]
    return ArticleSummary.model_validate({**_common(article, url), "published_at": published_at})


def article_out(article: Document, url: str) -> ArticleOut:
    return ArticleOut.model_validate(
        {
            **_common(article, url),
            "published_at": article["published_at"],
            "body": article.get("body", ""),
            "revision": article["revision"],
            "status": article["status"],
            "updated_at": article["updated_at"],
        }
    )


def editor_article(article: Document, url: str) -> EditorArticle:
    return EditorArticle.model_validate(
        {
            **_common(article, url),
            "body": article.get("body", ""),
            "status": article["status"],
            "revision": article["revision"],
            "publish_at": article.get("publish_at"),
            "published_at": article.get("published_at"),
            "created_at": article["created_at"],
            "created_by": article.get("created_by", "?"),
            "updated_at": article["updated_at"],
            "updated_by": article.get("updated_by", "?"),
        }
    )
