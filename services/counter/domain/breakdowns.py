"""The dashboard's breakdowns of human views: by page, source, browser and device.

Each is kept per local day, packed in the day's tables document (layout.py); a past
month's are summed from its days into a roll-up. A client chooses the page and the
referrer, so a day's breakdown holds at most `cap` names: the first `cap` names seen keep
their own count, later ones are counted under "khác" (other). Every breakdown of a day
therefore adds up to its views.
"""

from dataclasses import dataclass, field
from typing import NamedTuple

OTHER = "khác"
DIRECT = "(trực tiếp)"  # no referrer (a view moving within the portal names its host)
UNKNOWN = "(không rõ)"
PAGE_KEY_LENGTH = 160  # a page is counted by the first 160 characters of its path


class Breakdown(NamedTuple):
    field: str  # its group in a day's packed tables: {field: {name: views}}
    cap: int  # names per day; the rest are counted under OTHER


PAGES = Breakdown("p", 1000)
SOURCES = Breakdown("s", 1000)
BROWSERS = Breakdown("b", 100)
DEVICES = Breakdown("d", 10)
BREAKDOWNS = (PAGES, SOURCES, BROWSERS, DEVICES)

# Referrer hosts named as the service people know, by the domain they end with.
_NAMED_SOURCES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("google.com", "google.com.vn", "googleusercontent.com"), "Google"),
    (("bing.com",), "Bing"),
    (("coccoc.com",), "Cốc Cốc"),
    (("duckduckgo.com",), "DuckDuckGo"),
    (("yahoo.com",), "Yahoo"),
    (("yandex.ru", "yandex.com"), "Yandex"),
    (("baidu.com",), "Baidu"),
    (("facebook.com", "fb.com", "messenger.com"), "Facebook"),
    (("zalo.me", "zaloapp.com", "zadn.vn"), "Zalo"),
    (("youtube.com", "youtu.be"), "YouTube"),
    (("tiktok.com",), "TikTok"),
    (("t.co", "twitter.com", "x.com"), "X (Twitter)"),
    (("linkedin.com", "lnkd.in"), "LinkedIn"),
    (("instagram.com",), "Instagram"),
    (("reddit.com",), "Reddit"),
    (("chatgpt.com", "openai.com"), "ChatGPT"),
)


def source_name(referrer_host: str | None) -> str:
    """The source of a view: a named search engine or social network, else the host."""
    if not referrer_host:
        return DIRECT
    host = referrer_host.lower().rstrip(".").removeprefix("www.")
    for domains, name in _NAMED_SOURCES:
        if any(host == domain or host.endswith("." + domain) for domain in domains):
            return name
    if host.startswith("google.") or ".google." in host:  # google.de, news.google.fr
        return "Google"
    return host


def page_key(path: str | None) -> str | None:
    return None if path is None else path[:PAGE_KEY_LENGTH]


def names_of(path: str | None, referrer_host: str | None, family: str | None, device: str | None
             ) -> dict[Breakdown, str]:  # fmt: skip
    """The name a human view counts under in each breakdown."""
    return {
        PAGES: path or UNKNOWN,
        SOURCES: source_name(referrer_host),
        BROWSERS: family or UNKNOWN,
        DEVICES: device or UNKNOWN,
    }


Scope = tuple[str, str]  # (collection, document id): a day's tables


@dataclass
class KnownNames:
    """The names each breakdown of a document holds, as the fold holder knows them.

    Loaded from the document before a fold first counts into it, and added to once a fold
    is applied: a fold decides against what is stored, and commits its decisions in its
    record, so a replica finishing that fold applies the very same names."""

    _names: dict[tuple[Scope, str], set[str]] = field(default_factory=dict)
    _loaded: set[Scope] = field(default_factory=set)

    def is_loaded(self, scope: Scope) -> bool:
        return scope in self._loaded

    def load(self, scope: Scope, stored: dict[str, set[str]]) -> None:
        """The names a stored document holds, by breakdown field."""
        for breakdown in BREAKDOWNS:
            self._names[(scope, breakdown.field)] = set(stored.get(breakdown.field, set()))
        self._loaded.add(scope)

    def admitter(self) -> "Admitter":
        return Admitter(self)

    def add(self, admitted: dict[tuple[Scope, str], set[str]]) -> None:
        for key, names in admitted.items():
            self._names.setdefault(key, set()).update(names)

    def count(self, scope: Scope, breakdown: Breakdown) -> int:
        return len(self._names.get((scope, breakdown.field), ()))

    def has(self, scope: Scope, breakdown: Breakdown, name: str) -> bool:
        return name in self._names.get((scope, breakdown.field), ())


@dataclass
class Admitter:
    """One fold's decisions: which new names a document takes; the known names stay as they
    are until the fold is applied (`KnownNames.add(admitter.admitted)`)."""

    known: KnownNames
    admitted: dict[tuple[Scope, str], set[str]] = field(default_factory=dict)

    def name(self, scope: Scope, breakdown: Breakdown, name: str) -> str:
        """`name`, or OTHER when the document's breakdown is full."""
        if name == OTHER or self.known.has(scope, breakdown, name):
            return name
        new = self.admitted.setdefault((scope, breakdown.field), set())
        if name in new:
            return name
        if self.known.count(scope, breakdown) + len(new) >= breakdown.cap:
            return OTHER
        new.add(name)
        return name
