"""Sign-up privacy and robustness against the real FerretDB, RabbitMQ and an SMTP server
(aiosmtpd in this process): the same answer and the same work before it for every address,
the inbox that survives a crash, one replica per request, and the mail limits per address."""

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from services.notifier.adapters.signup_store import ConfirmationMails, SignupInbox
from services.notifier.app import create_app
from services.notifier.config import NotifierSettings
from services.notifier.domain.models import SubscribeRequest
from services.notifier.entrypoints.keys import (
    COMPOSER,
    SENDER,
    SIDE_TASKS,
    SUBSCRIBERS,
    SUPPRESSIONS,
)
from services.notifier.usecases.signups import Signups
from shared.platform.db import Document
from tests.notifier_support import (
    SIGNING_KEY,
    SinkServer,
    SmtpSink,
    add_subscribers,
    command_log,
    delete_notifier_topology,
    suppress,
)
from tests.support import AMQP_URL, MONGO_URL, eventually

pytestmark = pytest.mark.integration

Client = TestClient[Any, Any]
StartApp = Callable[..., Awaitable[Client]]
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def db(mongo: AsyncMongoClient[Document], db_name: str) -> AsyncDatabase[Document]:
    return mongo[db_name]


@pytest.fixture
async def start_app(
    smtp_server: SinkServer, exchange: str, db_name: str
) -> AsyncIterator[StartApp]:
    """Start a notifier in this process (a replica); `watch=True` records its commands."""
    clients: list[Client] = []

    async def start(watch: bool = False, **overrides: Any) -> Client:
        settings = NotifierSettings(
            amqp_url=AMQP_URL,
            mongo_url=MONGO_URL,
            mongo_db=db_name,
            exchange=exchange,
            smtp_port=smtp_server.port,
            signing_key=SIGNING_KEY,
            retry_base_seconds=0.01,
            smtp_timeout_seconds=2,
            claim_lease_seconds=5,
            **overrides,
        )
        app = create_app(settings)
        if watch:
            command_log().watch(app, db_name)
        client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        return client

    yield start
    for client in clients:
        await client.close()
    command_log().stop(db_name)
    await delete_notifier_topology(exchange)


async def inbox_empty(db: AsyncDatabase[Document]) -> bool:
    return await db["signup_requests"].count_documents({}) == 0


async def test_the_answer_and_the_work_before_it_are_the_same_for_every_address(
    start_app: StartApp, sink: SmtpSink, db: AsyncDatabase[Document], run_id: str
) -> None:
    """Finding 2: new, pending, confirmed, unsubscribed and suppressed addresses get the same
    status and body, after the same database commands with the same results."""
    addresses = {state: f"{state}-{run_id}@example.vn" for state in ("moi", "cho", "da", "roi")}
    addresses["chan"] = f"chan-{run_id}@example.vn"
    await add_subscribers(db, [addresses["cho"]], status="pending")
    await add_subscribers(db, [addresses["da"], addresses["chan"]])
    await add_subscribers(db, [addresses["roi"]], status="unsubscribed")
    await suppress(db, [addresses["chan"]])
    client = await start_app(watch=True)
    log = command_log()

    answers, work = {}, {}
    for state, address in addresses.items():
        log.commands.clear()
        response = await client.post("/api/subscribers", json={"email": address})
        answers[state] = (response.status, response.content_type, await response.text())
        work[state] = [(c.name, c.collection, c.reply) for c in log.in_handlers()]
        await eventually(lambda: inbox_empty(db), what="the work after the answer")

    (answer,) = set(answers.values())
    assert answer[:2] == (202, "application/json")
    assert json.loads(answer[2])["status"] == "check_your_email"
    for state in addresses:
        assert work[state] == work["moi"], state
    # The one thing done before answering: a request stored under a random id, nothing read.
    assert [name for name, _, _ in work["moi"]] == ["insert"]

    # The work after the answer did differ: only those not confirmed nor suppressed got mail.
    mailed = {item.recipient for item in sink.received}
    assert mailed == {addresses["moi"], addresses["cho"], addresses["roi"]}


async def test_a_sign_up_answered_before_a_crash_is_processed_by_the_sweep(
    start_app: StartApp, sink: SmtpSink, db: AsyncDatabase[Document], run_id: str
) -> None:
    """Finding 2: nothing accepted is lost. Requests left by a replica that died after
    answering (unclaimed) or while processing (claim older than the lease) are taken over at
    start; one that a live replica holds is left to it."""
    inbox = SignupInbox(db, timedelta(seconds=5))
    earlier = datetime.now(ZONE) - timedelta(minutes=2)
    unclaimed, dropped, held = (f"{name}-{run_id}@example.vn" for name in ("a", "b", "c"))
    ids = {
        email: await inbox.add(SubscribeRequest(email=email, sections=["thong-bao"]), earlier)
        for email in (unclaimed, dropped, held)
    }
    await db["signup_claims"].insert_many(
        [
            {"_id": f"{ids[dropped]}#1", "owner": "dead", "claimed_at": earlier},
            {"_id": f"{ids[held]}#1", "owner": "alive", "claimed_at": datetime.now(ZONE)},
        ]
    )

    client = await start_app()
    await eventually(lambda: len(sink.received) == 2, what="two confirmations")
    assert sorted(item.recipient for item in sink.received) == sorted([unclaimed, dropped])
    for email in (unclaimed, dropped):
        subscriber = await client.app[SUBSCRIBERS].get(email)
        assert subscriber is not None
        assert (subscriber.status, subscriber.sections) == ("pending", ["thong-bao"])
    remaining = [doc["_id"] async for doc in db["signup_requests"].find({})]
    assert remaining == [ids[held]]
    claims = sorted([doc["_id"] async for doc in db["signup_claims"].find({})])
    assert claims == [f"{ids[held]}#1"]


