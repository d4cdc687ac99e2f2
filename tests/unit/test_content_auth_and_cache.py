"""Editor roles, the bootstrap token, ETag matching and the life-cycle table."""

import pytest
from aiohttp.test_utils import make_mocked_request

from services.content.auth import Editor, EditorTokens, token_hash
from services.content.errors import Forbidden
from services.content.http_cache import matches
from services.content.workflow import MOVES
from shared.errors import Unauthorized

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
    with pytest.raises(Unauthorized):
        await tokens().require(request_with(header))  # type: ignore[arg-type]


def test_roles() -> None:
    assert Editor("a", "admin").may("admin") and Editor("a", "admin").may("editor")
    assert Editor("e", "editor").may("editor")
    assert not Editor("e", "editor").may("admin")
    assert Forbidden("x").status == 403


def test_only_the_hash_is_stored() -> None:
    assert token_hash("abc") != "abc"
    assert len(token_hash("abc")) == 64


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
    assert "unpublished" not in MOVES["draft"]  # never public, nothing to take down
    assert "published" not in MOVES["published"]
    assert "draft" in MOVES["unpublished"] and "draft" in MOVES["published"]
    assert all(target in MOVES for targets in MOVES.values() for target in targets)
