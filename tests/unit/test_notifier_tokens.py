"""Links' tokens: opaque (no address to read), one key per purpose, expiry only for confirm,
and the first format (readable, HMAC-signed) still accepted from old emails."""

import base64
import binascii
import contextlib
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from services.notifier.config import NotifierSettings
from services.notifier.domain.links import Links
from services.notifier.domain.tokens import BadToken, Purpose, sign, verify
from tests.notifier_support import legacy_token

KEY = b"unit-signing-key-0123456789abcdef0123"
ADDRESS = "nguyen.van.an+tin@so-noi-vu.example.vn"
TWENTY_YEARS = 20 * 365 * 24 * 3600
PURPOSES: tuple[Purpose, ...] = ("confirm", "unsubscribe", "preferences")


def decodings(token: str) -> list[bytes]:
    """The token, and every base64 decoding of it or of a part of it between separators,
    from each of the four offsets an encoded address could start at."""
    found = [token.encode()]
    for part in {token, *re.split(r"[^A-Za-z0-9_-]", token)}:
        for shift in range(4):
            chunk = part[shift:]
            if len(chunk) % 4 == 1:
                chunk = chunk[:-1]
            with contextlib.suppress(binascii.Error, ValueError):
                found.append(base64.urlsafe_b64decode(chunk + "=" * (-len(chunk) % 4)))
    return found


def reveals(token: str, address: str) -> bool:
    local, _, domain = address.encode().partition(b"@")
    return any(
        needle in decoded.lower()
        for decoded in decodings(token)
        for needle in (address.encode(), local, domain)
    )


def test_the_check_finds_an_address_in_a_token_of_the_first_format() -> None:
    assert reveals(legacy_token(KEY, "unsubscribe", ADDRESS, None), ADDRESS)


def test_no_link_shows_the_address_readable_or_base64_decodable() -> None:
    links = Links(NotifierSettings(mongo_db="unit", signing_key=KEY.decode()))
    for url in (
        links.confirm(ADDRESS),
        links.unsubscribe(ADDRESS),
        links.preferences(ADDRESS),
        links.resubscribe(ADDRESS),
    ):
        assert ADDRESS not in url
        (token,) = parse_qs(urlsplit(url).query)["token"]
        assert not reveals(token, ADDRESS), url
        assert verify(KEY, "preferences" if "resubscribe" in url else _purpose(url), token)


def _purpose(url: str) -> Purpose:
    return next(purpose for purpose in PURPOSES if f"/{purpose}?" in url)


def test_each_token_is_different_even_for_the_same_address() -> None:
    tokens = {sign(KEY, "unsubscribe", ADDRESS, None) for _ in range(5)}
    assert len(tokens) == 5


@pytest.mark.parametrize("purpose", PURPOSES)
def test_a_token_gives_back_its_address_for_its_purpose_only(purpose: Purpose) -> None:
    token = sign(KEY, purpose, ADDRESS, 3600)
    assert verify(KEY, purpose, token) == ADDRESS
    for other in PURPOSES:
        if other != purpose:
            with pytest.raises(BadToken, match="invalid"):
                verify(KEY, other, token)


@pytest.mark.parametrize("purpose", ["unsubscribe", "preferences"])
def test_unsubscribe_and_preferences_tokens_never_expire(purpose: Purpose) -> None:
    token = sign(KEY, purpose, ADDRESS, None, now=1_000_000)
    assert verify(KEY, purpose, token, now=1_000_000 + TWENTY_YEARS) == ADDRESS


def test_a_confirm_token_expires() -> None:
    token = sign(KEY, "confirm", ADDRESS, 3600, now=1_000_000)
    assert verify(KEY, "confirm", token, now=1_003_599) == ADDRESS
    with pytest.raises(BadToken, match="expired"):
        verify(KEY, "confirm", token, now=1_003_601)


def test_a_token_made_with_another_key_or_altered_is_refused() -> None:
    with pytest.raises(BadToken, match="invalid"):
        verify(KEY, "unsubscribe", sign(b"another-key-" * 3, "unsubscribe", ADDRESS, None))
    token = sign(KEY, "unsubscribe", ADDRESS, None)
    flipped = token[:-10] + ("A" if token[-10] != "A" else "B") + token[-9:]
    with pytest.raises(BadToken, match="invalid"):
        verify(KEY, "unsubscribe", flipped)


@pytest.mark.parametrize("purpose", PURPOSES)
def test_tokens_of_the_first_format_in_old_emails_still_work(purpose: Purpose) -> None:
    old = legacy_token(KEY, purpose, ADDRESS, None, now=1_000_000)
    assert verify(KEY, purpose, old, now=1_000_000 + TWENTY_YEARS) == ADDRESS


def test_first_format_tokens_keep_their_checks() -> None:
    with pytest.raises(BadToken, match="invalid"):
        verify(KEY, "unsubscribe", legacy_token(b"x" * 32, "unsubscribe", ADDRESS, None))
    with pytest.raises(BadToken, match="invalid"):
        verify(KEY, "unsubscribe", legacy_token(KEY, "preferences", ADDRESS, None))
    expired = legacy_token(KEY, "confirm", ADDRESS, 60, now=1_000_000)
    with pytest.raises(BadToken, match="expired"):
        verify(KEY, "confirm", expired, now=1_000_061)


@pytest.mark.parametrize("token", ["", "abc", "gAAAAA", "a.b.c", "!!!.???", "é" * 80])
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(BadToken, match="malformed"):
        verify(KEY, "confirm", token)
