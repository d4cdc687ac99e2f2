"""Generated hostile input through the real pipeline (hypothesis): the project's own prober.

Beacons go content → RabbitMQ → the counter's fold; articles go content → RabbitMQ → the
notifier → SMTP; sign-up bodies go to the notifier. Whatever is generated, no answer is a
5xx, no consumer gets stuck (each valid item after an invalid one is processed), and the
stored figures reconcile with what was accepted. The services run as processes on the real
servers; their limits are raised so that the generated load is judged, not rate-limited.
"""

import asyncio
import json
import os
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import bson
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from shared.platform.db import make_client
from tests.e2e.conftest import BOOTSTRAP_TOKEN, EDITOR_TOKEN, System, drop_system, start_system
from tests.processes import free_port, stop_all, wait_ready
from tests.support import MONGO_URL, SMTP_HOST, SMTP_PORT, Mailpit, eventually

pytestmark = pytest.mark.e2e

PREFIX = "props"
AUTH = {"Authorization": f"Bearer {EDITOR_TOKEN}"}
HUMANS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
)
BOTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/124.0 Safari/537.36",
)
# Property runs stay short in CI: every example is a round trip through three services.
RUNS = settings(
    max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def props_processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    run = os.urandom(5).hex()
    ports = {name: free_port() for name in ("content", "counter", "notifier")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    specific = {
        "counter": {"STATS_MAX_AGE_SECONDS": "0"},
        "notifier": {
            "SIGNING_KEY": "props-signing-key-0123456789abcdef0123",
            "SMTP_HOST": SMTP_HOST,
            "SMTP_PORT": str(SMTP_PORT),
            "SIGNUPS_PER_IP_PER_HOUR": "1000000",
        },
        "content": {
            "EDITOR_TOKEN": BOOTSTRAP_TOKEN,
            "BEACON_BURST": "1000000",
            "BEACONS_PER_MINUTE": "1000000",
        },
    }
    for name, extra in specific.items():
        extra["PUBLIC_URL"] = urls[name]
    logs = tmp_path_factory.mktemp("props")
    processes = start_system(PREFIX, run, ports, logs, specific)
    yield System(urls["content"], urls["counter"], urls["notifier"], f"{PREFIX}.{run}", run)
    stop_all(processes)


@dataclass
class Ledger:
    """What the services accepted so far: what the counter must show."""

    human_views: int = 0
    bot_views: int = 0
    article_views: dict[str, int] = field(default_factory=dict)
    live: list[str] = field(default_factory=list)
    answers: dict[int, int] = field(default_factory=dict)


@pytest.fixture(scope="module")
async def props(props_processes: System, http: aiohttp.ClientSession) -> AsyncIterator[System]:
    urls = (props_processes.content, props_processes.counter, props_processes.notifier)
    await wait_ready(http, *urls, timeout=60, what="the services under property tests")
    yield props_processes
    await drop_system(PREFIX, props_processes.run)


@pytest.fixture(scope="module")
async def reader(props: System, http: aiohttp.ClientSession, mailpit: Mailpit) -> str:
    """A confirmed subscriber of every section: each published article must reach them."""
    address = f"doc-gia-{uuid.uuid4().hex[:8]}@example.vn"
    async with http.post(f"{props.notifier}/api/subscribers", json={"email": address}) as answer:
        assert answer.status == 202
    mail = (await eventually(lambda: mailpit.messages_to(address), what="the confirmation"))[0]
    text = (await mailpit.message(mail["ID"]))["Text"]
    link = re.search(r"http\S+/subscriptions/confirm\?token=\S+", text)
    assert link, text
    async with http.post(link.group(0)) as answer:  # the confirmation page's button
        assert answer.status == 200
    return address


@pytest.fixture(scope="module")
async def ledger(props: System, http: aiohttp.ClientSession) -> Ledger:
    ledger = Ledger()
    for title in ("Tin có thật thứ nhất", "Tin có thật thứ hai"):
        draft = {"title": title, "section": "tin-tuc-su-kien"}
        async with http.post(f"{props.content}/api/articles", json=draft, headers=AUTH) as made:
            article = await made.json()
        publish = f"{props.content}/api/articles/{article['id']}/publish"
        async with http.post(publish, headers=AUTH) as response:
            assert response.status == 200
        ledger.live.append(article["id"])
    return ledger


# ---- beacons ---------------------------------------------------------------------------------

texts = st.text(max_size=80)  # any code point: controls, NUL, surrogates' neighbours, emoji
paths = st.one_of(st.just("/"), st.builds(lambda t: "/" + t, texts), texts)
article_ids = st.one_of(
    st.none(),
    st.sampled_from(["live-0", "live-1"]),  # replaced by the real ids
    st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True),  # made up, well formed
    texts,
)
beacon_bodies = st.one_of(
    st.fixed_dictionaries(
        {"path": paths},
        optional={
            "article_id": article_ids,
            "referrer": st.one_of(st.none(), texts, st.just("https://www.google.com.vn/?q=1")),
            "extra": texts,
        },
    ),
    st.dictionaries(texts, st.one_of(texts, st.integers(), st.none()), max_size=3),
    st.lists(st.integers(), max_size=3),
    st.binary(max_size=64),  # not JSON at all
)
beacons = st.tuples(beacon_bodies, st.sampled_from(HUMANS + BOTS))


def encode_body(body: Any, ledger: Ledger) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, dict) and body.get("article_id") in ("live-0", "live-1"):
        body = {**body, "article_id": ledger.live[int(body["article_id"][-1])]}
    return json.dumps(body).encode()


