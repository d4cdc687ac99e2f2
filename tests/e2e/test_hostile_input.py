"""The portal as an attacker meets it: through the gateway and on each service's own port.

Regression tests of the hardening issue's findings that need the real processes: security
headers on every answer, redirects that never echo the client's Host, refusals in JSON,
client disconnects that are not server errors, and one client posing as thousands of
visitors (last in this module: it spends the local address's beacon allowance).
"""

import asyncio
import uuid
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from yarl import URL

from tests.e2e.browser_support import (
    DESKTOP_AGENT,
    Portal,
    portal_fixture,  # noqa: F401 - a fixture
    portal_processes_fixture,  # noqa: F401 - a fixture
)
from tests.support import eventually

pytestmark = pytest.mark.e2e

SECURITY_HEADERS = ("X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy")


async def headers_of(http: aiohttp.ClientSession, url: str, **kwargs: Any) -> Any:
    async with http.get(url, allow_redirects=False, **kwargs) as response:
        return response.status, response.headers


async def test_every_answer_of_every_service_carries_the_security_headers(
    portal: Portal, http: aiohttp.ClientSession
) -> None:
    urls = [
        f"{portal.url}/",  # content's page (its own, stricter policy)
        f"{portal.url}/api/articles",
        f"{portal.url}/api/articles/khong-co-bai-nay",  # a 404 JSON error
        f"{portal.url}/api/stats",
        f"{portal.url}/api/subscribers/preferences?token=forged",  # a 400 JSON error
        f"{portal.url}/subscriptions/unsubscribe?token=forged",
        *(f"{portal.url}/docs/{name}/" for name in ("content", "counter", "notifier")),
        *(f"{url}/healthz" for url in portal.services.values()),
        *(f"{url}/openapi.json" for url in portal.services.values()),
    ]
    for url in urls:
        status, headers = await headers_of(http, url)
        missing = [name for name in SECURITY_HEADERS if name not in headers]
        assert not missing, f"{url} ({status}) lacks {missing}"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    # The live stream too, before its first event.
    async with http.get(f"{portal.url}/api/stats/stream") as stream:
        assert stream.headers["X-Frame-Options"] == "DENY"


async def test_the_gateway_s_redirects_never_echo_the_client_s_host(
    portal: Portal, http: aiohttp.ClientSession
) -> None:
    status, headers = await headers_of(
        http, f"{portal.url}/docs/content", headers={"Host": "evil.example"}
    )
    assert status == 301
    assert headers["Location"] == "/docs/content/"


async def test_a_beacon_too_large_for_the_gateway_is_refused_in_json(
    portal: Portal, http: aiohttp.ClientSession
) -> None:
    body = '{"path": "/' + "a" * 9000 + '"}'
    async with http.post(f"{portal.url}/api/views", data=body) as response:
        assert response.status == 413
        assert (await response.json())["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/articles/a%00b", 400, "bad_request"),  # a NUL nginx refuses before any service
        ("/tim-kiem?q=" + "a" * 100_000, 414, "uri_too_long"),
    ],
)
async def test_requests_the_gateway_itself_refuses_are_answered_in_json(
    portal: Portal, http: aiohttp.ClientSession, path: str, status: int, code: str
) -> None:
    async with http.get(URL(f"{portal.url}{path}", encoded=True)) as response:
        assert response.status == status
        assert response.content_type == "application/json"
        assert (await response.json())["error"]["code"] == code


def samples(text: str, name: str) -> list[Any]:
    return [
        sample
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    ]


async def request_counts(http: aiohttp.ClientSession, service: str, route: str) -> dict[str, float]:
    async with http.get(f"{service}/metrics") as response:
        text = await response.text()
    counts: dict[str, float] = {}
    for sample in samples(text, "portal_http_request_seconds_count"):
        if sample.labels["route"] == route:
            counts[sample.labels["status"]] = counts.get(sample.labels["status"], 0) + sample.value
    return counts


async def test_clients_that_hang_up_are_not_server_errors(
    portal: Portal, http: aiohttp.ClientSession
) -> None:
    content, counter = portal.services["content"], portal.services["counter"]
    # A live widget that goes away: the stream notices on its next write.
    for _ in range(3):
        async with http.get(f"{counter}/api/stats/stream") as stream:
            await stream.content.readline()
    # A beacon cut in the middle of its body.
    host, port = content.removeprefix("http://").split(":")
    _, writer = await asyncio.open_connection(host, int(port))
    writer.write(b'POST /api/views HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"pa')
    await writer.drain()
    writer.close()
    await writer.wait_closed()

    beacons = await eventually(
        lambda: _with(request_counts(http, content, "/api/views"), "499"),
        what="the cut beacon recorded as the client's going",
    )
    streams = await eventually(
        lambda: _all_ended(request_counts(http, counter, "/api/stats/stream"), 3),
        what="the three closed streams to end",
    )
    assert beacons is not None and streams is not None
    assert not [status for status in (*beacons, *streams) if status.startswith("5")]
    for name in ("content", "counter"):
        log = (portal.logs / f"{name}.log").read_text()
        assert "Traceback" not in log and "http.unhandled" not in log, f"{name}: {log[-2000:]}"


async def _all_ended(counts: Any, expected: int) -> dict[str, float] | None:
    found: dict[str, float] = await counts
    return found if sum(found.values()) >= expected else None


async def _with(counts: Any, status: str) -> dict[str, float] | None:
    found: dict[str, float] = await counts
    return found if status in found else None


async def test_one_client_with_2000_user_agents_is_neither_2000_visitors_nor_2000_views(
    portal: Portal, http: aiohttp.ClientSession
) -> None:
    """The finding: 2,000 beacons in 2.7 s, each with its own User-Agent, from one address,
    made Online, visitors, Hôm nay and Tổng each grow by 2,000. With the defaults (a burst of
    600, then 10 a second; 200 user agents an hour as distinct visitors) they cannot."""

    async def today() -> tuple[int, int]:
        async with http.get(f"{portal.url}/api/stats") as response:
            measures = (await response.json())["measures"]
        return measures["views"]["today"]["value"], measures["visitors"]["today"]["value"]

    views_before, visitors_before = await today()
    statuses: list[int] = []
    run = uuid.uuid4().hex[:8]
    for n in range(2000):
        headers = {"User-Agent": f"{DESKTOP_AGENT} attack/{run}/{n}"}
        async with http.post(
            f"{portal.url}/api/views", json={"path": "/"}, headers=headers
        ) as response:
            statuses.append(response.status)
    accepted = statuses.count(204)
    assert statuses.count(429) == 2000 - accepted
    assert 600 <= accepted < 2000

    async def counted() -> tuple[int, int] | None:
        views, visitors = await today()
        return (views, visitors) if views >= views_before + accepted else None

    found = await eventually(counted, timeout=30, what="the accepted views counted")
    assert found is not None
    views, visitors = found
    assert views == views_before + accepted  # what was refused is not counted
    assert visitors - visitors_before <= 200 + 1  # and one shared visitor past the limit
