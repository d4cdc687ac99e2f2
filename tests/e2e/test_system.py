"""End to end: an editor publishes, a subscriber gets the email, readers are counted."""

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import aiohttp
import pytest

from tests.e2e.conftest import EDITOR_TOKEN, System, handled
from tests.support import AMQP_URL, Mailpit, eventually

pytestmark = pytest.mark.e2e

BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
)


class Probe:
    """A queue of our own on the system's exchange: it sees every event, so a test can resend."""

    def __init__(self, queue: aio_pika.abc.AbstractQueue, exchange: aio_pika.abc.AbstractExchange):
        self.queue = queue
        self.exchange = exchange

    async def take(self, event_type: str) -> list[aio_pika.abc.AbstractIncomingMessage]:
        found = []
        while (message := await self.queue.get(fail=False)) is not None:
            await message.ack()
            if message.routing_key == event_type:
                found.append(message)
        return found

    async def resend(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        """Deliver the very same message again, as the broker would after a lost ack."""
        copy = aio_pika.Message(message.body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
        await self.exchange.publish(copy, routing_key=str(message.routing_key))


@pytest.fixture
async def probe(system: System) -> AsyncIterator[Probe]:
    connection = await aio_pika.connect(AMQP_URL)
    channel = await connection.channel()
    exchange = await channel.get_exchange(system.exchange)
    queue = await channel.declare_queue(f"{system.exchange}.probe", auto_delete=True)
    await queue.bind(exchange, routing_key="#")
    yield Probe(queue, exchange)
    await connection.close()


async def post(http: aiohttp.ClientSession, url: str, body: Any, **headers: str) -> Any:
    async with http.post(url, json=body, headers=headers) as response:
        assert response.status < 300, f"{url}: {response.status} {await response.text()}"
        return await response.json() if response.status != 204 else None


async def publish_article(http: aiohttp.ClientSession, system: System, title: str) -> Any:
    auth = {"Authorization": f"Bearer {EDITOR_TOKEN}"}
    draft = {
        "title": title,
        "lead": "Tóm tắt tin",
        "body": "<p>Nội dung</p>",
        "section": "tin-tuc-su-kien",
    }
    article = await post(http, f"{system.content}/api/articles", draft, **auth)
    return await post(http, f"{system.content}/api/articles/{article['id']}/publish", {}, **auth)


async def test_a_subscriber_gets_each_article_once_even_when_redelivered(
    system: System, http: aiohttp.ClientSession, mailpit: Mailpit, probe: Probe
) -> None:
    reader = f"ban-doc-{uuid.uuid4().hex[:8]}@example.vn"
    await post(http, f"{system.notifier}/api/subscribers", {"email": reader})
    confirmation = (await eventually(lambda: mailpit.messages_to(reader), what="confirmation"))[0]
    text = (await mailpit.message(confirmation["ID"]))["Text"]
    confirm_url = re.search(r"http\S+/confirm\?token=\S+", text)
    assert confirm_url, text
    # The link opens a page with a button; its POST confirms (link scanners only GET).
    async with http.post(confirm_url.group(0)) as response:
        assert response.status == 200

    title = f"Đẩy mạnh công tác dân vận {uuid.uuid4().hex[:6]}"
    article = await publish_article(http, system, title)

    async def article_emails() -> list[dict[str, Any]]:
        return [m for m in await mailpit.messages_to(reader) if m["Subject"] == title]

    emails = await eventually(article_emails, what="the article email")
    assert len(emails) == 1

    # The same article.published delivered again: the delivery record stops a second email.
    await redeliver(http, probe, system.notifier, "article.published")
    assert len(await article_emails()) == 1
    # Editors see the counts through content; the notifier gives them to its token only.
    counts_url = f"{system.content}/api/editor/articles/{article['id']}/deliveries"
    editor = {"Authorization": f"Bearer {EDITOR_TOKEN}"}
    async with http.get(counts_url, headers=editor) as response:
        assert (await response.json())["deliveries"] == {"sent": 1}
    async with http.get(counts_url) as response:
        assert response.status == 401
    async with http.get(f"{system.notifier}/api/deliveries/{article['id']}") as response:
        assert response.status in (401, 403)


async def test_views_are_counted_once_even_when_redelivered(
    system: System, http: aiohttp.ClientSession, probe: Probe
) -> None:
    article = await publish_article(http, system, f"Tin đọc nhiều {uuid.uuid4().hex[:6]}")
    beacon = {"path": f"/articles/{article['slug']}", "article_id": article["id"]}
    for agent in (BROWSERS[0], BROWSERS[0], BROWSERS[1]):
        await post(http, f"{system.content}/api/views", beacon, **{"User-Agent": agent})

    async def stats() -> dict[str, Any]:
        async with http.get(f"{system.counter}/api/stats") as response:
            result: dict[str, Any] = await response.json()
            return result

    await eventually(
        lambda: _has(stats(), views=3, visitors=2), what="3 views by 2 visitors in /api/stats"
    )

    await redeliver(http, probe, system.counter, "page.viewed")
    final = await stats()
    assert final["measures"]["views"]["all_time"]["value"] == 3
    assert final["measures"]["visitors"]["all_time"]["value"] == 2
    assert (final["online"], final["today"]) == (2, 2)
    async with http.get(f"{system.counter}/api/stats/articles/{article['id']}") as response:
        assert (await response.json())["views"] == 3


async def redeliver(
    http: aiohttp.ClientSession, probe: Probe, service_url: str, event_type: str
) -> None:
    """Send the first seen event of this type again and wait until the service acked it."""
    seen = await eventually(lambda: probe.take(event_type), what=f"a {event_type} event")
    before = await handled(http, service_url, event_type)
    await probe.resend(seen[0])

    async def acked_again() -> bool:
        return await handled(http, service_url, event_type) > before

    await eventually(acked_again, what=f"the duplicate {event_type} to be handled")


async def _has(stats: Any, views: int, visitors: int) -> bool:
    current = await stats
    measures = current["measures"]
    return bool(
        measures["views"]["all_time"]["value"] == views
        and measures["visitors"]["all_time"]["value"] == visitors
    )