@RUNS
@given(batch=st.lists(beacons, min_size=1, max_size=12))
async def test_generated_beacons_are_answered_4xx_or_counted_exactly(
    props: System, http: aiohttp.ClientSession, ledger: Ledger, batch: list[Any]
) -> None:
    for body, agent in batch:
        data = encode_body(body, ledger)
        headers = {"User-Agent": agent, "Content-Type": "text/plain"}
        async with http.post(f"{props.content}/api/views", data=data, headers=headers) as answer:
            status = answer.status
            event(f"beacon answered {status}")
            ledger.answers[status] = ledger.answers.get(status, 0) + 1
            assert status < 500, f"{status} for {data!r}: {await answer.text()}"
            if status != 204:
                assert "error" in await answer.json()  # a refusal says why, in JSON
                continue
        sent = json.loads(data)
        if agent in BOTS:
            ledger.bot_views += 1
        else:
            ledger.human_views += 1
            if sent.get("article_id") in ledger.live:
                key = sent["article_id"]
                ledger.article_views[key] = ledger.article_views.get(key, 0) + 1
    # No consumer stuck: every view accepted so far, valid or made up, is folded.
    await eventually(lambda: counted_is(http, props, ledger), timeout=30, what="exact figures")


async def counted_is(http: aiohttp.ClientSession, props: System, ledger: Ledger) -> bool:
    async with http.get(f"{props.counter}/api/stats") as response:
        measures = (await response.json())["measures"]
    views = measures["views"]["all_time"]["value"]
    bots = measures["bot_views"]["all_time"]["value"]
    assert views <= ledger.human_views and bots <= ledger.bot_views, "more counted than sent"
    if (views, bots) != (ledger.human_views, ledger.bot_views):
        return False
    per_article = 0
    for article_id in ledger.live:
        async with http.get(f"{props.counter}/api/stats/articles/{article_id}") as response:
            found = (await response.json())["views"]
        if found != ledger.article_views.get(article_id, 0):
            return False
        per_article += found
    # Totals reconcile with their breakdown: the articles' views and the other pages'.
    assert per_article + measures["other_views"]["all_time"]["value"] == views
    async with http.get(f"{props.counter}/api/stats/top", params={"limit": "100"}) as response:
        listed = {item["article_id"] for item in (await response.json())["items"]}
    assert listed <= set(ledger.live), f"made-up ids listed: {listed - set(ledger.live)}"
    return True


# ---- articles and the email they make ---------------------------------------------------------

# Mostly text a person could type (Vietnamese included), sometimes anything at all.
typed = st.text(
    st.characters(exclude_categories=("Cc", "Cf", "Cs", "Zl", "Zp")), min_size=1, max_size=60
)
lines = st.one_of(typed, typed, typed, st.text(min_size=1, max_size=60))
article_bodies = st.fixed_dictionaries(
    {
        "title": lines,
        "section": st.one_of(
            st.sampled_from(["tin-tuc-su-kien", "thong-bao", "Thông báo"]), st.just("khac")
        ),
    },
    optional={
        "lead": st.one_of(typed, texts),
        "body": st.one_of(texts, st.just("<script>alert(1)</script><p onclick='x'>p</p>")),
        "tags": st.lists(lines, max_size=3),
        "authors": st.lists(lines, max_size=2),
        "cover_image_url": st.one_of(st.just("https://example.vn/a.jpg"), texts),
    },
)


