"""Password hashing with Argon2id (argon2-cffi: the reference implementation's bindings,
maintained, and the algorithm OWASP recommends first). Its defaults are RFC 9106's
low-memory profile (3 passes over 64 MiB, 4 lanes), about 50 ms of CPU a hash: that runs in
a thread, and at most two at once, so a burst of sign-ins neither stalls the event loop nor
takes more than 128 MiB."""

import asyncio
import secrets
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from argon2 import PasswordHasher


def _hasher() -> "PasswordHasher":
    # Imported with the first hash, not at start: most requests never need it (and every
    # megabyte counts against the idle-memory goal, docs/performance.md).
    from argon2 import PasswordHasher

    return PasswordHasher()


class Passwords:
    def __init__(self, at_once: int = 2) -> None:
        self._hasher: PasswordHasher | None = None
        self._slots = asyncio.Semaphore(at_once)
        # A hash of nothing anyone knows: checked against when the address has no account,
        # so an unknown address takes as long to refuse as a wrong password (no probing).
        # Made with the first sign-in, not at start (64 MiB and 50 ms of work).
        self._decoy: str | None = None

    @property
    def hasher(self) -> "PasswordHasher":
        if self._hasher is None:
            self._hasher = _hasher()
        return self._hasher

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self.hasher.hash, password)

    async def matches(self, stored: str | None, password: str) -> bool:
        if stored is None and self._decoy is None:
            self._decoy = await self.hash(secrets.token_urlsafe(16))
        async with self._slots:
            matched = await asyncio.to_thread(self._verify, stored or self._decoy or "", password)
        return matched and stored is not None

    def _verify(self, stored: str, password: str) -> bool:
        from argon2.exceptions import InvalidHashError, VerificationError

        try:
            return self.hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
