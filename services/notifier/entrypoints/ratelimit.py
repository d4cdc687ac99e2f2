"""Fixed-window counters in memory, per replica: enough to stop a form being abused."""

import hashlib
import os
import time

from aiohttp import web

from shared.contracts.errors import Throttled

MAX_KEYS = 100_000


class WindowLimiter:
    """At most `limit` hits per key per `window` seconds."""

    def __init__(self, limit: int, window: float = 3600.0) -> None:
        self._limit, self._window = limit, window
        self._started = time.monotonic()
        self._hits: dict[str, int] = {}

    def hit(self, key: str) -> bool:
        """Count a hit; False if the key is over its limit."""
        now = time.monotonic()
        if now - self._started >= self._window or len(self._hits) >= MAX_KEYS:
            self._started, self._hits = now, {}
        count = self._hits.get(key, 0) + 1
        self._hits[key] = count
        return count <= self._limit


class SignupLimits:
    """Per client address, kept only as a salted hash. Never per email address: a limit
    there would let anyone lock an address's owner out by signing it up a few times."""

    def __init__(self, per_ip: int, trust_forwarded_for: bool) -> None:
        self._by_ip = WindowLimiter(per_ip)
        self._trust_forwarded_for = trust_forwarded_for
        self._salt = os.urandom(16)

    def check(self, request: web.Request) -> None:
        client = request.remote or ""
        if self._trust_forwarded_for and "X-Forwarded-For" in request.headers:
            # The last hop is the one our gateway appended; earlier ones the client can forge.
            client = request.headers["X-Forwarded-For"].split(",")[-1].strip()
        client_hash = hashlib.sha256(self._salt + client.encode()).hexdigest()
        if not self._by_ip.hit(client_hash):
            raise Throttled("too many sign-ups from this network; try again later")
