"""The article: an immutable value, its life cycle, and the rules of changing it.

Nothing here does I/O. The store maps documents to `Article` and back (adapters/store.py),
the use cases decide which change to make (usecases/editing.py), and the rules they follow
are these: which moves the life cycle allows, how a change makes the next revision, how
tags and search tokens follow from what the editor typed.
"""

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from services.content.domain.sanitize import clean_body
from services.content.domain.search import article_tokens
from services.content.domain.slugs import make_slug
from shared.contracts.errors import Conflict
from shared.contracts.sections import Section, SectionCatalogue


class Status(StrEnum):
    DRAFT = "draft"
    REVIEW = "review"  # submitted by a contributor, waiting for an editor
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"


# state -> the states an editor may move it to
MOVES: dict[Status, frozenset[Status]] = {
    Status.DRAFT: frozenset({Status.REVIEW, Status.SCHEDULED, Status.PUBLISHED}),
    Status.REVIEW: frozenset({Status.DRAFT, Status.SCHEDULED, Status.PUBLISHED}),
    Status.SCHEDULED: frozenset({Status.SCHEDULED, Status.PUBLISHED, Status.DRAFT}),
    Status.PUBLISHED: frozenset({Status.UNPUBLISHED, Status.DRAFT}),
    Status.UNPUBLISHED: frozenset({Status.DRAFT, Status.PUBLISHED, Status.SCHEDULED}),
}


# What search tokens are made of.
TEXT_FIELDS = frozenset({"title", "lead", "body", "tags", "authors"})


@dataclass(frozen=True)
class Tag:
    slug: str
    name: str


def tags_of(names: list[str]) -> tuple[Tag, ...]:
    """Tags as typed, each with its slug; one per slug (the first spelling wins)."""
    tags: dict[str, Tag] = {}
    for name in names:
        tags.setdefault(make_slug(name), Tag(make_slug(name), name))
    return tuple(tags.values())


@dataclass(frozen=True)
class Article:
    id: str
    slug: str
    title: str
    section: str  # a catalogue slug; an article filed before the catalogue keeps its name
    status: Status
    revision: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    lead: str = ""
    body: str = ""  # sanitised HTML; empty where only the summary was read
    tags: tuple[Tag, ...] = ()
    authors: tuple[str, ...] = ()
    cover_image_url: str | None = None
    cover_caption: str = ""
    publish_at: datetime | None = None
    published_at: datetime | None = None
    search_tokens: tuple[str, ...] = ()
    # Where an old portal had it, for an article migrated in: its publications are quiet.
    source_url: str | None = None
    # Who approved the publication (or scheduled it): the last editor to do so.
    approved_by: str | None = None
    owner: str | None = None  # the staff account that created it (None: a script or import)

    @property
    def is_live(self) -> bool:
        return self.status is Status.PUBLISHED

    @property
    def was_public(self) -> bool:
        """Once public, people link to it: its slug must hold."""
        return self.published_at is not None

    def check_move(self, target: Status) -> None:
        if target not in MOVES[self.status]:
            raise Conflict(f"a {self.status} article cannot become {target}")

    def check_revision(self, expected: int | None) -> None:
        if expected is not None and expected != self.revision:
            raise Conflict(f"revision {expected} is stale; the article is at {self.revision}")

    def revised(self, editor: str, at: datetime, **changes: Any) -> "Article":
        """The next revision with `changes`, by `editor` at `at` (search tokens follow the
        text; a revision that leaves the text alone keeps them)."""
        after = dataclasses.replace(
            self, **changes, revision=self.revision + 1, updated_at=at, updated_by=editor
        )
        if TEXT_FIELDS.isdisjoint(changes):
            return after
        return dataclasses.replace(after, search_tokens=tokens_of(after))


def section_of(article: Article, sections: SectionCatalogue) -> Section:
    """The article's section as readers see it now (renamed since? the new name). One filed
    under a section since removed, or by name before sections were data, keeps its own."""
    known = sections.get(article.section)
    if known is not None:
        return known
    return Section(slug=make_slug(article.section), name=article.section[:120] or "Khác")


def new_article(
    article_id: str, slug: str, fields: dict[str, Any], editor: str, at: datetime
) -> Article:
    """A new draft from the editor's fields (title, section, lead, body, tags, ...)."""
    article = Article(
        id=article_id,
        slug=slug,
        status=Status.DRAFT,
        revision=1,
        created_at=at,
        created_by=editor,
        updated_at=at,
        updated_by=editor,
        **normalised(fields),
    )
    return dataclasses.replace(article, search_tokens=tokens_of(article))


def normalised(fields: dict[str, Any]) -> dict[str, Any]:
    """Editor input as an article holds it: tags with slugs, the body sanitised."""
    values = dict(fields)
    if "tags" in values:
        values["tags"] = tags_of(values["tags"])
    if "authors" in values:
        values["authors"] = tuple(values["authors"])
    if "body" in values:
        values["body"] = clean_body(values["body"])
    if values.get("cover_image_url") == "":
        values["cover_image_url"] = None
    return values


def changed_fields(article: Article, fields: dict[str, Any]) -> dict[str, Any]:
    """Of the editor's fields, the ones that differ from the article."""
    return {
        name: value for name, value in normalised(fields).items() if getattr(article, name) != value
    }


def tokens_of(article: Article) -> tuple[str, ...]:
    return tuple(
        article_tokens(
            article.title,
            article.lead,
            article.body,
            [tag.name for tag in article.tags],
            article.authors,
        )
    )
