"""Article body HTML, reduced to what a newsroom uses; scripts, handlers and styles dropped."""

import re

import nh3

TAGS = {
    "p", "br", "h2", "h3", "h4", "strong", "em", "b", "i", "u", "s", "sub", "sup",
    "ul", "ol", "li", "a", "img", "figure", "figcaption", "blockquote",
    "table", "thead", "tbody", "tr", "th", "td", "caption", "hr",
    "picture", "source",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height", "srcset", "sizes"},
    "source": {"srcset", "sizes"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
}
# Attributes kept only with one of these values.
VALUES = {
    "img": {"loading": {"lazy", "eager"}, "decoding": {"async", "sync", "auto"}},
    "source": {"type": {"image/webp", "image/jpeg", "image/png", "image/avif"}},
}
# A srcset candidate's address: one of our photos' variants, or an http(s) address (the
# scheme check nh3 makes on `src` does not look inside a srcset). No comma: it separates
# candidates, and an address that needs one can be written with %2C.
_CANDIDATE_URL = re.compile(r"^(?:/anh/|https?://)[^\s,\"'<>\\]+$", re.IGNORECASE)
_DESCRIPTOR = re.compile(r"^(?:[1-9][0-9]{0,4}w|[0-9](?:\.[0-9]{1,2})?x)$")
# A `sizes` list: media conditions and lengths, calc() included; nothing that could
# close the attribute or reach another scheme.
_SIZES = re.compile(r"^[a-z0-9 ().,:%+*/-]{1,300}$", re.IGNORECASE)
MAX_SRCSET = 4000
MAX_CANDIDATES = 16


def clean_body(html: str) -> str:
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        tag_attribute_values=VALUES,
        attribute_filter=_filter,
        url_schemes={"http", "https", "mailto"},
    )


def _filter(element: str, attribute: str, value: str) -> str | None:
    if attribute == "srcset":
        return clean_srcset(value)
    if attribute == "sizes":
        return value if _SIZES.match(value) else None
    return value


def clean_srcset(value: str) -> str | None:
    """The srcset rewritten as `url descriptor, …` if every candidate is acceptable, else
    None (the attribute is dropped: the `src` still shows the picture)."""
    if len(value) > MAX_SRCSET:
        return None
    candidates = [part.split() for part in value.split(",")]
    if not 0 < len(candidates) <= MAX_CANDIDATES:
        return None
    kept: list[str] = []
    for words in candidates:
        if not 1 <= len(words) <= 2 or not _CANDIDATE_URL.match(words[0]):
            return None
        if len(words) == 2 and not _DESCRIPTOR.match(words[1]):
            return None
        kept.append(" ".join(words))
    return ", ".join(kept)
