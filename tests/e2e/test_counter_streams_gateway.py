"""Live widget streams through the real gateway: hundreds at once, and a page view accepted by
content reaches every one of them. (bench/counter_streams.py does this with 10,000 and
measures how fast; here only that each one gets it.)"""

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from tests.e2e.browser_support import (
    DESKTOP_AGENT,
    Portal,
    portal_fixture,  # noqa: F401 - a fixture
    portal_processes_fixture,  # noqa: F401 - a fixture
)
from tests.support import eventually

pytestmark = pytest.mark.e2e

STREAMS = 200
DEADLINE_SECONDS = 30.0


async def totals(response: aiohttp.ClientResponse, seen: list[int]) -> None:
    """Appends the "total" of each "stats" event of the stream to `seen`."""
    name = None
    async for raw in response.content:
        line = raw.decode().rstrip("\r\n")
        if line.startswith("event:"):
            name = line.partition(":")[2].strip()
        elif line.startswith("data:") and name == "stats":
            seen.append(json.loads(line.partition(":")[2])["total"])


async def test_a_page_view_reaches_every_stream_through_the_gateway(
    portal: Portal, http: aiohttp.ClientSession
) -> None:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        responses = await asyncio.gather(
            *(session.get(f"{portal.url}/api/stats/stream") for _ in range(STREAMS))
        )
        assert [r.status for r in responses] == [200] * STREAMS
        assert all(r.headers["Content-Type"] == "text/event-stream" for r in responses)
        seen: list[list[int]] = [[] for _ in responses]
        readers = [asyncio.create_task(totals(r, s)) for r, s in zip(responses, seen, strict=True)]
        try:
            await eventually(lambda: all(seen), DEADLINE_SECONDS, "every stream's first event")
            before = max(events[-1] for events in seen)

            headers = {"User-Agent": f"{DESKTOP_AGENT} streams-through-gateway"}
            async with http.post(
                f"{portal.url}/api/views", json={"path": "/"}, headers=headers
            ) as answer:
                assert answer.status == 204

            def every_stream_has_it() -> Any:
                return all(events[-1] > before for events in seen)

            await eventually(every_stream_has_it, DEADLINE_SECONDS, "the view on every stream")
        finally:
            for response in responses:
                response.close()
            await asyncio.gather(*readers, return_exceptions=True)
