"""An old portal's addresses of migrated articles answer 301 to the article's page here
(usecases/importing.py keeps them). The route takes every path no other route took, so it
is added last; what is not an old address stays the 404 it was."""

from aiohttp import web

from services.content.entrypoints.keys import READER, STORE
from services.content.usecases.importing import old_address_key

GET = frozenset({"GET", "HEAD"})


async def old_address(request: web.Request) -> web.StreamResponse:
    if request.method not in GET:
        raise web.HTTPNotFound()
    # Raw: the same decoding of path and query as the import gave the address it kept.
    article_id = await request.app[STORE].article_at_old_address(old_address_key(request.raw_path))
    slug = None if article_id is None else request.app[READER].live_slug(article_id)
    if slug is None:  # not an old address, or its article is off the site
        raise web.HTTPNotFound()
    raise web.HTTPMovedPermanently(f"/articles/{slug}")


def add_old_address_route(app: web.Application) -> None:
    app.router.add_route("*", "/{tail:.*}", old_address)
