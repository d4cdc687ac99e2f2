"""The read side's values: an entry of the in-memory list, a redirect for a renamed
article, and the opaque list cursor (the sort key of the last item, base64)."""

import base64
import binascii
import math
from dataclasses import dataclass
from datetime import datetime

from services.content.domain import search
from services.content.schemas import ArticleSummary
from shared.contracts.errors import Malformed


@dataclass(frozen=True)
class Redirect:
    """The article moved: `slug` is where it lives now."""

    slug: str


@dataclass(frozen=True)
class Modified:
    """A live article and when its live revision was made."""

    summary: ArticleSummary
    updated_at: datetime


@dataclass(frozen=True)
class Entry:
    summary: ArticleSummary
    revision: int
    tag_slugs: frozenset[str]
    searchable: search.Searchable
    loaded_at: float  # monotonic time of the read this entry came from
    updated_at: datetime  # the revision's time: a sitemap's `lastmod`

    @property
    def order(self) -> tuple[float, str]:
        """Sort key, newest first: the smaller, the newer."""
        return (-self.summary.published_at.timestamp(), self.summary.id)


def encode_cursor(order: tuple[float, str]) -> str:
    return base64.urlsafe_b64encode(f"{order[0]!r}|{order[1]}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, article_id = raw.split("|", 1)
        order = (float(stamp), article_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        order = (math.nan, "")
    if not math.isfinite(order[0]):
        raise Malformed("the cursor is not one this API gave out")
    return order
