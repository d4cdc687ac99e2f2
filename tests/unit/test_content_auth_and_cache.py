"""Staff roles, bearer tokens, the CSRF rule of cookie writes, ETag matching and the
life-cycle table."""

from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.test_utils import make_mocked_request

from services.content.adapters.editors import EditorTokens, token_hash
from services.content.domain.article import MOVES, Status
from services.content.domain.editors import Editor, may_change, may_read
from services.content.domain.staff import Session, StaffMember
from services.content.entrypoints.auth import Authenticator
from services.content.entrypoints.http_cache import matches
from shared.contracts.errors import Forbidden, Unauthenticated

BOOTSTRAP = "bootstrap-token-0123456789"
MEMBER = StaffMember("s1", "a@b.vn", "Lan", "contributor", True, 1, datetime.now(UTC))
SESSION = Session("s1", 1, "csrf-secret", datetime.now(UTC) + timedelta(days=1))


class Editors:
    """A collection that keeps what is inserted and finds it by `_id`."""

    def __init__(self) -> None:
        self.stored: dict[str, dict[str, object]] = {}

    async def insert_one(self, document: dict[str, object]) -> None:
        self.stored[str(document["_id"])] = document

    async def find_one(self, query: dict[str, str]) -> dict[str, object] | None:
        assert len(query["_id"]) == 64  # looked up by the hash, never by the token
        return self.stored.get(query["_id"])


class OneSession:
    """Accounts that know one session cookie, "good-cookie"."""

    async def signed_in(self, token: str) -> tuple[StaffMember, Session] | None:
        return (MEMBER, SESSION) if token == "good-cookie" else None


def authenticator(editors: Editors | None = None) -> tuple[Authenticator, EditorTokens]:
    tokens = EditorTokens({"editors": editors or Editors()})  # type: ignore[arg-type]
    return Authenticator(tokens, OneSession(), secure_cookies=True), tokens  # type: ignore[arg-type]


def request_with(header: str | None, method: str = "POST", **headers: str) -> object:
    if header is not None:
        headers["Authorization"] = header
    return make_mocked_request(method, "/api/articles", headers=headers)


@pytest.mark.parametrize(
    "header", [None, "", "Bearer", "Bearer ", f"Basic {BOOTSTRAP}", "Bearer wrong-token"]
)
async def test_missing_or_wrong_tokens_are_401(header: str | None) -> None:
    auth, _ = authenticator()
    with pytest.raises(Unauthenticated):
        await auth.caller(request_with(header), "contributor")  # type: ignore[arg-type]


async def test_the_bootstrap_token_authenticates_nothing() -> None:
    """EDITOR_TOKEN only makes the first administrator (usecases/accounts.py)."""
    auth, _ = authenticator()
    with pytest.raises(Unauthenticated):
        await auth.caller(request_with(f"Bearer {BOOTSTRAP}"), "contributor")  # type: ignore[arg-type]


def test_roles_rank() -> None:
    assert Editor("a", "admin").may("admin") and Editor("a", "admin").may("contributor")
    assert Editor("e", "editor").may("editor") and not Editor("e", "editor").may("admin")
    assert Editor("c", "contributor").may("contributor")
    assert not Editor("c", "contributor").may("editor")


def test_a_contributor_changes_only_their_own_drafts() -> None:
    mine = Editor("Lan", "contributor", "s1")
    assert may_change(mine, "s1", "draft") and may_change(mine, "s1", "review")
    assert not may_change(mine, "s1", "published") and not may_change(mine, "s1", "scheduled")
    assert not may_change(mine, "s2", "draft")
    assert not may_change(Editor("Lan", "contributor"), None, "draft")  # a token owns nothing
    assert may_change(Editor("e", "editor"), "s2", "published")
    assert may_read(mine, "s1") and not may_read(mine, "s2")
    assert not may_read(Editor("Lan", "contributor"), None) and may_read(
        Editor("e", "editor"), None
    )


async def test_only_the_hash_of_a_created_token_is_stored_and_it_then_works() -> None:
    editors = Editors()
    auth, made = authenticator(editors)
    token, info = await made.create("Nguyễn Văn A", "editor", "Admin")
    [(key, document)] = editors.stored.items()
    assert key == token_hash(token) != token
    assert token not in repr(document) and info.ref not in token
    found = await auth.caller(request_with(f"Bearer {token}"), "editor")  # type: ignore[arg-type]
    assert found.editor == Editor("Nguyễn Văn A", "editor") and found.member is None
    with pytest.raises(Forbidden):
        await auth.caller(request_with(f"Bearer {token}"), "admin")  # type: ignore[arg-type]


async def test_a_cookie_write_needs_the_sessions_csrf_token() -> None:
    auth, _ = authenticator()
    cookie = {"Cookie": "portal_session=good-cookie"}
    for sent in ({}, {"X-CSRF-Token": "wrong"}, {"X-CSRF-Token": ""}):
        with pytest.raises(Forbidden):
            await auth.caller(request_with(None, **cookie, **sent), "contributor")  # type: ignore[arg-type]
    ok = await auth.caller(
        request_with(None, **cookie, **{"X-CSRF-Token": "csrf-secret"}),  # type: ignore[arg-type]
        "contributor",
    )
    assert ok.member == MEMBER and ok.editor == Editor("Lan", "contributor", "s1")
    # A read needs no CSRF token; another cookie is nobody.
    read = await auth.caller(request_with(None, "GET", **cookie), "contributor")  # type: ignore[arg-type]
    assert read.member == MEMBER
    with pytest.raises(Unauthenticated):
        await auth.caller(request_with(None, "GET", Cookie="portal_session=other"), "contributor")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, False),
        ('"abc"', True),
        ('W/"abc"', True),
        ('"x", "abc"', True),
        ("*", True),
        ('"abcd"', False),
        ("abc", False),
    ],
)
def test_if_none_match(header: str | None, expected: bool) -> None:
    assert matches(header, '"abc"') is expected


def test_life_cycle_moves() -> None:
    draft, published, unpublished = Status.DRAFT, Status.PUBLISHED, Status.UNPUBLISHED
    assert unpublished not in MOVES[draft]  # never public, nothing to take down
    assert published not in MOVES[published]
    assert draft in MOVES[unpublished] and draft in MOVES[published]
    assert all(target in MOVES for targets in MOVES.values() for target in targets)
