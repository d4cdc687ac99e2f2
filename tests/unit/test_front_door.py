"""A current cached read is answered before routing, exactly as the handler would answer it."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any, cast

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import REGISTRY

from services.content.entrypoints.http_cache import Built, ResponseCache
from services.content.usecases.reading import ArticleReader
from shared.platform.http import FRONT, install_front, make_app

ROUTE = "/api/things/{name}"


class Site:
    """A response cache over a reader whose generation the test moves, and a counted handler."""

    def __init__(self) -> None:
        self.reader = SimpleNamespace(generation=0)
        self.cache = ResponseCache(cast(ArticleReader, self.reader), max_age=30)
        self.builds = 0
        self.handled = 0

    async def thing(self, request: web.Request) -> web.Response:
        self.handled += 1

        async def build() -> Built:
            self.builds += 1
            text = f'{{"name":"{request.match_info["name"]}","v":{self.reader.generation}}}'
            return Built(text.encode())

        return await self.cache.answer(request, build, {"Cache-Control": "public, max-age=30"})

    async def window(self, request: web.Request) -> web.Response:
        """Which answer this is depends on more than the URL (as the news sitemap's does)."""
        self.handled += 1

        async def build() -> Built:
            self.builds += 1
            return Built(b"[]")

        return await self.cache.answer(request, build, {}, key=f"{request.path}#entries=0")

    def app(self) -> web.Application:
        app = make_app()
        app.router.add_get("/window", self.window)
        app.router.add_get(ROUTE, self.thing)
        app.router.add_post(ROUTE, self.thing)
        app[FRONT] = self.cache.front
        return app


@asynccontextmanager
async def served(site: Site) -> AsyncIterator[TestClient[Any, Any]]:
    """The site on a real server with the front door installed, as the service runs it."""
    app = site.app()
    async with TestClient(TestServer(app)) as client:
        assert client.server.runner is not None and client.server.runner.server is not None
        install_front(app, client.server.runner.server)
        yield client


def count(status: str) -> float:
    labels = {"method": "GET", "route": ROUTE, "status": status}
    return REGISTRY.get_sample_value("portal_http_request_seconds_count", labels) or 0.0


async def test_a_current_cached_read_skips_the_handler_and_answers_the_same() -> None:
    site = Site()
    async with served(site) as client:
        first = await client.get("/api/things/a")
        before = count("200")
        again = await client.get("/api/things/a", headers={"X-Request-Id": "abc123"})
        assert (site.handled, site.builds) == (1, 1)  # the second never reached the handler
        assert await again.read() == await first.read() == b'{"name":"a","v":0}'
        for header in ("ETag", "Cache-Control", "Content-Type", "X-Content-Type-Options"):
            assert again.headers[header] == first.headers[header]
        assert again.headers["X-Request-Id"] == "abc123"
        assert again.headers["X-Frame-Options"] == "DENY"
        assert "Content-Security-Policy" in again.headers
        assert count("200") == before + 1  # counted under its route, like any request

        etag = first.headers["ETag"]
        held = await client.get("/api/things/a", headers={"If-None-Match": etag})
        assert held.status == 304 and site.handled == 1


async def test_a_stale_entry_another_url_or_another_method_takes_the_normal_path() -> None:
    site = Site()
    async with served(site) as client:
        await client.get("/api/things/a")
        site.reader.generation = 1  # an article changed
        fresh = await client.get("/api/things/a")
        assert await fresh.read() == b'{"name":"a","v":1}'
        assert (site.handled, site.builds) == (2, 2)
        await client.get("/api/things/b")
        await client.post("/api/things/a")
        assert site.handled == 4
        missing = await client.get("/api/nothing-here")
        assert missing.status == 404 and (await missing.json())["error"]["code"] == "not_found"


async def test_an_answer_kept_under_its_own_key_is_only_found_by_its_handler() -> None:
    site = Site()
    async with served(site) as client:
        for path in ("/window", "/window", "/window#entries=0", "/window?entries=0"):
            assert (await client.get(path)).status == 200
        assert (site.handled, site.builds) == (4, 1)


def test_without_an_entry_nothing_is_answered_in_front() -> None:
    site = Site()
    request = SimpleNamespace(method="GET", path_qs="/api/things/a", headers={})
    assert site.cache.front(cast(web.BaseRequest, request)) is None


async def test_a_request_id_is_echoed_only_when_it_is_a_plain_token() -> None:
    site = Site()
    hostile = ["x" * 65, "a b", "a.b", "id\u00e9", '"}{"level":"error', "../../etc"]
    async with served(site) as client:
        for stale in (True, False):  # through the handler, then by the front door
            for sent in [*hostile, "0123abcd-ef_gh-IJ"]:
                site.reader.generation += stale
                answer = await client.get("/api/things/a", headers={"X-Request-Id": sent})
                assert answer.status == 200
                echoed = answer.headers["X-Request-Id"]
                if sent == "0123abcd-ef_gh-IJ":
                    assert echoed == sent
                else:
                    assert echoed != sent and len(echoed) == 32 and echoed.isalnum()
        assert site.handled == len(hostile) + 1  # the second round never reached it