async def test_only_one_replica_processes_a_sign_up(
    start_app: StartApp, sink: SmtpSink, db: AsyncDatabase[Document], run_id: str
) -> None:
    """Finding 2: two replicas on one request: the unique claim insert picks one."""
    client = await start_app()
    app = client.app
    settings = NotifierSettings(mongo_db="unused", signing_key=SIGNING_KEY)
    replicas = [
        Signups(
            settings,
            SignupInbox(db, timedelta(seconds=settings.claim_lease_seconds)),
            ConfirmationMails(db, timedelta(0), 5, ZONE),  # no spacing: only the claim decides
            app[SUBSCRIBERS],
            app[SUPPRESSIONS],
            app[COMPOSER],
            app[SENDER],
            app[SIDE_TASKS],
        )
        for _ in range(2)
    ]
    replicas[1].owner = "another-replica"
    for n in range(5):
        address = f"hai-ban-{n}-{run_id}@example.vn"
        request_id = await replicas[0].receive(SubscribeRequest(email=address))
        done = await asyncio.gather(*(replica.process(request_id) for replica in replicas))
        assert sorted(done) == [False, True]
        assert [item.recipient for item in sink.received].count(address) == 1
    assert await inbox_empty(db)
    assert await db["signup_claims"].count_documents({}) == 0


async def test_confirmation_mails_are_spaced_and_capped_per_address_per_day(
    db: AsyncDatabase[Document], run_id: str
) -> None:
    """Finding 3: at most one per 10 minutes and 5 a (local) day, decided by unique inserts."""
    mails = ConfirmationMails(db, timedelta(minutes=10), 5, ZONE)
    address, other = f"mot-{run_id}@example.vn", f"hai-{run_id}@example.vn"
    morning = datetime(2026, 5, 4, 8, 0, tzinfo=ZONE)

    async def take(email: str, request: str, minutes: float) -> bool:
        return await mails.take(email, request, morning + timedelta(minutes=minutes))

    assert await take(address, "r1", 0)
    assert not await take(address, "r2", 5), "within 10 minutes"
    assert await take(other, "r3", 5), "another address has its own limits"
    assert await take(address, "r1", 6), "r1 holds the last slot: its mail may go again"
    assert [await take(address, f"r{n}", 10 * n) for n in range(4, 8)] == [True] * 4
    assert not await take(address, "r8", 60), "five today already"
    assert not await take(address, "r9", 600)
    assert await take(address, "r10", 16 * 60 + 5), "a new local day (00:05)"

    # Across midnight the spacing still holds.
    evening = datetime(2026, 5, 4, 23, 55, tzinfo=ZONE)
    assert await mails.take(other, "r11", evening)
    assert not await mails.take(other, "r12", evening + timedelta(minutes=7))
    assert await mails.take(other, "r13", evening + timedelta(minutes=10))


async def test_signing_up_an_address_again_and_again_neither_locks_out_nor_mail_bombs_it(
    start_app: StartApp, sink: SmtpSink, db: AsyncDatabase[Document], run_id: str
) -> None:
    """Finding 3: no per-address 429 (someone else's sign-ups must not lock the owner out),
    and still one confirmation, silently."""
    client = await start_app()
    victim = f"nan-nhan-{run_id}@example.vn"
    answers = [
        (response.status, await response.json())
        for response in [
            await client.post("/api/subscribers", json={"email": victim}) for _ in range(12)
        ]
    ]
    assert answers == [answers[0]] * 12
    assert answers[0][0] == 202
    await eventually(lambda: inbox_empty(db), what="every sign-up processed")
    assert len(sink.to(victim)) == 1


async def test_at_most_five_confirmations_a_day_even_without_spacing(
    start_app: StartApp, sink: SmtpSink, db: AsyncDatabase[Document], run_id: str
) -> None:
    """Finding 3: the daily cap, through the API, silently."""
    client = await start_app(confirmation_interval_minutes=0)
    address = f"moi-ngay-{run_id}@example.vn"
    for _ in range(8):
        response = await client.post("/api/subscribers", json={"email": address})
        assert response.status == 202
        await eventually(lambda: inbox_empty(db), what="the sign-up processed")
    assert len(sink.to(address)) == 5


async def test_one_network_flooding_the_form_gets_429(start_app: StartApp, run_id: str) -> None:
    """The limit per client address stays."""
    client = await start_app(signups_per_ip_per_hour=3)
    statuses = [
        (await client.post("/api/subscribers", json={"email": f"{n}-{run_id}@example.vn"})).status
        for n in range(4)
    ]
    assert statuses == [202, 202, 202, 429]
    response = await client.post("/api/subscribers", json={"email": f"x-{run_id}@example.vn"})
    assert (await response.json())["error"]["code"] == "too_many_requests"
