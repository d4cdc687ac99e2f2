"""The article store and workflow against the real MongoDB-wire server (FerretDB here)."""

import asyncio

import pytest
from pymongo import AsyncMongoClient

from services.content.adapters.schedule import ScheduleBook
from services.content.adapters.store import ArticleStore
from services.content.domain.commands import ArticleDraft, ArticlePatch
from services.content.usecases.editing import Workflow
from shared.contracts.errors import Conflict
from shared.contracts.events import decode
from shared.platform.db import Document
from tests.content_support import SECTION, outbox_of

pytestmark = pytest.mark.integration


def draft(title: str = "Đẩy mạnh công tác dân vận") -> ArticleDraft:
    return ArticleDraft(
        title=title,
        lead="Tóm tắt",
        body='<p onclick="x()">Nội dung</p><script>alert(1)</script>',
        section=SECTION,
        tags=["Dân vận"],
        authors=["Trần Thị B"],
    )


def workflow_on(mongo: AsyncMongoClient[Document], db_name: str) -> tuple[ArticleStore, Workflow]:
    store = ArticleStore(mongo[db_name], "https://portal.example")
    return store, Workflow(store, ScheduleBook(mongo[db_name]))


async def test_racing_creates_get_distinct_slugs_and_clean_bodies(
    mongo: AsyncMongoClient[Document], db_name: str
) -> None:
    _, workflow = workflow_on(mongo, db_name)
    made = await asyncio.gather(*(workflow.create(draft(), "editor") for _ in range(5)))
    slugs = sorted(article.slug for article in made)
    base = "day-manh-cong-tac-dan-van"
    assert slugs == sorted([base, *(f"{base}-{n}" for n in range(2, 6))])
    assert made[0].body == "<p>Nội dung</p>"
    assert list(made[0].search_tokens[:6]) == ["day", "manh", "cong", "tac", "dan", "van"]


async def test_publishing_queues_one_event_in_the_article_itself(
    mongo: AsyncMongoClient[Document], db_name: str
) -> None:
    store, workflow = workflow_on(mongo, db_name)
    article = await workflow.create(draft(), "editor")
    published = await workflow.publish(article.id, "editor")
    again = await workflow.publish(article.id, "editor")

    assert published.status == again.status == "published"
    queued = await outbox_of(store, again.id)
    assert len(queued) == 1, "publishing twice must not queue a second event"
    event = decode(queued[0]["body"].encode())
    assert event.type == "article.published"
    data = event.data.model_dump(mode="json")
    assert data["url"] == "https://portal.example/articles/day-manh-cong-tac-dan-van"
    assert (data["section"], data["section_slug"]) == ("Tin tức - Sự kiện", SECTION)
    assert (data["tags"], data["authors"], data["revision"]) == (["Dân vận"], ["Trần Thị B"], 2)

    pending = await store.with_pending_events()
    assert [doc["_id"] for doc in pending] == [article.id]
    await store.mark_sent(article.id, queued[0])
    assert await store.with_pending_events() == []


async def test_edits_of_a_live_article_queue_updates_and_unpublish_queues_its_event(
    mongo: AsyncMongoClient[Document], db_name: str
) -> None:
    store, workflow = workflow_on(mongo, db_name)
    article = await workflow.create(draft(), "writer")
    await workflow.edit(article.id, ArticlePatch(lead="Nháp"), "writer")  # a draft: silent
    await workflow.publish(article.id, "chief")
    await workflow.edit(article.id, ArticlePatch(slug="duong-dan-moi"), "chief")
    unchanged = await workflow.edit(article.id, ArticlePatch(lead="Nháp"), "chief")
    assert unchanged.revision == 4  # nothing changed: no revision, no event
    await workflow.unpublish(article.id, "chief")

    stored = await store.get(article.id)
    events = [decode(entry["body"].encode()) for entry in await outbox_of(store, stored.id)]
    assert [event.type for event in events] == [
        "article.published",
        "article.updated",
        "article.unpublished",
    ]
    assert events[1].data.previous_slug == "day-manh-cong-tac-dan-van"  # type: ignore[attr-defined]
    assert len({event.event_id for event in events}) == 3
    history = [(e["revision"], e["action"], e["by"]) for e in await store.history(article.id)]
    assert history == [
        (1, "create", "writer"),
        (2, "edit", "writer"),
        (3, "publish", "chief"),
        (4, "edit", "chief"),
        (5, "unpublished", "chief"),
    ]
    with pytest.raises(Conflict):
        await workflow.edit(article.id, ArticlePatch(lead="x", revision=1), "chief")


async def test_retitling_a_draft_back_keeps_its_own_suffixed_slug(
    mongo: AsyncMongoClient[Document], db_name: str
) -> None:
    store, workflow = workflow_on(mongo, db_name)
    await workflow.create(draft("Tin A"), "editor")
    second = await workflow.create(draft("Tin A"), "editor")
    assert second.slug == "tin-a-2"
    renamed = await workflow.edit(second.id, ArticlePatch(title="Tin A!"), "editor")
    assert renamed.slug == "tin-a-2"
    assert await store.slug_owner("tin-a-2") == second.id
    moved = await workflow.edit(second.id, ArticlePatch(title="Tin B"), "editor")
    assert moved.slug == "tin-b"
    assert await store.slug_owner("tin-a-2") is None  # a draft's old slug is freed
