"""The fold: the lease holder turns stored messages into the figures, exactly once each.

A fold takes inbox documents, claims each message with a tombstone insert (a duplicate key
means it was folded before, unless that earlier claim belongs to a fold that never
committed), computes the increments, and commits by inserting the fold record
`_id = <sequence>` that holds them. Only then are the increments applied, each aggregate
document remembering the last sequence applied to it, so a fold cut short by a crash is
finished by the next holder without applying anything twice. No multi-document transaction
is needed: every decision is one unique insert, and every aggregate document has one writer
(the lease holder; the lease fences each write, so a slow former holder stops writing
before its successor starts).
"""

import asyncio
import base64
import contextlib
import time
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from pymongo.errors import DuplicateKeyError

from services.counter.claims import Claims
from services.counter.fold import fold_views
from services.counter.metrics import (
    FOLD_HOLDER,
    FOLD_SECONDS,
    FOLDED_MESSAGES,
    FOLDED_VIEWS,
    FOLDED_VIEWS_DUPLICATE,
)
from services.counter.poison import ATTEMPTS, Suspects, is_outage
from services.counter.records import View, pack, unpack_checked, unpack_json
from services.counter.store import FOLDS_PER_COLLECTION, FOLDS_PREFIX, Collections
from services.counter.summary import Summary
from services.counter.view_ids import WINDOW_SECONDS, RecentViewIds
from services.counter.visits import Sessions
from shared.platform.db import Document
from shared.platform.quarantine import Quarantine
from shared.platform.storage.lease import Lease, LeaseLost
from shared.platform.storage.writes import insert_many_or_ignore, write

log = structlog.get_logger(__name__)

INBOX_READ = 500
RECORD_COLLECTIONS_KEPT = 3  # the last 2,000-3,000 folds: enough to settle any claim
VISITORS_PREFIX = "visitors_"
PRUNE_EVERY_SECONDS = 60.0


