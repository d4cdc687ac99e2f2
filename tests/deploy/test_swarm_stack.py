"""The swarm stack (deploy/swarm/portal-stack.yml) on a one-host swarm, with the stand-ins:
a three-node RabbitMQ cluster with replicated quorum queues, a rolling update of content
under load, and one RabbitMQ node stopped during a beacon stream.

MongoDB's replica set is not tested here: FerretDB, its stand-in, does not replicate.
"""

import asyncio
import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from tests.deploy.conftest import (
    BROWSER,
    LOGS,
    TIMINGS,
    Load,
    run,
    settled,
    stack_env,
    write_timings,
)
from tests.staff_support import script_token_for
from tests.support import eventually

pytestmark = [pytest.mark.deploy, pytest.mark.timeout(900)]

STACK = "portalswarm"
PORT = "1680"
BEACON = '{"path": "/"}'


class Swarm:
    def __init__(self) -> None:
        self.env = stack_env(STACK, "16")
        self.env.update(
            {
                "STACK": STACK,
                "GATEWAY_PORT": PORT,
                "PORTAL_URL": f"http://localhost:{PORT}",
                "BEACON_BURST": "1000000",
                "BEACONS_PER_MINUTE": "1000000",
            }
        )
        self.url = f"http://127.0.0.1:{PORT}"

    def script(self, *args: str, timeout: float = 900) -> str:
        return run(["bash", "scripts/swarm.sh", *args], self.env, STACK, timeout, True)

    def timed(self, step: str, *args: str) -> str:
        started = time.monotonic()
        output = self.script(*args)
        TIMINGS.add(f"swarm: {step}", time.monotonic() - started)
        return output

    def rabbitmqctl(self, *args: str) -> str:
        container = docker(
            "ps", "-q", "--filter", f"label=com.docker.swarm.service.name={STACK}_rabbitmq-1"
        )
        return docker("exec", container.split()[0], "rabbitmqctl", "-q", *args)

    def queue_members(self) -> dict[str, list[str]]:
        table = self.rabbitmqctl("list_queues", "name", "type", "members", "--formatter", "json")
        return {q["name"]: q["members"] for q in json.loads(table) if q["type"] == "quorum"}


def docker(*args: str, check: bool = True) -> str:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=300)
    if check and done.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)}: {done.stderr[-2000:]}")
    return done.stdout.strip()


@pytest.fixture(scope="module")
def swarm(docker_ready: None) -> Iterator[Swarm]:
    joined = docker("info", "--format", "{{.Swarm.LocalNodeState}}") == "active"
    swarm = Swarm()
    try:
        swarm.timed(
            "scripts/swarm.sh deploy --standins (image, stack, cluster)", "deploy", "--standins"
        )
        yield swarm
    finally:
        started = time.monotonic()
        swarm.script("rm")
        for volume in docker(
            "volume", "ls", "-q", "--filter", f"label=com.docker.stack.namespace={STACK}"
        ).split():
            docker("volume", "rm", volume, check=False)
        if not joined:  # this test made the swarm: leave it as it found the engine
            docker("swarm", "leave", "--force")
        TIMINGS.add("swarm: stack removed, swarm left", time.monotonic() - started)
        write_timings(LOGS / "timings.txt")


async def views(http: aiohttp.ClientSession, swarm: Swarm) -> int:
    async with http.get(f"{swarm.url}/api/stats") as answer:
        assert answer.status == 200
        stats = await answer.json()
    return int(stats["measures"]["views"]["all_time"]["value"])


async def counted(http: aiohttp.ClientSession, swarm: Swarm, expected: int) -> bool:
    found = await views(http, swarm)
    assert found <= expected, f"{found} views counted, only {expected} accepted"
    return found == expected


async def under_load(
    http: aiohttp.ClientSession, loads: list[tuple[Load, int]], during: Any
) -> None:
    stop = asyncio.Event()
    tasks = [asyncio.create_task(load.run(http, stop, workers)) for load, workers in loads]
    try:
        await asyncio.sleep(1.0)
        await during
        await asyncio.sleep(1.0)
    finally:
        stop.set()
        await asyncio.gather(*tasks)


