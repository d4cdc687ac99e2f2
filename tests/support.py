"""Test helpers: where the real servers are, polling with a deadline, and the mail sink's API."""

import asyncio
import inspect
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

import aiohttp

T = TypeVar("T")

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
MONGO_URL = os.environ.get("MONGO_URL", "mongodb://127.0.0.1:27017/")
SMTP_HOST = os.environ.get("SMTP_HOST", "127.0.0.1")
SMTP_PORT = int(os.environ.get("SMTP_PORT", "1025"))
MAILPIT_URL = os.environ.get("MAILPIT_URL", "http://127.0.0.1:8025")


@overload
async def eventually(
    probe: Callable[[], Awaitable[T]], timeout: float = ..., what: str = ...
) -> T: ...


@overload
async def eventually(probe: Callable[[], T], timeout: float = ..., what: str = ...) -> T: ...


async def eventually(
    probe: Callable[[], Any], timeout: float = 15.0, what: str = "condition"
) -> Any:
    """Poll `probe` (sync or async) until it returns something truthy, or fail at the deadline."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        result = probe()
        last = await result if inspect.isawaitable(result) else result
        if last:
            return last
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")


class Mailpit:
    """Reads what the SMTP sink received, through Mailpit's HTTP API."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str = MAILPIT_URL) -> None:
        self._session = session
        self._base = base_url.rstrip("/")

    async def messages_to(self, address: str) -> list[dict[str, Any]]:
        params = {"query": f'to:"{address}"', "limit": "500"}
        async with self._session.get(f"{self._base}/api/v1/search", params=params) as response:
            response.raise_for_status()
            found: list[dict[str, Any]] = (await response.json())["messages"]
        # Mailpit's search matches substrings; keep exact recipients only.
        return [m for m in found if any(to["Address"] == address for to in m["To"])]

    async def message(self, message_id: str) -> dict[str, Any]:
        async with self._session.get(f"{self._base}/api/v1/message/{message_id}") as response:
            response.raise_for_status()
            result: dict[str, Any] = await response.json()
            return result

    async def headers(self, message_id: str) -> dict[str, list[str]]:
        url = f"{self._base}/api/v1/message/{message_id}/headers"
        async with self._session.get(url) as response:
            response.raise_for_status()
            result: dict[str, list[str]] = await response.json()
            return result
