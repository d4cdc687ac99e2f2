"""Concurrent writers of one article on the real FerretDB: none is told "done" and then lost.

FerretDB v1 loses one of two simultaneous updates of a document; the article lock
(shared/platform/storage/claims.py) makes every update of an article the only one in
flight. Two stores stand for
two replicas: the lock lives in the database, so they share nothing else.
"""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from pymongo import AsyncMongoClient

from services.content.adapters.schedule import ScheduleBook
from services.content.adapters.store import ArticleStore
from services.content.domain.commands import ArticleDraft, ArticlePatch
from services.content.usecases.editing import Workflow
from shared.contracts.errors import Conflict
from shared.platform.db import Document
from shared.platform.storage.claims import Claims, Lock, claim_id
from tests.content_support import SECTION, outbox_of

pytestmark = pytest.mark.integration

ROUNDS = 12


def replicas(mongo: AsyncMongoClient[Document], db_name: str) -> list[Workflow]:
    db = mongo[db_name]
    return [Workflow(ArticleStore(db, "http://portal.test"), ScheduleBook(db)) for _ in range(2)]


async def test_of_two_simultaneous_edits_one_is_kept_and_the_other_refused(
    mongo: AsyncMongoClient[Document], db_name: str
) -> None:
    first, second = replicas(mongo, db_name)
    store = ArticleStore(mongo[db_name], "http://portal.test")
    for n in range(ROUNDS):
        article = await first.create(ArticleDraft(title=f"Sửa cùng lúc {n}", section=SECTION), "t")
        outcomes = await asyncio.gather(
            first.edit(article.id, ArticlePatch(lead="của A"), "A"),
            second.edit(article.id, ArticlePatch(body="<p>của B</p>"), "B"),
            return_exceptions=True,
        )
        final = await store.get(article.id)
        kept = {"A": final.lead == "của A", "B": final.body == "<p>của B</p>"}
        for who, outcome in zip("AB", outcomes, strict=True):
            if isinstance(outcome, BaseException):
                assert isinstance(outcome, Conflict), outcome
                assert not kept[who], f"round {n}: {who} was refused but its change is there"
            else:
                assert kept[who], f"round {n}: {who} was told done but its change was lost"
        assert final.revision == 1 + sum(kept.values())


async def test_removing_a_sent_event_never_undoes_a_write_made_meanwhile(
    mongo: AsyncMongoClient[Document], db_name: str
) -> None:
    writer, _ = replicas(mongo, db_name)
    store = ArticleStore(mongo[db_name], "http://portal.test")
    relay_store = ArticleStore(mongo[db_name], "http://portal.test")  # another replica's relay
    for n in range(ROUNDS):
        article = await writer.create(ArticleDraft(title=f"Gửi và sửa {n}", section=SECTION), "t")
        published = await writer.publish(article.id, "t")
        [sent] = await outbox_of(store, published.id)
        await asyncio.gather(
            relay_store.mark_sent(article.id, sent),
            writer.edit(article.id, ArticlePatch(lead="sửa sau khi đăng"), "A"),
        )
        final = await store.get(article.id)
        assert final.lead == "sửa sau khi đăng", f"round {n}: the edit was undone"
        assert [entry["type"] for entry in await outbox_of(store, final.id)] == [
            "article.updated"
        ], n


async def test_a_lock_blocks_others_until_released_and_a_crashed_holders_expires(
    mongo: AsyncMongoClient[Document], db_name: str
) -> None:
    claims = Claims(mongo[db_name]["article_locks"], timedelta(seconds=10))
    impatient = Lock(claims, timedelta(seconds=0.2))
    async with Lock(claims, timedelta(seconds=5)).hold("a1", "first"):
        with pytest.raises(Conflict):
            async with impatient.hold("a1", "second"):
                pass
    async with impatient.hold("a1", "second"):  # released: free again
        pass
    # A replica died holding the lock: once its lease is over, the lock is taken over.
    expired = datetime.now(UTC) - timedelta(seconds=11)
    locks = mongo[db_name]["article_locks"]
    await locks.insert_one({"_id": claim_id("a2", 1), "owner": "dead", "claimed_at": expired})
    async with impatient.hold("a2", "alive") as held:
        assert held.owner != "dead"
    assert await locks.count_documents({}) == 0
