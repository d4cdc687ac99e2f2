"""The fold's writes: apply a committed fold to the aggregate documents, exactly once each.

Each aggregate document remembers the last fold applied to it (`seq`), so a fold cut short
by a crash is finished by the next holder (`guarded`) without applying anything twice.
"""

import time
from functools import partial
from typing import Any

from pymongo.errors import DuplicateKeyError

from services.counter.adapters.store import Collections
from services.counter.domain import layout
from services.counter.domain.visits import Sessions
from services.counter.fold.plan import Work
from services.counter.fold.poison import ATTEMPTS, is_outage
from services.counter.fold.record import visitors_document
from services.counter.fold.summary import Summary
from services.counter.fold.tally import Delta
from shared.platform.quarantine import Quarantine
from shared.platform.storage.packed import add_packed
from shared.platform.storage.writes import Fence, insert_or_ignore, write

Phases = dict[str, float]  # when each step of a fold ended (perf_counter), for its log line


class Applier:
    def __init__(
        self, collections: Collections, quarantine: Quarantine, summary: Summary, fence: Fence
    ) -> None:
        self.c = collections
        self._quarantine = quarantine
        self._summary = summary
        self._fence = fence
        # How often each delta of a committed fold failed to apply: (seq, collection, key).
        self._delta_failures: dict[tuple[int, str, str], int] = {}

    async def apply(
        self, work: Work, sessions: Sessions, guarded: bool, phases: Phases | None = None
    ) -> None:
        """Apply a committed fold; `guarded` skips documents that already have it."""
        applied = await self._apply_deltas(work.seq, work.deltas, guarded)
        for day, entries in work.visitors_by_day().items():
            collection = self.c.named(layout.visitors_name(day))
            await insert_or_ignore(collection, visitors_document(work.seq, entries), self._fence)
        if self._delta_failures:  # this fold is applied: its earlier failures are history
            self._delta_failures = {
                failed: n for failed, n in self._delta_failures.items() if failed[0] != work.seq
            }
        _mark(phases, "applied")
        if not guarded:
            sessions.update(work.sessions())
        # The figures are stored: show them, and mark the fold applied (one write), before
        # the slower clean-up. A crash after this leaves the batch in the inbox; the next
        # fold meets it again, finds the tombstones of this committed fold, and drops it.
        self._summary.account(applied)
        await self._summary.publish(sessions, folded=True, applied=work.seq)
        _mark(phases, "published")
        for taken in work.taken:  # one by one: FerretDB scans the inbox for an `$in`
            await write(partial(self.c.inbox.delete_one, {"_id": taken}), self._fence)
        _mark(phases, "cleaned")

    async def _apply_deltas(self, seq: int, deltas: list[Delta], guarded: bool) -> list[Delta]:
        """The deltas applied now (not before, not set aside)."""
        applied: list[Delta] = []
        for delta in deltas:
            collection = self.c.named(delta.collection)
            if delta.collection in layout.PACKED_COLLECTIONS:
                if await self._add_packed(seq, delta, guarded):
                    applied.append(delta)
                continue
            update: dict[str, Any] = {"$inc": delta.increments, "$set": {"seq": seq}}
            # Only a document that does not have this fold yet: a write retried after it
            # took effect (SQLite busy at commit), or a fold a new holder finishes (guarded),
            # adds nothing twice. Its upsert then meets the document's `_id`: applied before.
            not_yet = {
                "_id": delta.key,
                "$or": [{"seq": {"$lt": seq}}, {"seq": {"$exists": False}}],
            }
            upsert = partial(collection.update_one, not_yet, update, upsert=True)
            try:
                await write(upsert, self._fence)
            except DuplicateKeyError:
                if not guarded:  # this fold is new: the write that took effect was ours
                    applied.append(delta)
                continue
            except Exception as error:
                # One document's update fails as a whole or not at all, so a poison one
                # can be set aside alone, exactly once, and the fold goes on.
                if is_outage(error) or not await self._poison_delta(seq, delta, error):
                    raise
                continue
            applied.append(delta)
        return applied

    async def _add_packed(self, seq: int, delta: Delta, guarded: bool) -> bool:
        """A packed document's counts (breakdowns.py): read, added to, written back once.
        Whether this fold's counts are in it now because of this fold's run."""
        collection = self.c.named(delta.collection)
        increments = layout.grouped(delta.increments)
        try:
            added = await add_packed(collection, delta.key, seq, increments, self._fence)
        except Exception as error:
            if is_outage(error) or not await self._poison_delta(seq, delta, error):
                raise
            return False  # set aside
        return added or not guarded  # not guarded: an earlier try of this run took effect

    async def _poison_delta(self, seq: int, delta: Delta, error: Exception) -> bool:
        """Count a failure of one delta; once it failed `ATTEMPTS` times, quarantine it."""
        failed = (seq, delta.collection, delta.key)
        self._delta_failures[failed] = self._delta_failures.get(failed, 0) + 1
        if self._delta_failures[failed] < ATTEMPTS:
            return False
        del self._delta_failures[failed]
        item = {
            "seq": seq,
            "collection": delta.collection,
            "document": delta.key,
            "inc": delta.increments,
        }
        key = f"{seq}:{delta.collection}:{delta.key}"
        await self._quarantine.put("fold-delta", key, item, repr(error))
        return True


def _mark(phases: Phases | None, step: str) -> None:
    if phases is not None:
        phases[step] = time.perf_counter()
