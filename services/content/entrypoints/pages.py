"""Reader pages and the editor page, rendered on the server, and their versioned static assets."""

import asyncio
import hashlib
import mimetypes
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp_jinja2
from aiohttp import web

from services.content.entrypoints.http_cache import HTML, Built
from services.content.entrypoints.keys import READER, RESPONSES, SECTIONS, SETTINGS, SITE
from services.content.entrypoints.structured_data import article_meta, news_article
from services.content.schemas import ArticleSummary
from services.content.usecases.read_values import Redirect
from shared.contracts.errors import DomainError, NotFound
from shared.contracts.site import SiteIdentity
from shared.platform.http import status_of
from shared.presentation.vietnamese import date_line

STATIC = Path(__file__).parent.parent / "static"
HOME_SECTION_ITEMS = 4
LIST_ITEMS = 20
OTHER_NEWS = 5
MAX_QUERY = 200

# Pages change whenever an article is published or edited; assets never change under one
# URL (the URL carries their content hash), so they can be cached for a year.
PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    # No inline script anywhere: an article body that slipped past the sanitiser cannot run.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' https: http: data:; script-src 'self'; "
        "style-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
}
ASSET_FOREVER = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str
    charset: str | None
    version: str


class Assets:
    """The files of static/, read once at start and served from memory under a hash."""

    def __init__(self, directory: Path) -> None:
        self.files: dict[str, Asset] = {}
        for path in sorted(directory.iterdir()):
            if path.is_file():
                body = path.read_bytes()
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                textual = content_type.startswith("text/") or content_type.endswith("javascript")
                version = hashlib.sha256(body).hexdigest()[:12]
                charset = "utf-8" if textual else None
                self.files[path.name] = Asset(body, content_type, charset, version)

    def url(self, name: str) -> str:
        return f"/static/{self.files[name].version}/{name}"


ASSETS = web.AppKey("page_assets", Assets)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def page(template: str) -> Callable[[Callable[[web.Request], Awaitable[dict[str, Any]]]], Handler]:
    """Render `template` with what the handler returns; an error becomes an HTML error page.

    Rendered once per URL and read-cache generation (entrypoints/http_cache.py), with an
    ETag: a page changes only when an article does, on this replica or another."""

    def wrap(build: Callable[[web.Request], Awaitable[dict[str, Any]]]) -> Handler:
        async def render(request: web.Request) -> Built:
            site = {**site_context(request.app[SITE].current), **navigation(request)}
            try:
                cursor = request.query.get("cursor")  # a list's later page is its own page
                context = {"path": request.path, "cursor": cursor, **site, **await build(request)}
                text = aiohttp_jinja2.render_string(template, request, context)
                return Built(text.encode(), 200, HTML)
            except DomainError as error:
                status, _ = status_of(error)
                context = {
                    "path": request.path,
                    "status": status,
                    "message": error.message,
                    **site,
                }
                text = aiohttp_jinja2.render_string("error.html", request, context)
                return Built(text.encode(), status, HTML)

        async def handler(request: web.Request) -> web.StreamResponse:
            return await request.app[RESPONSES].answer(
                request, partial(render, request), PAGE_HEADERS
            )

        return handler

    return wrap


@page("home.html")
async def home_page(request: web.Request) -> dict[str, Any]:
    reader = request.app[READER]
    shown = request.app[SECTIONS].current.visible
    latest, *by_section = await asyncio.gather(
        reader.latest(limit=5),
        *(reader.latest(limit=HOME_SECTION_ITEMS, section=s.slug) for s in shown),
    )
    blocks = [(section, found.items) for section, found in zip(shown, by_section, strict=True)]
    return {"latest": latest.items, "blocks": [b for b in blocks if b[1]]}


@page("list.html")
async def section_page(request: web.Request) -> dict[str, Any]:
    section = request.app[SECTIONS].current.get(request.match_info["slug"])
    if section is None or section.hidden:
        raise NotFound("Không có chuyên mục này.")
    cursor = request.query.get("cursor") or None
    found = await request.app[READER].latest(limit=LIST_ITEMS, cursor=cursor, section=section.slug)
    return {
        "heading": section.name,
        "current_section": section.slug,
        "items": found.items,
        "next_url": _more(found.next_cursor),
        "feed": {"title": section.name, "url": f"/chuyen-muc/{section.slug}/rss.xml"},
    }


@page("list.html")
async def tag_page(request: web.Request) -> dict[str, Any]:
    slug = request.match_info["slug"]
    cursor = request.query.get("cursor") or None
    found = await request.app[READER].latest(limit=LIST_ITEMS, cursor=cursor, tag=slug)
    if not found.items and cursor is None:
        raise NotFound("Chưa có bài viết nào mang từ khóa này.")
    name = next((t.name for a in found.items for t in a.tags if t.slug == slug), slug)
    return {
        "heading": f"Từ khóa: {name}",
        "items": found.items,
        "next_url": _more(found.next_cursor),
    }