async def test_the_stack_comes_up_with_queues_on_all_three_broker_nodes(
    swarm: Swarm, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{swarm.url}/") as answer:
        assert answer.status == 200
    members = swarm.queue_members()
    assert {
        f"portal.events.{name}" for name in ("counter", "notifier", "notifier.deliveries")
    } <= set(members)
    for name, nodes in members.items():
        assert sorted(nodes) == [f"rabbit@rabbitmq-{n}" for n in (1, 2, 3)], name


async def test_a_rolling_update_of_content_under_load_fails_no_request(
    swarm: Swarm, http: aiohttp.ClientSession
) -> None:
    before = await settled(lambda: views(http, swarm))
    reads = Load(swarm.url, "/api/articles")
    beacons = Load(swarm.url, "/api/views", "POST", BEACON)

    async def update() -> None:
        started = time.monotonic()
        await asyncio.to_thread(swarm.script, "update", "content")
        TIMINGS.add("swarm: update content, under load", time.monotonic() - started)

    await under_load(http, [(reads, 4), (beacons, 4)], update())
    assert {"reads": reads.failed(), "beacons": beacons.failed()} == {"reads": {}, "beacons": {}}
    load = f"{reads.total} reads ({reads.slow} over 1 s), {beacons.total} beacons, 0 failed"
    TIMINGS.add(f"swarm update load: {load}", 0.0)
    await eventually(lambda: counted(http, swarm, before + beacons.count(204)), timeout=300)


async def test_a_broker_node_stopped_during_a_beacon_stream_loses_no_beacon(
    swarm: Swarm, http: aiohttp.ClientSession
) -> None:
    # The node that leads the counter's queue: the harder case (a leader election).
    leaders = swarm.rabbitmqctl("list_queues", "name", "leader", "--formatter", "json")
    leader = next(q["leader"] for q in json.loads(leaders) if q["name"] == "portal.events.counter")
    node = leader.split("@rabbitmq-")[1]
    probe = await publish(http, swarm, f"Tin dò {uuid.uuid4().hex[:6]}")
    before = await settled(lambda: views(http, swarm))
    beacons = Load(swarm.url, "/api/views", "POST", BEACON)
    recovered: list[float] = []

    async def stop_a_node() -> None:
        # `service scale` returns once the node's task has stopped.
        await asyncio.to_thread(docker, "service", "scale", f"{STACK}_rabbitmq-{node}=0")
        stopped = time.monotonic()
        # A view sent now goes through the two nodes left: counted once the queue has a new
        # leader and the consumers reconnected.
        body = json.dumps({"path": "/probe", "article_id": probe["id"]})
        headers = {"User-Agent": BROWSER}
        async with http.post(f"{swarm.url}/api/views", data=body, headers=headers) as answer:
            assert answer.status == 204
        await eventually(lambda: article_views(http, swarm, probe["id"]), timeout=120)
        recovered.append(time.monotonic() - stopped)
        await asyncio.sleep(5.0)  # the beacons go on with two nodes for a while
        await asyncio.to_thread(docker, "service", "scale", f"{STACK}_rabbitmq-{node}=1")

    await under_load(http, [(beacons, 8)], stop_a_node())
    step = f"rabbitmq-{node} (the counter queue's leader) stopped: a new view counted after"
    TIMINGS.add(f"swarm: {step}", recovered[0])
    assert not beacons.failed(), beacons.statuses
    await eventually(
        lambda: counted(http, swarm, before + 1 + beacons.count(204)),
        timeout=300,
        what=f"the {beacons.count(204)} accepted beacons and the probe, each counted once",
    )


async def publish(http: aiohttp.ClientSession, swarm: Swarm, title: str) -> Any:
    token = await script_token_for(swarm.url, swarm.env["EDITOR_TOKEN"])
    auth = {"Authorization": f"Bearer {token}"}
    draft = {"title": title, "section": "tin-tuc-su-kien"}
    async with http.post(f"{swarm.url}/api/articles", json=draft, headers=auth) as answer:
        assert answer.status == 201, await answer.text()
        article = await answer.json()
    url = f"{swarm.url}/api/articles/{article['id']}/publish"
    async with http.post(url, headers=auth) as answer:
        assert answer.status == 200, await answer.text()
        return await answer.json()


async def article_views(http: aiohttp.ClientSession, swarm: Swarm, article_id: str) -> bool:
    async with http.get(f"{swarm.url}/api/stats/articles/{article_id}") as answer:
        return bool((await answer.json())["views"] == 1)
