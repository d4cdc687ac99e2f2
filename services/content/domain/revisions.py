"""What an article said at one revision, and how two revisions differ.

Every revision's editable text is kept beside its audit line, so an editor can read any
revision, compare two, and restore one (which makes a new revision: history only grows).
"""

import difflib
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

from services.content.domain.article import Article

# The fields an editor writes, in the order a comparison lists them.
FIELDS = (
    "title",
    "slug",
    "section",
    "lead",
    "body",
    "tags",
    "authors",
    "cover_image_url",
    "cover_caption",
)
# Body HTML compared a block at a time: one line per paragraph, heading, list item, row.
BLOCK_END = re.compile(r"(?<=</p>)|(?<=</h[2-4]>)|(?<=</li>)|(?<=</tr>)|(?<=</figure>)|(?<=<br>)")


class Snapshot(BaseModel):
    model_config = ConfigDict(frozen=True)

    title: str
    slug: str
    section: str
    lead: str = ""
    body: str = ""
    tags: list[str] = []
    authors: list[str] = []
    cover_image_url: str | None = None
    cover_caption: str = ""
    status: str = ""

    @classmethod
    def of(cls, article: Article) -> "Snapshot":
        return cls(
            title=article.title,
            slug=article.slug,
            section=article.section,
            lead=article.lead,
            body=article.body,
            tags=[tag.name for tag in article.tags],
            authors=list(article.authors),
            cover_image_url=article.cover_image_url,
            cover_caption=article.cover_caption,
            status=article.status.value,
        )

    def lines(self, field: str) -> list[str]:
        value = getattr(self, field)
        if isinstance(value, list):
            return [str(item) for item in value]
        text = "" if value is None else str(value)
        if field == "body":
            return [block.strip() for block in BLOCK_END.split(text) if block.strip()]
        return text.splitlines() or ([text] if text else [])


class DiffLine(BaseModel):
    kind: Literal["same", "added", "removed"]
    text: str


class FieldDiff(BaseModel):
    field: str
    lines: list[DiffLine]


def compare(before: Snapshot, after: Snapshot) -> list[FieldDiff]:
    """The fields that differ, each as its lines kept, removed and added, in order
    (difflib's matcher on whole lines: no per-character pass, so a long body stays quick)."""
    changes = []
    for field in FIELDS:
        old, new = before.lines(field), after.lines(field)
        if old != new:
            changes.append(FieldDiff(field=field, lines=_line_diff(old, new)))
    return changes


def _line_diff(old: list[str], new: list[str]) -> list[DiffLine]:
    lines: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            lines += [DiffLine(kind="same", text=text) for text in old[i1:i2]]
            continue
        lines += [DiffLine(kind="removed", text=text) for text in old[i1:i2]]
        lines += [DiffLine(kind="added", text=text) for text in new[j1:j2]]
    return lines