@page("search.html")
async def search_page(request: web.Request) -> dict[str, Any]:
    query = request.query.get("q", "").strip()[:MAX_QUERY]
    items = await request.app[READER].search(query, limit=LIST_ITEMS) if query else []
    # Results pages are endless and thin: search engines should follow them, not list them.
    return {"query": query, "items": items, "robots": "noindex, follow"}


@page("article.html")
async def article_page(request: web.Request) -> dict[str, Any]:
    article = await request.app[READER].by_slug(request.match_info["slug"])
    if isinstance(article, Redirect):
        # An old slug: the article was renamed after it was published.
        raise web.HTTPMovedPermanently(request.path.rsplit("/", 1)[0] + "/" + article.slug)
    if article is None:
        raise NotFound("Không tìm thấy bài viết.")
    others = await request.app[READER].other_news(article, limit=OTHER_NEWS)
    public_url = request.app[SETTINGS].public_base
    return {
        "article": article,
        "others": others,
        "current_section": article.section_slug,
        "meta": article_meta(article, public_url),
        "structured": news_article(article, request.app[SITE].current, public_url),
    }


@page("subscribe.html")
async def subscribe_page(request: web.Request) -> dict[str, Any]:
    return {}


@page("editor.html")
async def editor_page(request: web.Request) -> dict[str, Any]:
    return {"robots": "noindex"}


DASHBOARD_TABLES = (  # the dashboard's tables: name in the counter's API, title, first column
    ("articles", "Bài viết được xem nhiều", "Bài viết"),
    ("pages", "Trang", "Đường dẫn"),
    ("sources", "Nguồn truy cập", "Nguồn"),
    ("browsers", "Trình duyệt", "Trình duyệt"),
    ("devices", "Thiết bị", "Thiết bị"),
    ("bots", "Bot (không tính vào số liệu)", "Bot"),
)


@page("dashboard.html")
async def dashboard_page(request: web.Request) -> dict[str, Any]:
    """The statistics dashboard: a shell; its figures come from the counter's API."""
    return {"robots": "noindex", "tables": DASHBOARD_TABLES}


async def static_file(request: web.Request) -> web.StreamResponse:
    asset = request.app[ASSETS].files.get(request.match_info["name"])
    if asset is None:
        raise web.HTTPNotFound()
    # An old version asked for during a deploy gets today's file, but only briefly cached.
    current = request.match_info["version"] == asset.version
    headers = {
        "Cache-Control": ASSET_FOREVER if current else "public, max-age=60",
        "ETag": f'"{asset.version}"',
        "X-Content-Type-Options": "nosniff",
    }
    # The gateway's gzip turns the tag weak (W/"..."): either form is the same version.
    if headers["ETag"] in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    return web.Response(
        body=asset.body, content_type=asset.content_type, charset=asset.charset, headers=headers
    )


def _more(cursor: str | None) -> str | None:
    """The link to the next page of a list, if there is one."""
    return "?" + urlencode({"cursor": cursor}) if cursor else None


def local_path(url: str) -> str:
    """An article's absolute URL as a link on our own pages (whatever host built it)."""
    return urlsplit(url).path or "/"


def site_context(site: SiteIdentity) -> dict[str, Any]:
    """What the templates say about the site, from its identity as this replica serves it
    now (a change shows on the next render: the response cache keys on its revision)."""
    return {
        "site_name": site.name,
        "site_body": site.organisation,
        "site_address": site.address,
        "site_phone": site.telephone,
        "site_email": site.email,
        "site_logo": site.logo_url,
        "site_footer": site.footer_text,
    }


def navigation(request: web.Request) -> dict[str, Any]:
    """The sections the navigation shows, as administrators left them."""
    return {"sections": request.app[SECTIONS].current.visible}


def _template_globals(app: web.Application) -> Mapping[str, Any]:
    assets = app[ASSETS]

    def when(moment: datetime) -> str:
        # A global, for the macros too; in the site's time zone as it is now.
        return date_line(moment, app[SITE].current.zone)

    def link(article: ArticleSummary) -> str:
        return local_path(article.url)

    return {
        "asset": assets.url,
        "date_line": when,
        "link": link,
        "public_url": app[SETTINGS].public_base,
    }


def add_page_routes(app: web.Application) -> None:
    app[ASSETS] = Assets(STATIC)
    aiohttp_jinja2.get_env(app).globals.update(_template_globals(app))
    app.router.add_get("/", home_page)
    app.router.add_get("/chuyen-muc/{slug}", section_page)
    app.router.add_get("/tu-khoa/{slug}", tag_page)
    app.router.add_get("/tim-kiem", search_page)
    app.router.add_get("/articles/{slug}", article_page)
    app.router.add_get("/dang-ky-nhan-tin", subscribe_page)
    app.router.add_get("/editor", editor_page)
    app.router.add_get("/thong-ke", dashboard_page)
    app.router.add_get("/static/{version}/{name}", static_file)
