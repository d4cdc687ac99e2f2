"""Hundreds of live widget streams on one real counter process: every one gets each change,
the streams of clients that left are let go, and a stopping counter ends the rest properly.
(bench/counter_streams.py measures 10,000 through the gateway; this checks the behaviour.)"""

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from shared.contracts.events import PageView, PageViewed, new_envelope
from shared.platform.bus import Bus
from tests.counter_support import CounterProcess, counter_env, running_counter
from tests.support import eventually

pytestmark = pytest.mark.integration

STREAMS = 300
DEADLINE_SECONDS = 20.0


@pytest.fixture
async def counter(
    bus: Bus, exchange: str, db_name: str, tmp_path: Path, http: aiohttp.ClientSession
) -> AsyncIterator[CounterProcess]:
    # The default freshness, as served: the stream is fed by the background reader.
    env = counter_env(exchange, db_name, STATS_MAX_AGE_SECONDS="1")
    async with running_counter(http, env, tmp_path / "counter.log") as service:
        yield service
    log = service.log.read_text()
    assert "Traceback" not in log and "http.unhandled" not in log, log[-3000:]


class Client:
    """One widget: its stream, and the "stats" events read from it so far."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response
        self.events: list[dict[str, Any]] = []
        self.ended = asyncio.Event()

    async def read(self) -> None:
        name = None
        try:
            async for raw in self.response.content:
                line = raw.decode().rstrip("\r\n")
                if line.startswith("event:"):
                    name = line.partition(":")[2].strip()
                elif line.startswith("data:") and name == "stats":
                    self.events.append(json.loads(line.partition(":")[2]))
        finally:
            self.ended.set()


async def open_streams(session: aiohttp.ClientSession, url: str, count: int) -> list[Client]:
    async def one() -> Client:
        response = await session.get(url)
        assert response.status == 200
        return Client(response)

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def streams_open(http: aiohttp.ClientSession, counter: CounterProcess) -> float:
    async with http.get(f"{counter.url}/metrics") as response:
        text = await response.text()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "portal_counter_streams_open":
                return sample.value
    return -1.0


async def test_every_stream_gets_the_change_and_ends_with_its_client_or_the_server(
    counter: CounterProcess, bus: Bus, http: aiohttp.ClientSession
) -> None:
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        clients = await open_streams(session, f"{counter.url}/api/stats/stream", STREAMS)
        readers = [asyncio.create_task(client.read()) for client in clients]
        await eventually(lambda: all(c.events for c in clients), DEADLINE_SECONDS, "first events")
        assert all(c.events[0]["today"] == 0 for c in clients)

        view = PageView(visitor="streams-visitor-01", path="/", viewed_at=datetime.now(UTC))
        await bus.publish(new_envelope(PageViewed(views=[view]), "test"))

        def all_saw_it() -> bool:
            return all(c.events[-1]["today"] == 1 for c in clients)

        await eventually(all_saw_it, DEADLINE_SECONDS, f"the view on all {STREAMS} streams")
        assert all(c.events[-1]["formatted"]["total"] == "1" for c in clients)

        # A third of the widgets go away: the counter lets their streams go.
        for client in clients[: STREAMS // 3]:
            client.response.close()
        left = STREAMS - STREAMS // 3
        await eventually(
            lambda: _equals(streams_open(http, counter), left), DEADLINE_SECONDS, "streams let go"
        )

        # A stopping counter ends the others with the last chunk: no broken response.
        counter.process.terminate()
        rest = clients[STREAMS // 3 :]
        await eventually(lambda: all(c.ended.is_set() for c in rest), 30, "the streams to end")
        outcomes = await asyncio.gather(*readers[STREAMS // 3 :], return_exceptions=True)
        assert [o for o in outcomes if o is not None] == []
        await asyncio.gather(*readers, return_exceptions=True)


async def _equals(value: Any, expected: float) -> bool:
    return bool(await value == expected)
