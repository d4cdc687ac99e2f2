"""What editors do to articles: create, edit, publish, schedule, unpublish, back to draft.

Each action is one conditional write of the article (see store.py) that also queues the
event it causes, so the event leaves through the outbox even if the process dies next.
"""

from datetime import UTC, datetime

from services.content import article_events
from services.content.documents import tags_of
from services.content.models import ArticleDraft, ArticlePatch
from services.content.sanitize import clean_body
from services.content.schedule import ScheduleBook
from services.content.search import article_tokens
from services.content.slugs import make_slug
from services.content.store import ArticleStore, new_id
from shared.contracts.errors import Conflict
from shared.platform.db import Document

SCHEDULER = "scheduler"  # the editor name on what the scheduler publishes

# state -> the states an editor may move it to
MOVES: dict[str, set[str]] = {
    "draft": {"scheduled", "published"},
    "scheduled": {"scheduled", "published", "draft"},
    "published": {"unpublished", "draft"},
    "unpublished": {"draft", "published", "scheduled"},
}


def _check_move(article: Document, target: str) -> None:
    if target not in MOVES[article["status"]]:
        raise Conflict(f"a {article['status']} article cannot become {target}")


def _tokens(article: Document) -> list[str]:
    return article_tokens(
        article["title"],
        article.get("lead", ""),
        article.get("body", ""),
        [tag["name"] for tag in article.get("tags", [])],
        article.get("authors", []),
    )


class Workflow:
    def __init__(self, store: ArticleStore, schedule: ScheduleBook) -> None:
        self._store = store
        self._schedule = schedule

    async def create(self, draft: ArticleDraft, editor: str) -> Document:
        now = datetime.now(UTC)
        article_id = new_id()
        slug = await self._store.claim_free_slug(make_slug(draft.title), article_id)
        article: Document = {
            "_id": article_id,
            "slug": slug,
            **draft.model_dump(exclude={"tags"}),
            "tags": tags_of(draft.tags),
            "body": clean_body(draft.body),
            "status": "draft",
            "revision": 1,
            "publish_at": None,
            "published_at": None,
            "created_at": now,
            "created_by": editor,
            "updated_at": now,
            "updated_by": editor,
            "outbox": [],
        }
        article["search_tokens"] = _tokens(article)
        await self._store.insert(article)
        await self._store.record(article_id, 1, "create", editor, now)
        return article

    async def edit(self, article_id: str, patch: ArticlePatch, editor: str) -> Document:
        article = await self._store.get(article_id)
        if patch.revision is not None and patch.revision != article["revision"]:
            raise Conflict(
                f"revision {patch.revision} is stale; the article is at {article['revision']}"
            )
        given = patch.model_dump(exclude_unset=True, exclude_none=True, exclude={"revision"})
        changes: Document = {}
        for field, value in given.items():
            if field == "tags":
                value = tags_of(value)
            elif field == "body":
                value = clean_body(value)
            if article.get(field) != value:
                changes[field] = value
        new_slug = await self._next_slug(article, changes)
        if new_slug is not None:
            changes["slug"] = new_slug
        if not changes:
            return article
        changes["search_tokens"] = _tokens({**article, **changes})
        event = None
        if article["status"] == "published":
            after = {**article, **changes, "revision": article["revision"] + 1}
            previous = article["slug"] if new_slug is not None else None
            url = self._store.url_for(after["slug"])
            event = article_events.outbox_entry(article_events.updated(after, url, previous), after)
        try:
            written = await self._store.write(article, changes, editor, "edit", event)
        except Conflict:
            if new_slug is not None:
                await self._store.release_slug(new_slug, article_id)
            raise
        if new_slug is not None and not article.get("published_at"):
            # Never public, so nobody links to the old slug: free it for other articles.
            await self._store.release_slug(article["slug"], article_id)
        return written

    async def _next_slug(self, article: Document, changes: Document) -> str | None:
        """An explicit slug is taken (409 if another article has it). A new title moves the
        slug only while the article has never been public: after that, links must hold."""
        if "slug" in changes:
            slug = str(changes.pop("slug"))
            if not await self._store.claim_slug(slug, article["_id"]):
                raise Conflict(f"the slug {slug!r} belongs to another article")
            return slug
        if "title" in changes and not article.get("published_at"):
            base = make_slug(changes["title"])
            if base != article["slug"]:
                slug = await self._store.claim_free_slug(base, article["_id"])
                # "x" taken by another, and "x-2" is already ours: nothing moves.
                return slug if slug != article["slug"] else None
        return None

    async def publish(self, article_id: str, editor: str) -> Document:
        article = await self._store.get(article_id)
        if article["status"] == "published":
            return article  # publishing twice is a no-op: one publication, one event
        _check_move(article, "published")
        return await self._publish(article, editor, datetime.now(UTC))

    async def publish_scheduled(self, article: Document) -> Document:
        """The scheduler's publication, dated at the scheduled time (409 if the article
        changed since it was read)."""
        _check_move(article, "published")
        return await self._publish(article, SCHEDULER, article["publish_at"])

    async def _publish(self, article: Document, editor: str, now: datetime) -> Document:
        # A second publication (after an unpublish) keeps the first date: links, order and
        # the date line stay as readers first saw them.
        changes = {
            "status": "published",
            "published_at": article.get("published_at") or now,
            "publish_at": None,
        }
        after = {**article, **changes, "revision": article["revision"] + 1}
        url = self._store.url_for(after["slug"])
        event = article_events.outbox_entry(article_events.published(after, url), after)
        return await self._store.write(article, changes, editor, "publish", event)

    async def schedule(self, article_id: str, publish_at: datetime, editor: str) -> Document:
        article = await self._store.get(article_id)
        _check_move(article, "scheduled")
        # Booked before the article changes: a crash in between leaves a booking that the
        # scheduler checks against the article when due (and drops), never an unbooked one.
        await self._schedule.book(article_id, publish_at)
        return await self._store.write(
            article, {"status": "scheduled", "publish_at": publish_at}, editor, "schedule"
        )

    async def unpublish(self, article_id: str, editor: str) -> Document:
        return await self._take_down(article_id, editor, "unpublished")

    async def to_draft(self, article_id: str, editor: str) -> Document:
        return await self._take_down(article_id, editor, "draft")

    async def _take_down(self, article_id: str, editor: str, target: str) -> Document:
        article = await self._store.get(article_id)
        if article["status"] == target:
            return article
        _check_move(article, target)
        changes = {"status": target, "publish_at": None}
        event = None
        if article["status"] == "published":
            after = {**article, **changes, "revision": article["revision"] + 1}
            event = article_events.outbox_entry(article_events.unpublished(after), after)
        return await self._store.write(article, changes, editor, target, event)
