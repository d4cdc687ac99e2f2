"""Search without `$text`: text folded to plain lower-case tokens, and a ranking by match quality.

"Đà Nẵng" and "da nang" fold to the same tokens, so readers may type without diacritics.
"""

import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

TOKEN = re.compile(r"[a-z0-9]+")
TAG = re.compile(r"<[^>]*>")
# Above this, a body's words add nothing to the ranking but memory.
MAX_TOKENS = 2000


def fold(text: str) -> str:
    """Lower-case, without diacritics; đ/Đ become d (NFKD does not decompose them)."""
    text = text.lower().replace("đ", "d").replace("ð", "d")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def tokens(text: str) -> list[str]:
    return TOKEN.findall(fold(text))


def html_text(body: str) -> str:
    # Entities decoded: "&amp;" must not make every article match "amp".
    return html.unescape(TAG.sub(" ", body))


def article_tokens(
    title: str, lead: str, body_html: str, tags: Iterable[str], authors: Iterable[str]
) -> list[str]:
    """The distinct tokens stored on an article (`search_tokens`), most telling first."""
    seen: dict[str, None] = {}
    for part in (title, lead, " ".join(tags), " ".join(authors), html_text(body_html)):
        for token in tokens(part):
            seen.setdefault(token, None)
            if len(seen) >= MAX_TOKENS:
                return list(seen)
    return list(seen)


@dataclass(frozen=True)
class Searchable:
    """What the ranking needs of one article, folded once when the article is loaded."""

    title: str  # folded title, tokens joined by single spaces
    title_tokens: frozenset[str]
    lead_tokens: frozenset[str]
    all_tokens: frozenset[str]

    @classmethod
    def of(cls, title: str, lead: str, stored_tokens: Iterable[str]) -> "Searchable":
        title_tokens = tokens(title)
        lead_tokens = frozenset(tokens(lead))
        return cls(
            title=" ".join(title_tokens),
            title_tokens=frozenset(title_tokens),
            lead_tokens=lead_tokens,
            all_tokens=frozenset(stored_tokens) | frozenset(title_tokens) | lead_tokens,
        )


def score(query_tokens: list[str], item: Searchable) -> int:
    """0 = no match. Higher is better: the phrase in the title, every word in the title,
    every word in title or lead, every word anywhere. The last word may be a prefix, so
    results appear while the reader is still typing."""
    if not query_tokens:
        return 0
    *whole, last = query_tokens

    def has(pool: frozenset[str], complete: bool) -> bool:
        if any(token not in pool for token in whole):
            return False
        return last in pool or (not complete and any(t.startswith(last) for t in pool))

    if not has(item.all_tokens, complete=False):
        return 0
    phrase = " ".join(query_tokens)
    if f" {phrase} " in f" {item.title} ":
        return 4
    if has(item.title_tokens, complete=True):
        return 3
    if has(item.title_tokens | item.lead_tokens, complete=True):
        return 2
    return 1
