"""Editor roles, the bootstrap token, ETag matching and the life-cycle table."""

import pytest
from aiohttp.test_utils import make_mocked_request

from services.content.adapters.editors import EditorTokens, token_hash
from services.content.domain.article import MOVES, Status
from services.content.domain.editors import Editor
from services.content.entrypoints.http_cache import matches
from shared.contracts.errors import Forbidden, Unauthenticated

BOOTSTRAP = "bootstrap-token-0123456789"


class NoDatabase:
    """A collection that finds nobody: only the bootstrap token is known."""

    async def find_one(self, query: dict[str, str]) -> None:
        assert len(query["_id"]) == 64  # looked up by the hash, never by the token
        return None


def tokens() -> EditorTokens:
    found = EditorTokens({"editors": NoDatabase()}, BOOTSTRAP)  # type: ignore[arg-type]
    return found


def request_with(header: str | None) -> object:
    headers = {"Authorization": header} if header is not None else {}
    return make_mocked_request("POST", "/api/articles", headers=headers)


async def test_the_bootstrap_token_is_an_admin() -> None:
    editor = await tokens().require(request_with(f"Bearer {BOOTSTRAP}"), "admin")  # type: ignore[arg-type]
    assert editor == Editor("bootstrap-admin", "admin")


@pytest.mark.parametrize(
    "header", [None, "", "Bearer", "Bearer ", f"Basic {BOOTSTRAP}", "Bearer wrong-token"]
)
async def test_missing_or_wrong_tokens_are_401(header: str | None) -> None:
    with pytest.raises(Unauthenticated):
        await tokens().require(request_with(header))  # type: ignore[arg-type]


def test_roles() -> None:
    assert Editor("a", "admin").may("admin") and Editor("a", "admin").may("editor")
    assert Editor("e", "editor").may("editor")
    assert not Editor("e", "editor").may("admin")


class Editors:
    """A collection that keeps what is inserted and finds it by `_id`."""

    def __init__(self) -> None:
        self.stored: dict[str, dict[str, object]] = {}

    async def insert_one(self, document: dict[str, object]) -> None:
        self.stored[str(document["_id"])] = document

    async def find_one(self, query: dict[str, str]) -> dict[str, object] | None:
        return self.stored.get(query["_id"])


async def test_only_the_hash_of_a_created_token_is_stored_and_it_then_works() -> None:
    editors = Editors()
    made = EditorTokens({"editors": editors}, BOOTSTRAP)  # type: ignore[arg-type]
    token = await made.create("Nguyễn Văn A", "editor")
    [(key, document)] = editors.stored.items()
    assert key == token_hash(token) != token
    assert token not in repr(document)
    editor = await made.require(request_with(f"Bearer {token}"))  # type: ignore[arg-type]
    assert editor == Editor("Nguyễn Văn A", "editor")
    with pytest.raises(Forbidden):
        await made.require(request_with(f"Bearer {token}"), "admin")  # type: ignore[arg-type]


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
