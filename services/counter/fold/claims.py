"""Which messages a fold may count: one tombstone insert per message decides, by `_id`.

Tombstones live in one collection per UTC day (`folded_YYYYMMDD`); a claim inserts into
today's and yesterday's, so a duplicate arriving up to a day later (at least) meets its
tombstone, and pruning is dropping a whole old collection instead of scanning one.

Not shared/platform/storage's Claims (claim with lease): that one gives a key to one holder
at a time, attempt by attempt, and forgets it on release. Here a claim is never released
and never expires within its day: it is the proof that a message was counted, settled by
the fold records (a claim of a fold that never committed is taken over), for thousands of
messages at once in one `insert_many` per day.
"""

from datetime import UTC, datetime, timedelta
from functools import partial

from pymongo.asynchronous.collection import AsyncCollection

from services.counter.adapters.store import Collections
from services.counter.domain import layout
from shared.platform.db import Document
from shared.platform.storage.writes import Fence, insert_many_or_ignore, write

KEEP_DAYS = 2


class MessageClaims:
    def __init__(self, collections: Collections, fence: Fence) -> None:
        self.c = collections
        self._fence = fence
        self._events_of: dict[int, set[str] | None] = {}

    def _buckets(self) -> list[AsyncCollection[Document]]:
        today = datetime.now(UTC).date()
        days = [today - timedelta(days=n) for n in range(KEEP_DAYS)]
        return [self.c.named(layout.tombstones_name(day)) for day in days]

    async def claim(self, ids: list[str], seq: int) -> set[str]:
        """The messages of `ids` that no committed fold counted; they are claimed for `seq`.

        A tombstone already there was written by an earlier fold (which counted the
        message, if its record lists it) or by an attempt at a fold that crashed before
        committing (its claim is taken over).
        """
        buckets = self._buckets()
        now = datetime.now(UTC)
        duplicates: set[str] = set()
        for bucket in buckets:
            tombstones = [{"_id": event_id, "s": seq, "at": now} for event_id in ids]
            duplicates |= await insert_many_or_ignore(bucket, tombstones, self._fence)
        fresh = set(ids) - duplicates
        for event_id in duplicates:
            claimed_by = seq
            for bucket in buckets:
                tombstone = await bucket.find_one({"_id": event_id})
                if tombstone is not None:
                    claimed_by = min(claimed_by, int(tombstone["s"]))
            if claimed_by < seq:
                events = await self._events(claimed_by)
                if events is None or event_id in events:
                    continue  # counted before (or so long ago that its record is pruned)
            for bucket in buckets:
                update = {"$set": {"s": seq}}
                await write(partial(bucket.update_one, {"_id": event_id}, update), self._fence)
            fresh.add(event_id)
        return fresh

    async def _events(self, seq: int) -> set[str] | None:
        if seq not in self._events_of:
            record = await self.c.fold_records(seq).find_one({"_id": seq})
            if len(self._events_of) > 256:
                self._events_of.clear()
            self._events_of[seq] = set(record["events"]) if record else None
        return self._events_of[seq]

    def forget(self) -> None:
        self._events_of.clear()

    async def prune(self) -> None:
        today = datetime.now(UTC).date()
        keep = {layout.tombstones_name(today - timedelta(days=n)) for n in range(KEEP_DAYS)}
        for name in await self.c.db.list_collection_names():
            if name.startswith(layout.TOMBSTONES_PREFIX) and name not in keep and name < max(keep):
                await self.c.db.drop_collection(name)