class Folder:
    def __init__(
        self,
        collections: Collections,
        quarantine: Quarantine,
        lease: Lease,
        zone: ZoneInfo,
        visit_timeout: timedelta,
        online_window: timedelta,
        max_views: int,
        idle_seconds: float,
    ) -> None:
        self.c = collections
        self._quarantine = quarantine
        self._lease = lease
        self._zone = zone
        self._visit_timeout = visit_timeout
        self._max_views = max_views
        self._idle = idle_seconds
        self._sessions = Sessions(visit_timeout)
        self._next_seq: int | None = None  # None: recover before folding
        self._claims = Claims(collections, lease.check)
        self._summary = Summary(
            collections, zone, int(online_window.total_seconds() * 1000), lease.check
        )
        self._pruned_at = 0.0
        self._stopping = asyncio.Event()
        # Poison: the inbox documents the current fold took, suspicions about them, and
        # how often each delta of a committed fold failed to apply.
        self._taken: list[str] = []
        self._suspects = Suspects()
        self._delta_failures: dict[tuple[int, str, str], int] = {}
        self._recent_ids = RecentViewIds()

    async def run(self) -> None:
        """Fold while holding the lease, until stop(); a failed fold is recovered, not lost."""
        while not self._stopping.is_set():
            folded = 0
            self._taken = []
            try:
                holding = await self._lease.held()
                FOLD_HOLDER.set(holding)
                if not holding:
                    self._next_seq = None
                else:
                    if self._next_seq is None:
                        await self._recover()
                    folded = await self.fold_once()
                    if folded:
                        self._suspects.cleared()
                    await self._summary.publish(self._sessions, folded=False)
                    await self._prune()
            except asyncio.CancelledError:
                raise
            except LeaseLost as error:
                # Another replica folds now, and finishes what this one committed.
                log.info("fold.lease_lost", reason=str(error))
                self._next_seq = None
            except Exception as error:
                log.warning("fold.failed", error=repr(error)[:500])
                self._next_seq = None
                if not is_outage(error):
                    self._suspects.failed(self._taken, error)
            if not folded:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self._idle)

    def stop(self) -> None:
        self._stopping.set()

    async def _recover(self) -> None:
        """Finish the last committed fold if it was cut short, and reload the sessions."""
        summary = await self.c.totals.find_one({"_id": "summary"})
        applied = int(summary.get("applied", 0)) if summary else 0
        record = await self.c.fold_records(applied + 1).find_one({"_id": applied + 1})
        self._summary.reset(applied)
        if record is not None:
            log.info("fold.finishing", seq=applied + 1)
            await self._apply(record, guarded=True)
            applied += 1
        self._sessions = Sessions(self._visit_timeout)
        today = self._today()
        for day in (today - timedelta(days=1), today):
            folds = [doc async for doc in self.c.named(visitors_name(day)).find({})]
            for doc in sorted(folds, key=lambda doc: int(doc["_id"])):
                self._sessions.update(
                    {
                        (day, str(visitor)): [(int(a), int(b)) for a, b in runs]
                        for visitor, runs in unpack_json(doc["r"])
                    }
                )
        self._claims.forget()
        await self._recall_view_ids(applied)
        self._next_seq = applied + 1
        log.info("fold.holding", next_seq=self._next_seq, sessions=len(self._sessions))

    async def _recall_view_ids(self, applied: int) -> None:
        """The view ids the folds of the last window counted, from their records."""
        self._recent_ids = RecentViewIds()
        since = datetime.now(UTC) - timedelta(seconds=WINDOW_SECONDS)
        collections = {
            self.c.fold_records(max(applied - n, 0)).name for n in (0, FOLDS_PER_COLLECTION)
        }
        for name in sorted(collections):
            query = self.c.named(name).find({"at": {"$gte": since}}, {"ids": 1, "at": 1})
            async for record in query:
                if "ids" in record:
                    self._recent_ids.add(unpack_json(record["ids"]), record["at"].timestamp())

    async def fold_once(self) -> int:
        """Fold a part of the inbox; return how many documents it took (0: nothing to do)."""
        assert self._next_seq is not None
        seq = self._next_seq
        documents = await self._take()
        if not documents:
            return 0
        if self._suspects.is_poison(str(documents[0]["_id"])):
            await self._set_aside(documents[0], self._suspects.reason)
            return 1
        started = time.perf_counter()  # after the read: an empty read is not a fold
        phases: dict[str, float] = {}
        messages = await self._unpack(documents)
        fresh = await self._claims.claim(list(dict.fromkeys(eid for eid, _ in messages)), seq)
        claimed: list[View] = []
        counted: set[str] = set()
        for event_id, message_views in messages:
            if event_id in fresh and event_id not in counted:  # twice in the inbox: once
                counted.add(event_id)
                claimed.extend(message_views)
        views = self._recent_ids.unseen(claimed)  # a beacon the gateway sent twice: once
        view_ids = [view.view_id for view in views if view.view_id is not None]
        phases["claim"] = time.perf_counter()
        result = fold_views(views, self._sessions, self._zone)
        record = {
            "_id": seq,
            "at": datetime.now(UTC),
            "events": sorted(fresh),
            "taken": [str(document["_id"]) for document in documents],
            "ids": pack(view_ids),  # read back by a new holder (RecentViewIds)
            # Packed: FerretDB stores no nested arrays, and nothing here is queried.
            "work": pack(
                {
                    "deltas": [[name, key, incs] for name, key, incs in result.deltas()],
                    "visitors": [
                        [day.isoformat(), v, runs] for (day, v), runs in result.seen.items()
                    ],
                }
            ),
        }
        if not await self._lease.held():
            raise LeaseLost(f"lease lost before fold {seq}")
        try:
            await write(lambda: self.c.fold_records(seq).insert_one(record), self._lease.check)
        except DuplicateKeyError:
            raise LeaseLost(f"fold {seq} was committed by another replica") from None
        phases["commit"] = time.perf_counter()
        await self._apply(record, guarded=False, phases=phases)
        self._recent_ids.add(view_ids)
        self._next_seq = seq + 1
        log.debug(
            "fold.done",
            seq=seq,
            messages=len(messages),
            views=len(views),
            ms={name: round((at - started) * 1000, 1) for name, at in phases.items()},
        )
        FOLD_SECONDS.observe(time.perf_counter() - started)
        FOLDED_MESSAGES.labels("counted").inc(len(counted))
        FOLDED_MESSAGES.labels("duplicate").inc(len(messages) - len(counted))
        FOLDED_VIEWS_DUPLICATE.inc(len(claimed) - len(views))
        FOLDED_VIEWS.inc(result.total.views + result.total.bot_views)
        return len(documents)

    async def _take(self) -> list[Document]:
        """The inbox documents of the next fold (only the first while one is suspected)."""
        documents: list[Document] = []
        taken_views = 0
        limit = 1 if self._suspects.narrowed else INBOX_READ
        async with self.c.inbox.find({}).limit(limit) as cursor:
            async for document in cursor:
                if documents and taken_views + int(document["n"]) > self._max_views:
                    break
                documents.append(document)
                taken_views += int(document["n"])
        self._taken = [str(document["_id"]) for document in documents]
        return documents

    async def _unpack(self, documents: list[Document]) -> list[tuple[str, list[View]]]:
        """The messages of these documents; what cannot be read is set aside at once (the
        same bytes fail the same way every time) and the rest is folded."""
        messages: list[tuple[str, list[View]]] = []
        for document in documents:
            try:
                readable, unreadable = unpack_checked(document, self._zone)
            except Exception as error:  # the document as a whole is unreadable
                await self._set_aside(document, repr(error))
                continue
            for item in unreadable:
                await self._quarantine.put(
                    "fold-message", item.event_id, {"views": item.raw}, item.reason
                )
            messages.extend(readable)
        return messages

    async def _set_aside(self, document: Document, reason: str) -> None:
        """Quarantine an inbox document, then take it out of the inbox."""
        item = {key: value for key, value in document.items() if key != "p"}
        item["p"] = base64.b64encode(bytes(document.get("p", b""))).decode()
        await self._quarantine.put("inbox", str(document["_id"]), item, reason)
        doc_id = document["_id"]
        await write(lambda: self.c.inbox.delete_one({"_id": doc_id}), self._lease.check)
        self._suspects.cleared()

    async def _apply(
        self, record: Document, guarded: bool, phases: dict[str, float] | None = None
    ) -> None:
        """Apply a committed fold; `guarded` skips documents that already have it."""
        seq = int(record["_id"])
        work = unpack_json(record["work"])
        applied: list[Any] = []
        for name, key, incs in work["deltas"]:
            collection = self.c.named(name)
            if guarded:
                current = await collection.find_one({"_id": key})
                if current is not None and int(current.get("seq", 0)) >= seq:
                    continue
            update: dict[str, Any] = {"$inc": incs, "$set": {"seq": seq}}
            upsert = partial(collection.update_one, {"_id": key}, update, upsert=True)
            try:
                await write(upsert, self._lease.check)
            except Exception as error:
                # One document's update fails as a whole or not at all, so a poison one
                # can be set aside alone, exactly once, and the fold goes on.
                if is_outage(error) or not await self._poison_delta(seq, name, key, incs, error):
                    raise
                continue
            applied.append([name, key, incs])
        by_day: dict[str, list[Any]] = {}
        for day, visitor, runs in work["visitors"]:
            by_day.setdefault(day, []).append([visitor, runs])
        for day, entries in by_day.items():
            # One document per fold and day: later folds override earlier ones on restore.
            collection = self.c.named(visitors_name(date.fromisoformat(day)))
            document = {"_id": seq, "r": pack(entries)}
            await insert_many_or_ignore(collection, [document], self._lease.check)
        if self._delta_failures:  # this fold is applied: its earlier failures are history
            self._delta_failures = {f: n for f, n in self._delta_failures.items() if f[0] != seq}
        if phases is not None:
            phases["applied"] = time.perf_counter()
        if not guarded:
            self._sessions.update(
                {
                    (date.fromisoformat(d), v): [(a, b) for a, b in runs]
                    for d, v, runs in work["visitors"]
                }
            )
        # The figures are stored: show them, and mark the fold applied (one write), before
        # the slower clean-up. A crash after this leaves the batch in the inbox; the next
        # fold meets it again, finds the tombstones of this committed fold, and drops it.
        self._summary.account(applied)
        await self._summary.publish(self._sessions, folded=True, applied=seq)
        if phases is not None:
            phases["published"] = time.perf_counter()
        taken = record["taken"]
        await write(lambda: self.c.inbox.delete_many({"_id": {"$in": taken}}), self._lease.check)
        if phases is not None:
            phases["cleaned"] = time.perf_counter()

    async def _poison_delta(
        self, seq: int, name: str, key: str, incs: dict[str, int], error: Exception
    ) -> bool:
        """Count a failure of one delta; once it failed `ATTEMPTS` times, quarantine it."""
        failed = (seq, name, key)
        self._delta_failures[failed] = self._delta_failures.get(failed, 0) + 1
        if self._delta_failures[failed] < ATTEMPTS:
            return False
        del self._delta_failures[failed]
        item = {"seq": seq, "collection": name, "document": key, "inc": incs}
        await self._quarantine.put("fold-delta", f"{seq}:{name}:{key}", item, repr(error))
        return True

    async def _prune(self) -> None:
        """Drop whole collections of days gone by: nothing here scans a growing collection."""
        if time.monotonic() - self._pruned_at < PRUNE_EVERY_SECONDS:
            return
        self._pruned_at = time.monotonic()
        yesterday = self._today() - timedelta(days=1)
        self._sessions.forget_before(yesterday)
        oldest_kept = visitors_name(yesterday)
        for name in await self.c.db.list_collection_names():
            if name.startswith(VISITORS_PREFIX) and name < oldest_kept:
                await self.c.db.drop_collection(name)
        await self._claims.prune()
        if self._next_seq is not None:
            oldest_kept = self.c.fold_records(
                self._next_seq - (RECORD_COLLECTIONS_KEPT - 1) * FOLDS_PER_COLLECTION
            ).name
            for name in await self.c.db.list_collection_names():
                if name.startswith(FOLDS_PREFIX) and name < oldest_kept:
                    await self.c.db.drop_collection(name)

    def _today(self) -> date:
        return datetime.now(self._zone).date()


def visitors_name(day: date) -> str:
    """The visit state of one local day: dropped whole when the day is two days old."""
    return f"{VISITORS_PREFIX}{day:%Y%m%d}"
