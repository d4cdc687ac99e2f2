"""Exact totals from at-least-once delivery: kill -9, duplicates, replicas, poison messages.

The counter runs as real processes on the real RabbitMQ and FerretDB; the views are sent as
page.viewed messages of 100 views each, so 20,000 views stay quick to send.
"""

import asyncio
import json
import uuid
from pathlib import Path

import aio_pika
import aiohttp
import pytest

from shared.contracts.events import Envelope, PageViewed, encode
from shared.platform.bus import Bus
from shared.platform.db import make_client
from tests.counter_support import (
    CounterProcess,
    assert_exact,
    counter_env,
    expected_figures,
    get_json,
    make_batches,
    running_counter,
    wait_ready,
)
from tests.support import MONGO_URL, eventually

pytestmark = pytest.mark.integration

MESSAGES, PER_MESSAGE = 200, 100  # 20,000 views


async def views_counted(http: aiohttp.ClientSession, url: str) -> int:
    stats = await get_json(http, f"{url}/api/stats")
    return int(stats["measures"]["views"]["all_time"]["value"])


async def publish(bus: Bus, batches: list[Envelope[PageViewed]]) -> None:
    for batch in batches:
        await bus.publish(batch)


async def test_kill_9_in_the_middle_then_restart_counts_every_view_once(
    bus: Bus, exchange: str, db_name: str, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    env = counter_env(exchange, db_name)
    async with running_counter(http, env, tmp_path / "counter.log") as first:
        batches = make_batches(MESSAGES, PER_MESSAGE, visitors=800, seed=1)
        # Kill while views still stream in: some counted, some stored and not folded, some
        # delivered and not yet stored or acked, the rest still in the queue.
        sending = asyncio.create_task(publish(bus, batches))
        await eventually(lambda: views_counted(http, first.url), what="the first views counted")
        first.kill()
        counted_before_restart = await views_counted_from_db(db_name)
        await sending
        async with running_counter(http, env, tmp_path / "counter.log") as second:
            await assert_exact(http, second.url, expected_figures(batches))
            print(f"counted before kill -9: {counted_before_restart} of {MESSAGES * PER_MESSAGE}")
            assert 0 < counted_before_restart < MESSAGES * PER_MESSAGE


async def test_graceful_stop_stores_and_acks_what_it_took_then_restart_is_exact(
    bus: Bus, exchange: str, db_name: str, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    env = counter_env(exchange, db_name)
    async with running_counter(http, env, tmp_path / "first.log") as first:
        batches = make_batches(MESSAGES // 2, PER_MESSAGE, visitors=400, seed=9)
        await publish(bus, batches)
        await eventually(lambda: views_counted(http, first.url), what="the first views counted")
        first.stop()  # SIGTERM with work in flight
        assert first.process.returncode == 0
        log = first.log.read_text()
        assert "service.stopped" in log and "dead_lettered" not in log, log[-3000:]
        async with running_counter(http, env, tmp_path / "second.log") as second:
            await assert_exact(http, second.url, expected_figures(batches))


async def views_counted_from_db(db_name: str) -> int:
    """What the killed process had stored in the totals (it cannot answer HTTP any more)."""
    client = make_client(MONGO_URL)
    try:
        total = await client[db_name]["totals"].find_one({"_id": "total"})
        return int((total or {}).get("views", 0)) + int((total or {}).get("bot_views", 0))
    finally:
        await client.close()


async def test_every_message_twice_still_counts_each_view_once(
    bus: Bus, exchange: str, db_name: str, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    env = counter_env(exchange, db_name)
    async with running_counter(http, env, tmp_path / "counter.log") as service:
        batches = make_batches(MESSAGES, PER_MESSAGE, visitors=800, seed=2)
        # Back to back (the copy meets the original in the inbox), then all again later
        # (the copy arrives after the original was folded).
        for batch in batches:
            await bus.publish(batch)
            await bus.publish(batch)
        await assert_exact(http, service.url, expected_figures(batches))
        await publish(bus, batches)
        await eventually(
            lambda: handled_ok_at_least(http, service.url, 3 * MESSAGES),
            what="every copy to be acked",
        )
        await assert_exact(http, service.url, expected_figures(batches))


async def folding_pid(db_name: str) -> int:
    """The process id of the lease holder, from the newest lease ("host:pid:nonce")."""
    client = make_client(MONGO_URL)
    try:
        leases = [doc async for doc in client[db_name]["leases"].find({})]
    finally:
        await client.close()
    newest = max(leases, key=lambda doc: int(str(doc["_id"]).split(":")[1]))
    return int(str(newest["holder"]).split(":")[1])


async def handled_ok(http: aiohttp.ClientSession, url: str) -> int:
    async with http.get(f"{url}/metrics") as response:
        text = await response.text()
    total = 0.0
    for line in text.splitlines():
        if line.startswith("portal_events_handled_total{") and 'outcome="ok"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


async def handled_ok_at_least(http: aiohttp.ClientSession, url: str, count: int) -> bool:
    return await handled_ok(http, url) >= count


async def test_three_replicas_one_killed_count_exactly(
    bus: Bus, exchange: str, db_name: str, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    env = counter_env(exchange, db_name)
    replicas = [CounterProcess.start(env, tmp_path / f"counter{n}.log") for n in range(3)]
    try:
        await asyncio.gather(*(wait_ready(http, replica) for replica in replicas))
        batches = make_batches(MESSAGES, PER_MESSAGE, visitors=800, seed=3)
        await publish(bus, batches[: MESSAGES // 2])
        await eventually(lambda: views_counted(http, replicas[0].url), what="views counted")
        # Kill the replica that folds: another must take the lease over and finish its work.
        holder_pid = await folding_pid(db_name)
        (holder,) = [r for r in replicas if r.process.pid == holder_pid]
        holder.kill()
        await publish(bus, batches[MESSAGES // 2 :])
        expected = expected_figures(batches)
        for survivor in replicas:
            if survivor is not holder:
                await assert_exact(http, survivor.url, expected)
        assert await folding_pid(db_name) != holder_pid
    finally:
        for replica in replicas:
            replica.stop()


async def test_poison_messages_are_dead_lettered_and_the_flow_goes_on(
    bus: Bus,
    exchange: str,
    db_name: str,
    tmp_path: Path,
    http: aiohttp.ClientSession,
    amqp: aio_pika.abc.AbstractRobustConnection,
) -> None:
    env = counter_env(exchange, db_name)
    async with running_counter(http, env, tmp_path / "counter.log") as service:
        good = make_batches(3, PER_MESSAGE, visitors=50, seed=4)
        envelope = json.loads(encode(good[0]))
        poison = [
            b"not json at all",
            json.dumps({**envelope, "event_id": str(uuid.uuid4()), "version": 99}).encode(),
            json.dumps({**envelope, "event_id": str(uuid.uuid4()), "data": {"views": []}}).encode(),
        ]
        channel = await amqp.channel(publisher_confirms=True)
        target = await channel.get_exchange(exchange)
        await publish(bus, good[:1])
        for body in poison:
            await target.publish(aio_pika.Message(body, type="page.viewed"), "page.viewed")
        await publish(bus, good[1:])
        await assert_exact(http, service.url, expected_figures(good))

        async def parked() -> int:
            queue = await channel.declare_queue(f"{exchange}.counter.dead", passive=True)
            return int(queue.declaration_result.message_count or 0)

        async def all_parked() -> bool:
            return await parked() == len(poison)

        await eventually(all_parked, what="the poison messages in the dead-letter queue")
        await channel.close()
