import pytest

from services.notifier.tokens import BadToken, sign, verify

KEY = b"k" * 32


def test_a_signed_token_gives_back_its_address() -> None:
    token = sign(KEY, "confirm", "ban.doc@example.vn", 3600)
    assert verify(KEY, "confirm", token) == "ban.doc@example.vn"


def test_expired_token_is_refused() -> None:
    token = sign(KEY, "confirm", "a@example.vn", 60, now=1_000_000)
    with pytest.raises(BadToken, match="expired"):
        verify(KEY, "confirm", token, now=1_000_061)


def test_token_for_another_purpose_is_refused() -> None:
    token = sign(KEY, "unsubscribe", "a@example.vn", None)
    with pytest.raises(BadToken):
        verify(KEY, "confirm", token)


def test_forged_token_is_refused() -> None:
    token = sign(b"x" * 32, "confirm", "a@example.vn", 3600)
    with pytest.raises(BadToken, match="invalid"):
        verify(KEY, "confirm", token)


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "!!!.???"])
def test_malformed_token_is_refused(token: str) -> None:
    with pytest.raises(BadToken):
        verify(KEY, "confirm", token)
