"""Reader pages, rendered on the server (the web frontend)."""

import aiohttp_jinja2
from aiohttp import web

from services.content.keys import SETTINGS, STORE
from shared.vietnamese import date_line

MAX_LIST = 20


@aiohttp_jinja2.template("home.html")
async def home_page(request: web.Request) -> dict[str, object]:
    return {"articles": await request.app[STORE].latest(MAX_LIST), **_page_context(request)}


@aiohttp_jinja2.template("article.html")
async def article_page(request: web.Request) -> dict[str, object]:
    article = await request.app[STORE].get_published_by_slug(request.match_info["slug"])
    return {"article": article, **_page_context(request)}


def _page_context(request: web.Request) -> dict[str, object]:
    settings = request.app[SETTINGS]
    return {
        "counter_url": str(settings.counter_public_url).rstrip("/"),
        "date_line": lambda moment: date_line(moment, settings.zone),
    }


def add_page_routes(app: web.Application) -> None:
    app.router.add_get("/", home_page)
    app.router.add_get("/articles/{slug}", article_page)
