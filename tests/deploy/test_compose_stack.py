"""The real docker-compose.yml, scaled, through its gateway: mail, exact counts through a
kill -9 and a broker restart, a rolling update under load, data across down and up, and a
second copy beside the first.

The steps run in this file's order on one stack (module scope); each prints nothing on
success and says what failed otherwise. The timings are printed at the end of the run.
"""

import asyncio
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from tests.deploy.conftest import (
    LOGS,
    TIMINGS,
    Load,
    Stack,
    settled,
    stack_env,
    write_timings,
)
from tests.staff_support import script_token_for
from tests.support import Mailpit, eventually

pytestmark = [pytest.mark.deploy, pytest.mark.timeout(900)]

SCALE = ("--scale", "content=3", "--scale", "counter=3", "--scale", "notifier=2")
# The tests' beacons all come from one address (this host, as the gateway sees it).
UNLIMITED = {"BEACON_BURST": "1000000", "BEACONS_PER_MINUTE": "1000000"}
BEACON = '{"path": "/"}'


@pytest.fixture(scope="module")
def stack(docker_ready: None) -> Iterator[Stack]:
    stack = Stack("portaltest", "18", stack_env("portaltest", "18", **UNLIMITED))
    stack.compose("down", "-v", "--timeout", "10", check=False)  # a run cut short before
    try:
        stack.timed("up --build --wait, scaled 3/3/2", "up", "-d", "--build", "--wait", *SCALE)
        yield stack
    finally:
        keep_logs(stack, "at the end")
        stack.timed("down -v", "down", "-v", "--timeout", "30")
        write_timings(LOGS / "timings.txt")


@pytest.fixture(scope="module")
async def mailpit(stack: Stack, http: aiohttp.ClientSession) -> Mailpit:
    return Mailpit(http, stack.mail_url)


async def get_json(http: aiohttp.ClientSession, url: str, **kwargs: Any) -> Any:
    async with http.get(url, **kwargs) as answer:
        assert answer.status == 200, f"{url}: {answer.status} {await answer.text()}"
        return await answer.json()


async def views(http: aiohttp.ClientSession, stack: Stack) -> int:
    stats = await get_json(http, f"{stack.url}/api/stats")
    return int(stats["measures"]["views"]["all_time"]["value"])


class Counted:
    """Whether exactly the expected views are counted; shows both numbers if not."""

    def __init__(self, found: int, expected: int) -> None:
        self.found, self.expected = found, expected

    def __bool__(self) -> bool:
        return self.found == self.expected

    def __repr__(self) -> str:
        return f"{self.found} of {self.expected} views counted"


async def counted(http: aiohttp.ClientSession, stack: Stack, expected: int) -> Counted:
    found = await views(http, stack)
    assert found <= expected, f"{found} views counted, only {expected} accepted"
    return Counted(found, expected)


async def publish(http: aiohttp.ClientSession, stack: Stack, title: str) -> Any:
    token = await script_token_for(stack.url, stack.env["EDITOR_TOKEN"])
    auth = {"Authorization": f"Bearer {token}"}
    draft = {"title": title, "section": "tin-tuc-su-kien", "lead": "Tóm tắt", "body": "<p>Bài</p>"}
    async with http.post(f"{stack.url}/api/articles", json=draft, headers=auth) as answer:
        assert answer.status == 201, await answer.text()
        article = await answer.json()
    url = f"{stack.url}/api/articles/{article['id']}/publish"
    async with http.post(url, headers=auth) as answer:
        assert answer.status == 200, await answer.text()
        return await answer.json()


async def run_load(http: aiohttp.ClientSession, loads: list[tuple[Load, int]], during: Any) -> None:
    """Run the loads while `during` (a coroutine) runs, and a second longer."""
    stop = asyncio.Event()
    tasks = [asyncio.create_task(load.run(http, stop, workers)) for load, workers in loads]
    try:
        await asyncio.sleep(1.0)  # the load is steady before anything happens
        await during
        await asyncio.sleep(1.0)
    finally:
        stop.set()
        await asyncio.gather(*tasks)


def test_every_replica_is_up_and_healthy(stack: Stack) -> None:
    for service, replicas in (("content", 3), ("counter", 3), ("notifier", 2)):
        assert len(stack.containers(service)) == replicas
    states = stack.compose("ps", "--format", "{{.Service}} {{.Health}}").split("\n")
    unhealthy = [line for line in states if line and not line.endswith("healthy")]
    assert not unhealthy, unhealthy


async def test_a_published_article_reaches_a_confirmed_subscriber(
    stack: Stack, http: aiohttp.ClientSession, mailpit: Mailpit
) -> None:
    address = f"ban-doc-{uuid.uuid4().hex[:8]}@example.vn"
    async with http.post(f"{stack.url}/api/subscribers", json={"email": address}) as answer:
        assert answer.status == 202
    mail = (await eventually(lambda: mailpit.messages_to(address), timeout=60, what="mail"))[0]
    text = (await mailpit.message(mail["ID"]))["Text"]
    # The link follows the gateway's port (PORT_PREFIX=18: 1880), with no PORTAL_URL set.
    link = re.search(r"http://localhost:1880/subscriptions/confirm\?token=\S+", text)
    assert link, text
    async with http.post(link.group(0).replace("localhost", "127.0.0.1")) as answer:
        assert answer.status == 200
    title = f"Tin triển khai {uuid.uuid4().hex[:6]}"
    article = await publish(http, stack, title)
    assert article["url"].startswith("http://localhost:1880/articles/")

    async def emailed() -> list[Any]:
        return [m for m in await mailpit.messages_to(address) if m["Subject"] == title]

    started = time.monotonic()
    assert len(await eventually(emailed, timeout=60, what="the article's email")) == 1
    TIMINGS.add("publish -> the subscriber's email", time.monotonic() - started)


