"""Migration in: articles an old portal published, from a JSON Lines file, live at their
original dates, each old address answering 301 to the new page, and nobody emailed.

Idempotent: an article's id is derived from its old address, so running the same file
again (or the rest of it after a crash) finds what is there and creates nothing twice. A
line that cannot be imported (not JSON, a field out of bounds, an unknown section, an old
address already given to another article) is set aside with its line number and reason,
and the lines around it go on.

Quiet: going live announces `article.imported`, not `article.published`. Content's
replicas refresh the article on either; the notifier takes only `article.published`, so an
import of 5,000 old articles sends no email (a later re-publication stays quiet too:
domain/events.py). The announcements are not kept in an outbox: they only tell replicas
sooner what their periodic reload finds anyway, and relaying thousands one confirm at a
time took minutes; the command sends them all at once (entrypoints/cli.py).
"""

import dataclasses
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from pydantic import ValidationError

from services.content.adapters.store import ArticleStore
from services.content.domain import events
from services.content.domain.article import Status, new_article
from services.content.domain.commands import ImportedArticle
from services.content.domain.events import OutboxEntry as EventEntry
from services.content.domain.slugs import make_slug
from services.content.usecases.editing import filed_under
from services.content.usecases.reading import ArticleReader
from shared.contracts.errors import Conflict, Invalid
from shared.contracts.sections import SectionCatalogue

IMPORTER = "import"  # the editor name on imported articles
MAX_LINE_BYTES = 1 << 20  # a line is one article: its body is at most 200,000 characters
REASON_CHARS = 300


@dataclass
class ImportReport:
    created: int = 0
    existing: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)
    # `article.imported` of each article made, for the caller to announce: a hint to
    # content's replicas (they also reload every article every CACHE_RELOAD_SECONDS).
    announcements: list[EventEntry] = field(default_factory=list)


def old_address_key(address: str) -> str:
    """The lookup key of an old address: its path and query, decoded (the host is dropped:
    after the move the portal answers on the old host too), hashed."""
    parts = urlsplit(address)
    path = unquote(parts.path) or "/"
    query = unquote(parts.query)
    return hashlib.sha256(f"{path}?{query}".encode()).hexdigest()


def imported_id(key: str) -> str:
    """The article's id, the same for the same old address on every run."""
    return hashlib.sha256(f"article:{key}".encode()).hexdigest()[:32]


class ArticleImport:
    def __init__(
        self,
        store: ArticleStore,
        sections: SectionCatalogue,
        reader: ArticleReader | None = None,
    ) -> None:
        # Without a reader (the command), this process serves no pages to refresh.
        self._store = store
        self._sections = sections
        self._reader = reader

    async def run(self, lines: Iterable[str | bytes]) -> ImportReport:
        report = ImportReport()
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            if len(line) > MAX_LINE_BYTES:
                report.refused.append((number, f"longer than {MAX_LINE_BYTES} bytes"))
                continue
            try:
                record = ImportedArticle.model_validate_json(line)
                announcement = await self.import_one(record)
            except ValidationError as error:
                report.refused.append((number, _reason(error)))
                continue
            except (Conflict, Invalid) as error:
                report.refused.append((number, error.message[:REASON_CHARS]))
                continue
            if announcement is None:
                report.existing += 1
            else:
                report.created += 1
                report.announcements.append(announcement)
        return report

    async def import_one(self, record: ImportedArticle) -> EventEntry | None:
        """Make the article live at its original time: the event to announce it, or None
        if an earlier run made it.

        Only inserts and reads of what exists: on FerretDB a read of a missing `_id` scans
        the collection (14 ms at 2,000 articles, measured), an insert does not."""
        section = filed_under(record.section, self._sections)  # before anything is written
        key = old_address_key(record.old_url)
        article_id = imported_id(key)
        # First the address: a run cut short after it makes the article on the next run.
        if not await self._store.keep_old_address(key, record.old_url, article_id):
            raise Conflict(f"the old address {record.old_url[:200]!r} is another article's")
        slug = await self._store.claim_free_slug(make_slug(record.title), article_id)
        fields = {**record.model_dump(exclude={"published_at", "old_url"}), "section": section}
        # Dated as the old portal dated it: created, changed and published then.
        draft = new_article(article_id, slug, fields, IMPORTER, record.published_at)
        article = dataclasses.replace(
            draft,
            status=Status.PUBLISHED,
            published_at=record.published_at,
            source_url=record.old_url,
        )
        if not await self._store.insert(article, "import"):
            return None  # an earlier run made it (and may have given it another slug)
        if self._reader is not None:
            await self._reader.refresh(article.id)
        return events.outbox_entry(
            events.published(article, self._store.url_for(article.slug), self._sections), article
        )


def _reason(error: ValidationError) -> str:
    problems = [
        f"{'.'.join(str(part) for part in item['loc']) or 'line'}: {item['msg']}"
        for item in error.errors(include_url=False, include_input=False)
    ]
    return "; ".join(problems)[:REASON_CHARS]
