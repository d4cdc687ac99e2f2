"""The store's read-back: a write undone by a racing writer (FerretDB) is applied again."""

from dataclasses import dataclass
from typing import Any

from services.content.store import ArticleStore


@dataclass
class Result:
    matched_count: int


class LossyArticles:
    """Accepts the first update but keeps the old document, as a racing read-modify-write
    by another writer would leave it; applies later updates."""

    def __init__(self, document: dict[str, Any], lose: str) -> None:
        self.document = document
        self.lose = lose  # "write" (all of it) or "event" (only the pushed entry)
        self.updates = 0

    async def update_one(self, query: dict[str, Any], update: dict[str, Any]) -> Result:
        self.updates += 1
        if "revision" in query and query["revision"] != self.document["revision"]:
            return Result(0)
        if self.updates == 1 and self.lose == "write":
            return Result(1)
        self.document.update(update.get("$set", {}))
        pushed = update.get("$push", {}).get("outbox")
        if pushed is not None and not (self.updates == 1 and self.lose == "event"):
            self.document["outbox"] = [*self.document.get("outbox", []), pushed]
        return Result(1)

    async def find_one(self, query: dict[str, Any]) -> dict[str, Any]:
        return dict(self.document)


class Audit:
    async def insert_one(self, document: dict[str, Any]) -> None:
        return None


def store_with(articles: LossyArticles) -> ArticleStore:
    db = {"articles": articles, "slugs": None, "audit": Audit()}
    return ArticleStore(db, "http://portal.test")  # type: ignore[arg-type]


def article() -> dict[str, Any]:
    return {"_id": "a1", "revision": 3, "status": "draft", "outbox": []}


async def test_a_write_undone_by_a_racing_writer_is_applied_again() -> None:
    articles = LossyArticles(article(), lose="write")
    event = {"event_id": "e1", "type": "article.published", "body": "{}"}
    await store_with(articles).write(article(), {"status": "published"}, "ed", "publish", event)
    assert articles.document["status"] == "published"
    assert articles.document["revision"] == 4
    assert [entry["event_id"] for entry in articles.document["outbox"]] == ["e1"]


async def test_an_event_removed_by_a_racing_writer_is_queued_again() -> None:
    articles = LossyArticles(article(), lose="event")
    event = {"event_id": "e1", "type": "article.published", "body": "{}"}
    await store_with(articles).write(article(), {"status": "published"}, "ed", "publish", event)
    assert articles.document["revision"] == 4
    assert [entry["event_id"] for entry in articles.document["outbox"]] == ["e1"]


async def test_a_write_that_held_needs_no_second_update() -> None:
    articles = LossyArticles(article(), lose="nothing")
    await store_with(articles).write(article(), {"lead": "x"}, "ed", "edit")
    assert articles.updates == 1
