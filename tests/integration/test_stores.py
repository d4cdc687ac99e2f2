"""Each service's store against the real MongoDB-wire server (FerretDB here)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pymongo import AsyncMongoClient

from services.content.models import ArticleDraft
from services.content.store import ArticleStore
from services.content.visitors import VisitorHasher
from services.counter.store import ViewStore
from services.notifier.models import SubscribeRequest
from services.notifier.store import DeliveryStore, SubscriberStore
from shared.db import Document
from shared.events import PageView, decode

pytestmark = pytest.mark.integration

SAIGON = ZoneInfo("Asia/Ho_Chi_Minh")


def draft(title: str = "Đẩy mạnh công tác dân vận") -> ArticleDraft:
    return ArticleDraft(
        title=title,
        lead="Tóm tắt",
        body='<p onclick="x()">Nội dung</p><script>alert(1)</script>',
        section="Tin tức",
        authors=["Trần Thị B"],
    )


async def test_articles_get_unique_slugs_and_clean_bodies(
    mongo: AsyncMongoClient[Document], db_name: str
) -> None:
    store = ArticleStore(mongo[db_name], "https://portal.example")
    await store.create_indexes()
    first = await store.create(draft(), "editor")
    second = await store.create(draft(), "editor")
    assert first["slug"] == "day-manh-cong-tac-dan-van"
    assert second["slug"] == "day-manh-cong-tac-dan-van-2"
    assert first["body"] == "<p>Nội dung</p>"


async def test_publishing_queues_one_event_in_the_article_itself(
    mongo: AsyncMongoClient[Document], db_name: str
) -> None:
    store = ArticleStore(mongo[db_name], "https://portal.example")
    await store.create_indexes()
    article = await store.create(draft(), "editor")
    published = await store.publish(article["_id"], "editor")
    again = await store.publish(article["_id"], "editor")

    assert published["status"] == again["status"] == "published"
    assert len(again["outbox"]) == 1, "publishing twice must not queue a second event"
    event = decode(again["outbox"][0]["body"].encode())
    assert event.type == "article.published"
    assert event.data.url.unicode_string() == (  # type: ignore[attr-defined]
        "https://portal.example/articles/day-manh-cong-tac-dan-van"
    )

    pending = await store.with_pending_events()
    assert [doc["_id"] for doc in pending] == [article["_id"]]
    await store.mark_sent(article["_id"], again["outbox"][0])
    assert await store.with_pending_events() == []
    assert (await store.get_published_by_slug(article["slug"]))["_id"] == article["_id"]


async def test_visitor_hash_is_stable_within_a_day_and_never_the_ip(
    mongo: AsyncMongoClient[Document], db_name: str
) -> None:
    hasher = VisitorHasher(mongo[db_name], "portal", SAIGON)
    now = datetime.now(UTC)
    one = await hasher.visitor("203.0.113.5", "Firefox", now)
    assert one == await hasher.visitor("203.0.113.5", "Firefox", now)
    assert one != await hasher.visitor("203.0.113.6", "Firefox", now)
    assert one != await hasher.visitor("203.0.113.5", "Firefox", now + timedelta(days=1))
    salts = await mongo[db_name]["visitor_salts"].find().to_list()
    assert len(salts) == 2
    assert all("203.0.113" not in str(salt) for salt in salts)


async def test_views_count_once_however_often_delivered(
    mongo: AsyncMongoClient[Document], db_name: str
) -> None:
    store = ViewStore(mongo[db_name], SAIGON, timedelta(minutes=5), timedelta(minutes=30))
    await store.create_indexes()
    now = datetime.now(UTC)
    views = [
        PageView(visitor="a" * 32, path="/a", article_id="A", viewed_at=now),
        PageView(visitor="a" * 32, path="/a", article_id="A", viewed_at=now),
        PageView(visitor="b" * 32, path="/a", article_id="A", viewed_at=now),
        PageView(visitor="c" * 32, path="/", is_bot=True, viewed_at=now),
    ]
    await store.record("event-1", views)
    await store.record("event-1", views)  # redelivered

    stats = await store.stats(now)
    assert (stats.views_total, stats.visitors_total, stats.online) == (3, 2, 2)
    assert (stats.visits_today, stats.visits_total, stats.bots_today) == (2, 2, 1)
    assert await store.article_views("A") == 3


async def test_subscribing_twice_keeps_one_pending_subscriber(
    mongo: AsyncMongoClient[Document], db_name: str
) -> None:
    store = SubscriberStore(mongo[db_name])
    request = SubscribeRequest(email="Ban.Doc@Example.vn", sections=["Tin tức"])
    first = await store.add(request)
    second = await store.add(request)
    assert first == second
    assert first["status"] == "pending"
    assert await store.recipients("Tin tức") == []
    assert await store.set_status("ban.doc@example.vn", "confirmed")
    assert [s["email"] for s in await store.recipients("Tin tức")] == ["ban.doc@example.vn"]
    assert await store.recipients("Thể thao") == []


async def test_a_delivery_is_claimed_once_per_attempt(
    mongo: AsyncMongoClient[Document], db_name: str
) -> None:
    store = DeliveryStore(mongo[db_name])
    delivery = await store.open("A", "x@example.vn", "e1")
    assert delivery["state"] == "pending"
    # Two replicas race for the first attempt: exactly one wins it.
    claims = [await store.claim(delivery), await store.claim(delivery)]
    assert claims == [1, None]
    await store.record(delivery, 1, "failed", "451 try later")
    retry = await store.open("A", "x@example.vn", "e1")
    assert (retry["state"], retry["attempts"]) == ("failed", 1)
    assert await store.claim(retry) == 2
    await store.record(retry, 2, "sent")
    assert (await store.open("A", "x@example.vn", "e2"))["state"] == "sent"
    assert await store.count_by_state("A") == {"sent": 1}
