"""The local gateway keeps its connections to the services open between requests.

Opening a TCP connection to the service for every request cost more than serving it: with
one per request, a cached article took ~180 µs of content's CPU, with kept connections
~85 µs (docs/performance.md). Here a real nginx, rendered by gateway/render.py as
`make up` renders it, sits in front of a small aiohttp app that notes each connection a
request came on.
"""

import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from gateway.render import write_local_config
from tests.e2e.browser_support import nginx_binary
from tests.processes import free_port
from tests.support import eventually

REQUESTS = 60


class Upstream:
    """An app standing for a service: it answers every path and notes the client port."""

    def __init__(self) -> None:
        self.connections: set[tuple[str, int]] = set()
        self.requests = 0

    async def handle(self, request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        assert peer is not None
        self.connections.add((str(peer[0]), int(peer[1])))
        self.requests += 1
        if request.method == "POST":
            await request.read()
            return web.Response(status=204)
        return web.json_response({"ok": True})


@pytest.fixture(name="gateway")
async def gateway_fixture(tmp_path: Path) -> AsyncIterator[tuple[str, Upstream]]:
    upstream = Upstream()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", upstream.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    address = f"127.0.0.1:{port}"
    gateway_port = free_port()
    config = write_local_config(tmp_path / "gateway", gateway_port, address, address, address)
    nginx = subprocess.Popen(
        [nginx_binary(), "-c", str(config), "-e", str(tmp_path / "gateway" / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{gateway_port}"
    try:
        async with aiohttp.ClientSession() as http:

            async def healthy() -> bool:
                try:
                    async with http.get(f"{url}/gateway/healthz") as response:
                        return response.status == 200
                except aiohttp.ClientConnectionError:
                    return False

            await eventually(healthy, what="the gateway")
        yield url, upstream
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        await runner.cleanup()


async def test_requests_to_each_service_reuse_the_gateways_connections(
    gateway: tuple[str, Upstream],
) -> None:
    url, upstream = gateway
    # A page, an API read, a beacon and a statistics read: content's, content's POST, the
    # counter's; one client connection, as a browser keeps one.
    paths = [("GET", "/"), ("GET", "/api/articles"), ("POST", "/api/views"), ("GET", "/api/stats")]
    async with aiohttp.ClientSession() as http:
        for n in range(REQUESTS):
            method, path = paths[n % len(paths)]
            async with http.request(method, f"{url}{path}", data=b"{}") as response:
                assert response.status in (200, 204), await response.text()
    assert upstream.requests == REQUESTS
    # Each nginx worker keeps its own idle connections: at most one per worker and group
    # here (the requests come one at a time), where one per request would be 60.
    assert len(upstream.connections) <= 6, upstream.connections
