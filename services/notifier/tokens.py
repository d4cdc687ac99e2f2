"""Signed, expiring links: an HMAC over (purpose, address, expiry), nothing stored server-side."""

import base64
import hashlib
import hmac
import time


class BadToken(Exception):
    """Forged, expired, or made for another purpose."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(
    key: bytes, purpose: str, email: str, ttl_seconds: int | None, now: float | None = None
) -> str:
    expires = 0 if ttl_seconds is None else int((now or time.time()) + ttl_seconds)
    payload = f"{purpose}\n{email}\n{expires}".encode()
    mac = hmac.new(key, payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}"


def verify(key: bytes, purpose: str, token: str, now: float | None = None) -> str:
    """The email address the token was made for, or BadToken."""
    try:
        encoded_payload, encoded_mac = token.split(".")
        payload, mac = _unb64(encoded_payload), _unb64(encoded_mac)
        token_purpose, email, expires = payload.decode().split("\n")
        expiry = int(expires)
    except (ValueError, UnicodeDecodeError):
        raise BadToken("malformed token") from None
    expected = hmac.new(key, payload, hashlib.sha256).digest()
    if not hmac.compare_digest(mac, expected) or token_purpose != purpose:
        raise BadToken("invalid token")
    if expiry and expiry < (now or time.time()):
        raise BadToken("expired token")
    return email