async def test_beacons_through_the_gateway_are_counted_exactly(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    before = await settled(lambda: views(http, stack))
    load = Load(stack.url, "/api/views", "POST", BEACON)
    stop = asyncio.Event()
    task = asyncio.create_task(load.run(http, stop, workers=8))
    await eventually(lambda: load.count(204) >= 2000, timeout=120, what="2,000 beacons")
    stop.set()
    await task
    assert not load.failed(), load.statuses
    await eventually(lambda: counted(http, stack, before + load.count(204)), timeout=300)


async def test_kill_9_of_a_counter_and_a_broker_restart_lose_and_double_nothing(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    before = await settled(lambda: views(http, stack))
    load = Load(stack.url, "/api/views", "POST", BEACON)

    async def havoc() -> None:
        # kill -9 of one counter replica (maybe the fold's lease holder): no flush, no ack.
        victim = stack.containers("counter")[0]
        await asyncio.to_thread(docker, "kill", "--signal", "KILL", victim)
        await asyncio.sleep(2.0)  # the beacons go on meanwhile
        started = time.monotonic()
        await asyncio.to_thread(stack.compose, "restart", "rabbitmq")
        TIMINGS.add("docker compose restart rabbitmq, under beacons", time.monotonic() - started)

    await run_load(http, [(load, 8)], havoc())
    keep_logs(stack, "after the kill and the broker restart")
    assert not load.failed(), load.statuses
    # Right after the broker's restart, `up -d` succeeds (the gateway waits for no app).
    stack.timed("up -d right after the broker restart", "up", "-d", *SCALE)
    await eventually(
        lambda: counted(http, stack, before + load.count(204)),
        timeout=300,
        what=f"the {load.count(204)} accepted beacons, each counted once",
    )


async def test_a_rolling_update_of_content_under_load_fails_no_request(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    before = await settled(lambda: views(http, stack))
    old = set(stack.containers("content"))
    reads = Load(stack.url, "/api/articles")
    pages = Load(stack.url, "/")
    beacons = Load(stack.url, "/api/views", "POST", BEACON)

    async def update() -> None:
        started = time.monotonic()
        await asyncio.to_thread(stack.script, "scripts/compose-update.sh", "content")
        TIMINGS.add("scripts/compose-update.sh content, under load", time.monotonic() - started)

    await run_load(http, [(reads, 4), (pages, 2), (beacons, 4)], update())
    keep_logs(stack, "after the update")
    new = set(stack.containers("content"))
    assert len(new) == 3 and not new & old, "every content replica was replaced"
    failed = {"reads": reads.failed(), "pages": pages.failed(), "beacons": beacons.failed()}
    assert failed == {"reads": {}, "pages": {}, "beacons": {}}, failed
    TIMINGS.add(
        f"update load: {reads.total + pages.total} reads ({reads.slow + pages.slow} over 1 s), "
        f"{beacons.total} beacons, 0 failed",
        0.0,
    )
    await eventually(
        lambda: counted(http, stack, before + beacons.count(204)),
        timeout=300,
        what="every beacon of the update, counted once",
    )


async def test_down_and_up_keep_the_data(stack: Stack, http: aiohttp.ClientSession) -> None:
    article = await publish(http, stack, f"Tin còn lại {uuid.uuid4().hex[:6]}")
    counted_views = await views(http, stack)
    stack.timed("down (volumes kept)", "down", "--timeout", "30")
    stack.timed("up --wait again", "up", "-d", "--wait", *SCALE)
    found = await get_json(http, f"{stack.url}/api/articles/{article['slug']}")
    assert found["id"] == article["id"]
    assert await views(http, stack) == counted_views


async def test_a_second_copy_runs_beside_the_first_with_two_settings_changed(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    second = Stack("portaltest2", "19", stack_env("portaltest2", "19"))
    second.compose("down", "-v", "--timeout", "10", check=False)
    try:
        second.timed("up --wait, a second copy beside the first", "up", "-d", "--wait")
        for url in (stack.url, second.url):
            async with http.get(f"{url}/") as answer:
                assert answer.status == 200, url
        assert (await get_json(http, f"{second.url}/api/articles"))["items"] == []
    finally:
        second.compose("down", "-v", "--timeout", "10")


def keep_logs(stack: Stack, when: str) -> None:
    """Every container's log so far, for a failed run (the containers go with `down`)."""
    with (LOGS / f"{stack.project}-containers.log").open("a") as kept:
        kept.write(f"===== {when}\n")
        kept.write(stack.compose("logs", "--no-color", "--timestamps", check=False))


def docker(*args: str) -> None:
    subprocess.run(["docker", *args], check=True, capture_output=True, timeout=120)
