"""What search engines and link previews read from a page: the canonical address, Open Graph
and Twitter cards, and schema.org `NewsArticle` as JSON-LD.

Built here as plain values and written by the templates (base.html, article.html). JSON-LD
goes through Jinja's `tojson`, which escapes `<`, `>`, `&` and `'`, so no text of an article
can close the script element; the element is data, not script, so the pages' strict CSP
(`script-src 'self'`) does not block it.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from services.content.schemas import ArticleOut
from shared.contracts.site import SiteIdentity

# Google shows at most this many characters of a headline; longer ones are cut there.
HEADLINE_LIMIT = 110


@dataclass(frozen=True)
class PageMeta:
    """The address a page is known by, and what a link preview shows of it."""

    canonical: str
    title: str
    description: str
    image: str | None = None


def local_iso(moment: datetime, zone: ZoneInfo) -> str:
    """ISO 8601 with the site's offset (2022-04-25T16:56:00+07:00), as feeds and JSON-LD
    want it: the local time a reader saw, and the instant without ambiguity."""
    return moment.astimezone(zone).isoformat(timespec="seconds")


def absolute(public_url: str, url: str) -> str:
    """A link as an absolute address (a cover may be given as a path on this site)."""
    return urljoin(public_url + "/", url)


def article_meta(article: ArticleOut, public_url: str) -> PageMeta:
    image = absolute(public_url, article.cover_image_url) if article.cover_image_url else None
    return PageMeta(article.url, article.title, article.lead, image)


def news_article(article: ArticleOut, site: SiteIdentity, public_url: str) -> dict[str, Any]:
    """schema.org NewsArticle, with the fields Google's article guidelines name."""
    zone = site.zone
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": article.url},
        "url": article.url,
        "headline": headline(article.title),
        "description": article.lead,
        "inLanguage": "vi",
        "datePublished": local_iso(article.published_at, zone),
        "dateModified": local_iso(max(article.updated_at, article.published_at), zone),
        "articleSection": article.section,
        "author": [{"@type": "Person", "name": name} for name in article.authors]
        or [_organisation(site, public_url)],
        "publisher": _organisation(site, public_url),
    }
    if article.tags:
        data["keywords"] = [tag.name for tag in article.tags]
    if article.cover_image_url:
        data["image"] = [absolute(public_url, article.cover_image_url)]
    return data


def _organisation(site: SiteIdentity, public_url: str) -> dict[str, Any]:
    organisation: dict[str, Any] = {
        "@type": "Organization",
        "name": site.organisation,
        "url": public_url + "/",
    }
    if site.logo_url:
        organisation["logo"] = {"@type": "ImageObject", "url": absolute(public_url, site.logo_url)}
    return organisation


def headline(title: str) -> str:
    if len(title) <= HEADLINE_LIMIT:
        return title
    return title[: HEADLINE_LIMIT - 1].rstrip() + "…"
