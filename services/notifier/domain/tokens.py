"""Link tokens: the address sealed with Fernet (encrypted, authenticated), never readable.

A token is `Fernet(HKDF(SIGNING_KEY, info=purpose))` over "expiry\\naddress", with its
base64 padding dropped. One key per purpose, so a token made for one use never opens
another; the expiry is inside the ciphertext (0 = never), so only confirm links expire.
Tokens of the first format (base64 "purpose\\naddress\\nexpiry" + HMAC, readable) are
still in mailboxes, where unsubscribe links must work for years: they are still accepted.
"""

import base64
import binascii
import functools
import hashlib
import hmac
import time
from typing import Literal

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

Purpose = Literal["confirm", "unsubscribe", "preferences"]

FERNET_VERSION = 0x80
# version (1) + timestamp (8) + IV (16) + one AES block (16) + HMAC (32)
FERNET_MIN_BYTES = 73


class BadToken(Exception):
    """Forged, expired, or made for another purpose."""


def sign(
    key: bytes, purpose: Purpose, email: str, ttl_seconds: int | None, now: float | None = None
) -> str:
    """An opaque token for `email`; it expires after `ttl_seconds` unless that is None."""
    moment = time.time() if now is None else now
    expires = 0 if ttl_seconds is None else int(moment + ttl_seconds)
    sealed = _fernet(key, purpose).encrypt_at_time(f"{expires}\n{email}".encode(), int(moment))
    return sealed.decode().rstrip("=")


def verify(key: bytes, purpose: Purpose, token: str, now: float | None = None) -> str:
    """The email address the token was made for, or BadToken."""
    moment = time.time() if now is None else now
    if "." in token:  # only the first format has a dot (base64url has none)
        return _verify_signed(key, purpose, token, moment)
    try:
        raw = _unb64(token)
    except (ValueError, binascii.Error):
        raise BadToken("malformed token") from None
    if len(raw) < FERNET_MIN_BYTES or raw[0] != FERNET_VERSION:
        raise BadToken("malformed token")
    try:
        plain = _fernet(key, purpose).decrypt(base64.urlsafe_b64encode(raw))
        expires, email = plain.decode().split("\n", 1)
        expiry = int(expires)
    except (InvalidToken, ValueError):
        raise BadToken("invalid token") from None
    return _unexpired(email, expiry, moment)


@functools.cache
def _fernet(key: bytes, purpose: Purpose) -> Fernet:
    # Derived, not the signing key itself: the first format's HMAC uses that key as is.
    derived = HKDF(
        algorithm=SHA256(), length=32, salt=None, info=f"notifier-link/{purpose}/v2".encode()
    ).derive(key)
    return Fernet(base64.urlsafe_b64encode(derived))


def _verify_signed(key: bytes, purpose: Purpose, token: str, now: float) -> str:
    """The first format: readable payload and an HMAC-SHA256 over it."""
    try:
        encoded_payload, encoded_mac = token.split(".")
        payload, mac = _unb64(encoded_payload), _unb64(encoded_mac)
        token_purpose, email, expires = payload.decode().split("\n")
        expiry = int(expires)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise BadToken("malformed token") from None
    expected = hmac.new(key, payload, hashlib.sha256).digest()
    if not hmac.compare_digest(mac, expected) or token_purpose != purpose:
        raise BadToken("invalid token")
    return _unexpired(email, expiry, now)


def _unexpired(email: str, expiry: int, now: float) -> str:
    if expiry and expiry < now:
        raise BadToken("expired token")
    return email


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
