"""An article's revisions: read one, compare two, restore one as a new revision."""

from services.content.adapters.store import ArticleStore
from services.content.domain.article import Article
from services.content.domain.commands import ArticlePatch
from services.content.domain.revisions import FieldDiff, Snapshot, compare
from services.content.usecases.editing import Workflow
from shared.contracts.errors import NotFound

RESTORED = "restore"


class RevisionHistory:
    def __init__(self, store: ArticleStore, workflow: Workflow) -> None:
        self._store = store
        self._workflow = workflow

    async def read(self, article_id: str, revision: int) -> Snapshot:
        found = await self._store.revision(article_id, revision)
        if found is None:
            raise NotFound(f"revision {revision} of this article is not kept")
        return found

    async def compare(self, article_id: str, before: int, after: int) -> list[FieldDiff]:
        return compare(await self.read(article_id, before), await self.read(article_id, after))

    async def restore(
        self, article_id: str, revision: int, editor: str, expected: int | None
    ) -> Article:
        """The text of `revision` as the next revision (409 if the article moved on from
        `expected`). The slug stays: readers may link to the current one."""
        old = await self.read(article_id, revision)
        patch = ArticlePatch(
            title=old.title,
            section=old.section,
            lead=old.lead,
            body=old.body,
            tags=old.tags,
            authors=old.authors,
            cover_image_url=old.cover_image_url or "",
            cover_caption=old.cover_caption,
            revision=expected,
        )
        return await self._workflow.edit(article_id, patch, editor, action=RESTORED)
