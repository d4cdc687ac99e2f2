"""A single-writer lease with fencing: one replica at a time, decided by unique inserts.

Time is cut into slots; the lease of a slot is a document `_id = "<name>:<slot>"` that the
first inserter owns. The holder inserts the next slot's document as soon as it holds one, so
it keeps the lease while alive; others only ever claim the current slot, so they take over
at most two slots (and a margin) after the holder died.

A lease alone does not stop a holder that is merely slow (a long fold, a busy database)
from writing after it expired, on top of its successor. So the lease is also a fence: the
holder checks it before every write attempt (`check`) and stops `margin` before its last
slot ends, and a new holder starts writing only `margin` after its first slot began.
Replicas must agree on the time to well within the margin (one host, or NTP).
"""

import time
from datetime import UTC, datetime

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from shared.platform.db import Document
from shared.platform.storage.writes import write

KEEP_SLOTS = 30


class LeaseLost(Exception):
    """This replica no longer holds the lease (or another holder got ahead of it)."""


class Lease:
    def __init__(
        self, leases: AsyncCollection[Document], name: str, holder: str, period: float
    ) -> None:
        self._leases = leases
        self._name = name
        self.holder = holder
        self._period = period
        self._margin = min(period / 4, 0.5)
        self._valid_until = 0.0  # epoch seconds: writes stop `margin` before this
        # A slot's owner never changes once written, so it is read once.
        self._owners: dict[int, str] = {}

    async def held(self) -> bool:
        """Whether this replica may write now; renews the lease a slot ahead while it does."""
        now = time.time()
        slot = int(now // self._period)
        if await self._owner(slot) != self.holder:
            self._valid_until = 0.0
            return False
        slot_start = slot * self._period
        if self._owners.get(slot - 1) != self.holder and now - slot_start < self._margin:
            # Just taken over: the previous holder may still be finishing a write it began
            # before its own fence.
            return False
        ours_next = await self._owner(slot + 1) == self.holder  # renew ahead
        self._valid_until = slot_start + self._period * (2 if ours_next else 1)
        return self.valid()

    def valid(self) -> bool:
        return time.time() < self._valid_until - self._margin

    async def check(self) -> None:
        """The fence before a write: raise LeaseLost once this replica's tenure has run out
        (it never resumes after that without held() and a recovery); renew it when less
        than a slot is left."""
        if self.valid() and self._valid_until - time.time() < self._period:
            await self.held()
        if not self.valid():
            raise LeaseLost(f"{self.holder} no longer holds the {self._name} lease")

    async def _owner(self, slot: int) -> str:
        owner = self._owners.get(slot)
        if owner is not None:
            return owner
        key = f"{self._name}:{slot}"
        try:
            document = {"_id": key, "holder": self.holder, "at": datetime.now(UTC)}
            await write(lambda: self._leases.insert_one(document))
            owner = self.holder
            await self._leases.delete_one({"_id": f"{self._name}:{slot - KEEP_SLOTS}"})
        except DuplicateKeyError:
            found = await self._leases.find_one({"_id": key})
            if found is None:  # pruned meanwhile: an old slot nobody holds any more
                return ""
            owner = str(found["holder"])
        self._owners = {s: o for s, o in self._owners.items() if s >= slot - 2}
        self._owners[slot] = owner
        return owner
