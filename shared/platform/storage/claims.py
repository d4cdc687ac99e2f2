"""Claim with lease: who does a piece of work, decided by unique inserts, never by updates.

A claim is the document `_id = "<key>#<attempt>"`. Attempt 1 goes to whoever inserts it
first; the others learn that the key is held. If the holder dies, its claim outlives its
lease, and the next attempt is again decided by an insert (`<key>#2`), so exactly one
replica takes over. A holder that gave up early (a failed send) lets the next attempt go
at once (`after=`). Releasing deletes the claims, so the key can be claimed afresh.
"""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pymongo.asynchronous.collection import AsyncCollection

from shared.contracts.errors import Conflict
from shared.platform.db import Document
from shared.platform.storage.writes import insert_or_ignore

MAX_ATTEMPTS = 1000  # a bound on the walk past claims left by dead holders


@dataclass(frozen=True)
class Claim:
    key: str
    attempt: int
    owner: str


def claim_id(key: str, attempt: int) -> str:
    return f"{key}#{attempt}"


class Claims:
    def __init__(self, collection: AsyncCollection[Document], lease: timedelta) -> None:
        self.collection = collection
        self._lease = lease

    async def claim(self, key: str, owner: str, *, after: int = 0) -> Claim | None:
        """The first attempt after `after` that nobody holds, won by this caller; None if a
        live holder has the key (or the work was finished, and its claims released)."""
        now = datetime.now(UTC)
        for attempt in range(after + 1, after + MAX_ATTEMPTS + 1):
            document = {"_id": claim_id(key, attempt), "owner": owner, "claimed_at": now}
            if await insert_or_ignore(self.collection, document):
                return Claim(key, attempt, owner)
            held = await self.collection.find_one({"_id": claim_id(key, attempt)})
            if held is None or now - held["claimed_at"] < self._lease:
                return None
        raise RuntimeError(f"{key}: {MAX_ATTEMPTS} dead claims in a row")

    async def holder(self, key: str, attempt: int) -> Document | None:
        """Attempt `attempt`'s claim, if it was made."""
        return await self.collection.find_one({"_id": claim_id(key, attempt)})

    def expired(self, claim: Document) -> bool:
        return bool(datetime.now(UTC) - claim["claimed_at"] >= self._lease)

    async def release(self, claim: Claim) -> None:
        """Remove the claims up to `claim` (the work is done, or given back)."""
        ids = [claim_id(claim.key, n) for n in range(1, claim.attempt + 1)]
        await self.collection.delete_many({"_id": {"$in": ids}})


class Lock:
    """One holder at a time for a short critical section (a claim released at the end);
    a lock left by a crashed holder is taken over once its lease ran out."""

    def __init__(self, claims: Claims, wait: timedelta) -> None:
        self._claims = claims
        self._wait = wait.total_seconds()

    @contextlib.asynccontextmanager
    async def hold(self, key: str, owner: str) -> AsyncIterator[Claim]:
        """Run the block as the key's only holder; Conflict if it stays busy too long."""
        claim = await self._acquire(key, owner)
        try:
            yield claim
        finally:
            await self._claims.release(claim)

    async def _acquire(self, key: str, owner: str) -> Claim:
        deadline = time.monotonic() + self._wait
        pause = 0.002
        while (claim := await self._claims.claim(key, owner)) is None:
            if time.monotonic() >= deadline:
                raise Conflict("this is being changed by someone else; try again")
            await asyncio.sleep(pause)  # waiting for the other holder, not for an effect
            pause = min(pause * 2, 0.05)
        return claim
