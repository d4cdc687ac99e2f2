"""Public reads served from memory with an ETag: 304 when the client's copy is current.

A cached body is valid while the reader's generation is the one it was built at: any
article change on this replica (a write here, or another replica's event) bumps it.
"""

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from services.content.usecases.reading import ArticleReader


@dataclass(frozen=True)
class Cached:
    generation: int
    body: bytes
    etag: str


class ResponseCache:
    def __init__(self, reader: ArticleReader, max_age: int, size: int = 4096) -> None:
        self._reader = reader
        self._size = size
        self._entries: dict[str, Cached] = {}
        self.cache_control = (
            f"public, max-age={max_age}" if max_age > 0 else "public, max-age=0, must-revalidate"
        )

    async def respond(
        self, request: web.Request, build: Callable[[], Awaitable[bytes]]
    ) -> web.Response:
        """The cached body for this URL, or a fresh one from `build`, or 304."""
        key = request.path_qs
        generation = self._reader.generation
        cached = self._entries.get(key)
        if cached is None or cached.generation != generation:
            body = await build()
            etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
            cached = Cached(generation, body, etag)
            # Built from a state that changed meanwhile? Serve it, do not keep it.
            if generation == self._reader.generation:
                if len(self._entries) >= self._size:
                    self._entries.clear()
                self._entries[key] = cached
        headers = {"ETag": cached.etag, "Cache-Control": self.cache_control}
        if matches(request.headers.get("If-None-Match"), cached.etag):
            return web.Response(status=304, headers=headers)
        return web.Response(body=cached.body, content_type="application/json", headers=headers)


def matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == etag:
            return True
    return False
