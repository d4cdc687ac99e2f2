"""The fold lease: one replica at a time may fold, decided by unique inserts, never by updates.

Time is cut into slots; the lease of a slot is a document `_id = "fold:<slot>"` that the
first inserter owns. The holder inserts the next slot's document half-way through its own
slot, so it keeps the lease while alive; others only ever claim the current slot, so they
take over at most two slots after the holder died.
"""

import time
from datetime import UTC, datetime

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from services.counter.retrying import write
from shared.db import Document

KEEP_SLOTS = 30


class Lease:
    def __init__(self, leases: AsyncCollection[Document], holder: str, period: float) -> None:
        self._leases = leases
        self.holder = holder
        self._period = period
        # A slot's owner never changes once written, so it is read once.
        self._owners: dict[int, str] = {}

    async def held(self) -> bool:
        now = time.time()
        slot = int(now // self._period)
        if await self._owner(slot) != self.holder:
            return False
        into_slot = now - slot * self._period
        if into_slot > self._period / 2:
            await self._owner(slot + 1)  # renew ahead; a no-op if someone holds it already
        margin = min(self._period / 4, 0.5)
        if self._period - into_slot < margin:
            # Near the end of the slot: fold on only if the next one is ours as well.
            return await self._owner(slot + 1) == self.holder
        return True

    async def _owner(self, slot: int) -> str:
        owner = self._owners.get(slot)
        if owner is not None:
            return owner
        key = f"fold:{slot}"
        try:
            document = {"_id": key, "holder": self.holder, "at": datetime.now(UTC)}
            await write(lambda: self._leases.insert_one(document))
            owner = self.holder
            await self._leases.delete_one({"_id": f"fold:{slot - KEEP_SLOTS}"})
        except DuplicateKeyError:
            found = await self._leases.find_one({"_id": key})
            if found is None:  # pruned meanwhile: an old slot nobody holds any more
                return ""
            owner = str(found["holder"])
        self._owners = {s: o for s, o in self._owners.items() if s >= slot - 2}
        self._owners[slot] = owner
        return owner
