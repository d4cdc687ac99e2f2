"""What editors (and the scheduler) do to articles: create, edit, publish, schedule,
unpublish, back to draft.

Each action is one conditional write of the article that also queues the event it
causes, so the event leaves through the outbox even if the process dies next. After the
write come its effects, here and only here: this replica's read cache is refreshed, and the
relay is woken to send the event now rather than at its next scan.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from services.content.adapters.outbox import OutboxRelay
from services.content.adapters.schedule import ScheduleBook
from services.content.adapters.store import ArticleStore, new_id
from services.content.domain import events
from services.content.domain.article import Article, Status, changed_fields, new_article
from services.content.domain.commands import ArticleDraft, ArticlePatch
from services.content.domain.events import OutboxEntry
from services.content.domain.slugs import make_slug
from services.content.usecases.reading import ArticleReader
from shared.contracts.errors import Conflict, Invalid
from shared.contracts.sections import STARTER, SectionCatalogue

SCHEDULER = "scheduler"  # the editor name on what the scheduler publishes
MOVED_ON = "the article was changed meanwhile; reload it and try again"


class Workflow:
    def __init__(
        self,
        store: ArticleStore,
        schedule: ScheduleBook,
        reader: ArticleReader | None = None,
        relay: OutboxRelay | None = None,
        sections: Callable[[], SectionCatalogue] = lambda: STARTER,
    ) -> None:
        # Without a reader or a relay (a script, a test), a change shows at the next full
        # reload and its event leaves at the relay's next scan.
        self._store = store
        self._schedule = schedule
        self._reader = reader
        self._relay = relay
        self._sections = sections  # as administrators left them (usecases/announced.py)

    async def create(self, draft: ArticleDraft, editor: str, owner: str | None = None) -> Article:
        fields = {
            **draft.model_dump(),
            "section": filed_under(draft.section, self._sections()),
            "owner": owner,
        }
        article_id = new_id()
        slug = await self._store.claim_free_slug(make_slug(draft.title), article_id)
        article = new_article(article_id, slug, fields, editor, datetime.now(UTC))
        await self._store.insert(article, "create")
        return await self._committed(article, None)

    async def edit(
        self, article_id: str, patch: ArticlePatch, editor: str, action: str = "edit"
    ) -> Article:
        article = await self._store.get(article_id)
        article.check_revision(patch.revision)
        given = patch.model_dump(exclude_unset=True, exclude_none=True, exclude={"revision"})
        if "section" in given:
            given["section"] = filed_under(given["section"], self._sections())
        slug = given.pop("slug", None)
        changes = changed_fields(article, given)
        new_slug = await self._next_slug(article, slug, changes.get("title"))
        if new_slug is not None:
            changes["slug"] = new_slug
        if not changes:
            return article
        after = article.revised(editor, datetime.now(UTC), **changes)
        event = None
        if article.is_live:
            previous = article.slug if new_slug is not None else None
            url = self._store.url_for(after.slug)
            data = events.updated(after, url, self._sections(), previous)
            event = events.outbox_entry(data, after)
        if not await self._store.write(article, after, action, event):
            if new_slug is not None:
                await self._store.release_slug(new_slug, article_id)
            raise Conflict(MOVED_ON)
        if new_slug is not None and not article.was_public:
            # Never public, so nobody links to the old slug: free it for other articles.
            await self._store.release_slug(article.slug, article_id)
        return await self._committed(after, event)

    async def _next_slug(self, article: Article, slug: str | None, title: Any) -> str | None:
        """An explicit slug is taken (409 if another article has it). A new title moves the
        slug only while the article has never been public: after that, links must hold."""
        if slug is not None and slug != article.slug:
            if not await self._store.claim_slug(slug, article.id):
                raise Conflict(f"the slug {slug!r} belongs to another article")
            return slug
        if title is not None and not article.was_public:
            base = make_slug(title)
            if base != article.slug:
                taken = await self._store.claim_free_slug(base, article.id)
                # "x" taken by another, and "x-2" is already ours: nothing moves.
                return taken if taken != article.slug else None
        return None

    async def publish(self, article_id: str, editor: str) -> Article:
        article = await self._store.get(article_id)
        if article.is_live:
            return article  # publishing twice is a no-op: one publication, one event
        article.check_move(Status.PUBLISHED)
        published = await self._publish(article, editor, datetime.now(UTC))
        if published is None:
            raise Conflict(MOVED_ON)
        return published

    async def publish_scheduled(self, article: Article) -> Article | None:
        """The scheduler's publication, dated at the scheduled time; None if the article
        changed since it was read (the scheduler reads it again)."""
        if article.publish_at is None:
            return None
        article.check_move(Status.PUBLISHED)
        return await self._publish(article, SCHEDULER, article.publish_at)

    async def _publish(self, article: Article, editor: str, now: datetime) -> Article | None:
        # A second publication (after an unpublish) keeps the first date: links, order and
        # the date line stay as readers first saw them.
        after = article.revised(
            editor,
            datetime.now(UTC),
            status=Status.PUBLISHED,
            published_at=article.published_at or now,
            publish_at=None,
            # Who approved it: the editor who publishes, or the one who scheduled it.
            approved_by=article.approved_by if editor == SCHEDULER else editor,
        )
        url = self._store.url_for(after.slug)
        event = events.outbox_entry(events.published(after, url, self._sections()), after)
        if not await self._store.write(article, after, "publish", event):
            return None
        return await self._committed(after, event)

    async def schedule(self, article_id: str, publish_at: datetime, editor: str) -> Article:
        article = await self._store.get(article_id)
        article.check_move(Status.SCHEDULED)
        # Booked before the article changes: a crash in between leaves a booking that the
        # scheduler checks against the article when due (and drops), never an unbooked one.
        await self._schedule.book(article_id, publish_at)
        after = article.revised(
            editor,
            datetime.now(UTC),
            status=Status.SCHEDULED,
            publish_at=publish_at,
            approved_by=editor,
        )
        if not await self._store.write(article, after, "schedule"):
            raise Conflict(MOVED_ON)
        return await self._committed(after, None)

    async def submit(self, article_id: str, editor: str) -> Article:
        """A contributor's draft goes to the editors' review queue."""
        return await self._move_to(article_id, editor, Status.REVIEW)

    async def unpublish(self, article_id: str, editor: str) -> Article:
        return await self._move_to(article_id, editor, Status.UNPUBLISHED)

    async def to_draft(self, article_id: str, editor: str) -> Article:
        return await self._move_to(article_id, editor, Status.DRAFT)

    async def _move_to(self, article_id: str, editor: str, target: Status) -> Article:
        article = await self._store.get(article_id)
        if article.status is target:
            return article
        article.check_move(target)
        after = article.revised(editor, datetime.now(UTC), status=target, publish_at=None)
        event = events.outbox_entry(events.unpublished(after), after) if article.is_live else None
        if not await self._store.write(article, after, target.value, event):
            raise Conflict(MOVED_ON)
        return await self._committed(after, event)

    async def _committed(self, article: Article, event: OutboxEntry | None) -> Article:
        """The effects of a stored change: this replica reads the article again now (so
        the editor sees their change on the site at once), and the event leaves now."""
        if self._reader is not None:
            await self._reader.refresh(article.id)
        if event is not None and self._relay is not None:
            self._relay.wake(article.id)
        return article


def filed_under(value: str, sections: SectionCatalogue) -> str:
    """The slug of the section an editor named (by slug or by name); 422 if there is none."""
    slug = sections.resolve(value)
    if slug is None:
        known = ", ".join(section.slug for section in sections.sections)
        message = f"unknown section; one of: {known}"
        raise Invalid(message, [{"field": "section", "message": message}])
    return slug