@RUNS
@given(draft=article_bodies)
async def test_generated_articles_are_refused_or_published_and_announced(
    props: System, http: aiohttp.ClientSession, mailpit: Mailpit, reader: str, draft: dict[str, Any]
) -> None:
    marker = uuid.uuid4().hex[:8]
    draft = {**draft, "title": f"{draft['title']} {marker}"}
    async with http.post(f"{props.content}/api/articles", json=draft, headers=AUTH) as answer:
        assert answer.status < 500, await answer.text()
        event(f"article answered {answer.status}")
        if answer.status != 201:
            error = (await answer.json())["error"]
            fields = sorted({detail["field"] for detail in error.get("details") or []})
            event(f"article refused for {', '.join(fields) or error['code']}")
            return
        article = await answer.json()
    publish = f"{props.content}/api/articles/{article['id']}/publish"
    async with http.post(publish, headers=AUTH) as answer:
        assert answer.status == 200, await answer.text()
    # The event went through: the article reads back on its public URL, controls stripped.
    async with http.get(f"{props.content}/api/articles/{article['slug']}") as answer:
        assert answer.status == 200
        public = await answer.json()
    assert not any(ord(c) < 32 and c not in "\t\n\r" for c in public["lead"] + public["body"])
    assert "<script" not in public["body"]

    # And through the notifier: the subscriber gets this article's email, once.
    async def announced() -> list[dict[str, Any]]:
        return [m for m in await mailpit.messages_to(reader) if marker in m["Subject"]]

    emails = await eventually(announced, timeout=30, what="the article's email")
    assert len(emails) == 1


# ---- sign-ups --------------------------------------------------------------------------------

signup_bodies = st.one_of(
    st.fixed_dictionaries(
        {"email": st.one_of(st.emails(), st.emails(), texts)},
        optional={
            "sections": st.lists(st.sampled_from(["thong-bao", "tin-tuc-su-kien"]), max_size=2)
            | st.lists(texts, max_size=2),
            "language": st.one_of(st.sampled_from(["vi", "en"]), texts),
        },
    ),
    st.dictionaries(texts, texts, max_size=3),
    st.binary(max_size=64),
)


@RUNS
@given(body=signup_bodies)
async def test_generated_sign_ups_never_fail_the_server(
    props: System, http: aiohttp.ClientSession, body: Any
) -> None:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    async with http.post(f"{props.notifier}/api/subscribers", data=data, headers=headers) as answer:
        assert answer.status < 500, await answer.text()
        event(f"sign-up answered {answer.status}")
        reply = await answer.json()
        if answer.status == 202:
            assert reply["status"] == "check_your_email"
        else:
            assert "error" in reply


# ---- storage stays bounded -------------------------------------------------------------------


async def figure_storage(props: System) -> tuple[int, set[str]]:
    """Bytes of the documents that hold per-article figures, and the article keys in them."""
    client = make_client(MONGO_URL)
    try:
        db = client[f"{PREFIX}_counter_{props.run}"]
        size, keys = 0, set()
        for name in ("days", "articles", "totals"):
            async for document in db[name].find({}):
                size += len(bson.encode(document))
                keys |= set(document.get("a", {}))
        return size, keys
    finally:
        await client.close()


async def test_made_up_article_ids_leave_the_counter_s_storage_unchanged(
    props: System, http: aiohttp.ClientSession, ledger: Ledger
) -> None:
    """The finding: each distinct made-up id added ~186 bytes to the day's document, until
    the 16 MiB limit froze the fold. Now only a live article's id ever becomes a key."""
    beacons = int(os.environ.get("STORAGE_BEACONS", "5000"))
    sent = asyncio.Semaphore(32)

    async def send(n: int) -> None:
        body = json.dumps({"path": f"/articles/x{n}", "article_id": f"made-up-{n:08d}"})
        headers = {"User-Agent": HUMANS[0]}
        url = f"{props.content}/api/views"
        async with sent, http.post(url, data=body, headers=headers) as answer:
            assert answer.status == 204, await answer.text()

    # One first, so that today's documents exist: what follows may only change numbers.
    await send(beacons)
    ledger.human_views += 1
    await eventually(lambda: counted_is(http, props, ledger), timeout=30, what="a quiet start")
    size_before, keys_before = await figure_storage(props)
    await asyncio.gather(*(send(n) for n in range(beacons)))
    ledger.human_views += beacons
    await eventually(lambda: counted_is(http, props, ledger), timeout=120, what="every view")
    size_after, keys_after = await figure_storage(props)
    print(f"{beacons} made-up ids: figure documents {size_before} -> {size_after} bytes")
    assert keys_after == keys_before and {k for k in keys_after if k not in ledger.live} == set()
    assert size_after - size_before <= 64  # counters grow in place; no key is added
