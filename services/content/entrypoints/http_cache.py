"""Public reads and pages served from memory with an ETag: 304 when the client's copy is
current.

A cached answer is valid while the reader's generation and the revisions of the settings
pages show (the site's identity, the sections) are the ones it was built at: any article
change on this replica (a write here, or another replica's event) bumps the first, a new
site name or section list the others, so a page or a list is never older than what it was
built from. The cache is bounded by
the bytes it holds; when full it starts over (a client asking for endless distinct URLs
only costs the renders it would have cost anyway).
"""

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from aiohttp import web

from services.content.usecases.reading import ArticleReader
from shared.platform.http import FrontAnswer, route_name

JSON = "application/json"
HTML = "text/html"


@dataclass(frozen=True)
class Built:
    """An answer as built: its body, status and type (a page may be a 404 page)."""

    body: bytes
    status: int = 200
    content_type: str = JSON


@dataclass(frozen=True)
class Cached:
    generation: tuple[int, ...]
    answer: Built
    etag: str
    headers: Mapping[str, str]  # those of the route, and the ETag
    route: str  # the route's canonical path
    by_url: bool  # its URL alone names it: it may be answered before routing


class ResponseCache:
    def __init__(
        self,
        reader: ArticleReader,
        max_age: int,
        settings_revisions: Callable[[], tuple[int, ...]] = tuple,
        budget_bytes: int = 32 << 20,
    ) -> None:
        self._reader = reader
        self._settings_revisions = settings_revisions
        self._budget = budget_bytes
        self._held = 0
        self._entries: dict[str, Cached] = {}
        self.cache_control = (
            f"public, max-age={max_age}" if max_age > 0 else "public, max-age=0, must-revalidate"
        )

    async def respond(
        self, request: web.Request, build: Callable[[], Awaitable[bytes]]
    ) -> web.Response:
        """The cached JSON for this URL, or a fresh one from `build`, or 304."""

        async def built() -> Built:
            return Built(await build())

        return await self.answer(request, built, {"Cache-Control": self.cache_control})

    async def answer(
        self,
        request: web.Request,
        build: Callable[[], Awaitable[Built]],
        headers: Mapping[str, str],
        key: str | None = None,
    ) -> web.Response:
        """The cached answer for this URL (built if missing or stale), or 304. `key`, when
        the URL alone does not tell which answer it is (the news sitemap's window): such an
        answer is only ever found by its handler, never before routing."""
        route = route_name(request)
        cached = await self._get(key or request.path_qs, build, headers, route, key is None)
        return _response(request, cached)

    def front(self, request: web.BaseRequest) -> FrontAnswer | None:
        """A GET whose answer is cached and current, answered before routing (shared/
        platform/http.py, install_front); None for anything else."""
        if request.method != "GET":
            return None
        cached = self._entries.get(request.path_qs)
        if cached is None or not cached.by_url or cached.generation != self._generation():
            return None
        return FrontAnswer(_response(request, cached), cached.route)

    async def _get(
        self,
        key: str,
        build: Callable[[], Awaitable[Built]],
        headers: Mapping[str, str],
        route: str,
        by_url: bool,
    ) -> Cached:
        generation = self._generation()
        cached = self._entries.get(key)
        if cached is not None and cached.generation == generation:
            return cached
        answer = await build()
        etag = '"' + hashlib.blake2b(answer.body, digest_size=12).hexdigest() + '"'
        cached = Cached(generation, answer, etag, {**headers, "ETag": etag}, route, by_url)
        # Built from a state that changed meanwhile? Serve it, do not keep it.
        if generation == self._generation():
            self._keep(key, cached)
        return cached

    def _generation(self) -> tuple[int, ...]:
        return self._reader.generation, *self._settings_revisions()

    def _keep(self, key: str, cached: Cached) -> None:
        size = len(cached.answer.body) + len(key)
        if self._held + size > self._budget:
            self._entries.clear()
            self._held = 0
        old = self._entries.get(key)
        if old is not None:
            self._held -= len(old.answer.body) + len(key)
        self._entries[key] = cached
        self._held += size


def _response(request: web.BaseRequest, cached: Cached) -> web.Response:
    """The cached answer, or 304 if the client holds it."""
    answer = cached.answer
    if answer.status == 200 and matches(request.headers.get("If-None-Match"), cached.etag):
        return web.Response(status=304, headers=cached.headers)
    return web.Response(
        body=answer.body,
        status=answer.status,
        content_type=answer.content_type,
        # Text of every kind is UTF-8 and says so; JSON is UTF-8 by definition.
        charset=None if answer.content_type == JSON else "utf-8",
        headers=cached.headers,
    )


def matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == etag:
            return True
    return False
