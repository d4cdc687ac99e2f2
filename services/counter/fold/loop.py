"""The fold's loop: while this replica holds the lease, take inbox documents, claim their
messages, plan the fold, commit it and apply it; set aside what cannot be folded."""

import asyncio
import base64
import contextlib
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import structlog

from services.counter.adapters.store import Collections
from services.counter.domain import layout
from services.counter.domain.breakdowns import KnownNames
from services.counter.domain.view_ids import RecentViewIds
from services.counter.domain.visits import Sessions
from services.counter.fold.apply import Applier, Phases
from services.counter.fold.claims import MessageClaims
from services.counter.fold.names import load_names
from services.counter.fold.plan import Batch, FoldPlan, Work, plan_fold, read_batch
from services.counter.fold.poison import Suspects, is_outage
from services.counter.fold.record import (
    load_sessions,
    recall_view_ids,
    record_document,
    work_of,
)
from services.counter.fold.summary import Summary
from services.counter.metrics import (
    FOLD_HOLDER,
    FOLD_SECONDS,
    FOLDED_MESSAGES,
    FOLDED_VIEWS,
    FOLDED_VIEWS_DUPLICATE,
)
from shared.platform.db import Document
from shared.platform.quarantine import Quarantine
from shared.platform.storage.lease import Lease, LeaseLost
from shared.platform.storage.writes import insert_or_ignore, write

log = structlog.get_logger(__name__)

# Inbox documents a fold looks at: under load one holds a flush (~20 ms of views), and
# FerretDB reads each one whole even for its size, so a backlog must not be read at once.
INBOX_READ = 32
RECORD_COLLECTIONS_KEPT = 3  # the last 2,000-3,000 folds: enough to settle any claim
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
        interval_seconds: float = 0.0,
    ) -> None:
        self.c = collections
        self._quarantine = quarantine
        self._lease = lease
        self._zone = zone
        self._visit_timeout = visit_timeout
        self._max_views = max_views
        self._views_now = max_views  # halved after a fold lost the lease, then grown back
        self._idle = idle_seconds
        self._interval = interval_seconds
        self._sessions = Sessions(visit_timeout)
        self._next_seq: int | None = None  # None: recover before folding
        self._claims = MessageClaims(collections, lease.check)
        self._summary = Summary(
            collections, zone, int(online_window.total_seconds() * 1000), lease.check
        )
        self._applier = Applier(collections, quarantine, self._summary, lease.check)
        self._pruned_at = 0.0
        self._stopping = asyncio.Event()
        # Poison: the inbox documents the current fold took, and suspicions about them.
        self._taken: list[str] = []
        self._suspects = Suspects()
        self._recent_ids = RecentViewIds()
        self._names = KnownNames()

    async def run(self) -> None:
        """Fold while holding the lease, until stop(); a failed fold is recovered, not lost."""
        while not self._stopping.is_set():
            started = time.monotonic()
            folded = 0
            self._taken = []
            try:
                folded = await self._turn()
            except asyncio.CancelledError:
                raise
            except LeaseLost as error:
                # Another replica folds now, and finishes what this one committed. A fold
                # that outlasted the lease is tried smaller next, or it never would end.
                log.info("fold.lease_lost", reason=str(error), max_views=self._views_now)
                self._views_now = max(self._views_now // 2, 1)
                self._next_seq = None
            except Exception as error:
                log.warning("fold.failed", error=repr(error)[:500])
                self._next_seq = None
                if not is_outage(error):
                    self._suspects.failed(self._taken, error)
            if folded:  # back to full size, step by step
                self._views_now = min(self._views_now * 2, self._max_views)
            pause = self._interval - (time.monotonic() - started) if folded else self._idle
            if pause > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), pause)

    def stop(self) -> None:
        self._stopping.set()

    async def _turn(self) -> int:
        """One fold if this replica holds the lease; how many inbox documents it took."""
        holding = await self._lease.held()
        FOLD_HOLDER.set(holding)
        if not holding:
            self._next_seq = None
            return 0
        if self._next_seq is None:
            await self._recover()
        folded = await self.fold_once()
        if folded:
            self._suspects.cleared()
        await self._summary.publish(self._sessions, folded=False)
        await self._prune()
        return folded

    async def _recover(self) -> None:
        """Finish the last committed fold if it was cut short, and reload the sessions."""
        summary = await self.c.totals.find_one({"_id": layout.SUMMARY})
        applied = int(summary.get("applied", 0)) if summary else 0
        record = await self.c.fold_records(applied + 1).find_one({"_id": applied + 1})
        self._summary.reset(applied)
        if record is not None:
            log.info("fold.finishing", seq=applied + 1)
            await self._apply(work_of(record), guarded=True)
            applied += 1
        self._sessions = Sessions(self._visit_timeout)
        await load_sessions(self.c, self._today(), self._sessions)
        self._claims.forget()
        self._names = KnownNames()  # read again from the documents, as this fold left them
        self._recent_ids = await recall_view_ids(self.c, applied)
        self._next_seq = applied + 1
        log.info("fold.holding", next_seq=self._next_seq, sessions=len(self._sessions))

    async def fold_once(self) -> int:
        """Fold a part of the inbox; return how many documents it took (0: nothing to do)."""
        assert self._next_seq is not None
        documents = await self._take()
        if not documents:
            return 0
        if self._suspects.is_poison(str(documents[0]["_id"])):
            await self._set_aside(documents[0], self._suspects.reason)
            return 1
        started = time.perf_counter()  # after the read: an empty read is not a fold
        batch = read_batch(documents, self._zone)
        await self._set_aside_unreadable(batch)
        fresh = await self._claims.claim(batch.event_ids, self._next_seq)
        await load_names(self.c, self._names, batch.scopes(self._zone))
        await self._lease.check()  # no write renewed it while the documents were read
        phases = {"claim": time.perf_counter()}
        plan = plan_fold(
            self._next_seq, batch, fresh, self._recent_ids, self._sessions, self._zone, self._names
        )
        await self._commit(plan)
        phases["commit"] = time.perf_counter()
        await self._apply(plan.work, guarded=False, phases=phases)
        self._names.add(plan.admitted)
        self._recent_ids.add(plan.view_ids)
        self._next_seq = plan.work.seq + 1
        _report(plan, started, phases)
        return len(documents)

    async def _take(self) -> list[Document]:
        """The inbox documents of the next fold (only the first while one is suspected).

        Their sizes first, then the chosen ones: a backlog of large documents read in one
        go would make a reply larger than the driver takes (FerretDB does not cut a batch
        at 16 MB as MongoDB does), and the fold would fail on it again and again."""
        chosen: list[str] = []
        taken_views = 0
        limit = 1 if self._suspects.narrowed else INBOX_READ
        async with self.c.inbox.find({}, {"n": 1}).limit(limit) as cursor:
            async for sized in cursor:
                if chosen and taken_views + int(sized["n"]) > self._views_now:
                    break
                chosen.append(sized["_id"])
                taken_views += int(sized["n"])
        # One by one: FerretDB finds a single `_id` by its index, but scans for `$in`.
        found = [await self.c.inbox.find_one({"_id": key}) for key in chosen]
        documents = [document for document in found if document is not None]
        self._taken = [str(document["_id"]) for document in documents]
        return documents

    async def _commit(self, plan: FoldPlan) -> None:
        """Insert the fold record: from then on the fold counts, applied or not yet."""
        seq = plan.work.seq
        if not await self._lease.held():
            raise LeaseLost(f"lease lost before fold {seq}")
        record = record_document(plan, datetime.now(UTC))
        if not await insert_or_ignore(self.c.fold_records(seq), record, self._lease.check):
            raise LeaseLost(f"fold {seq} was committed by another replica")

    async def _apply(self, work: Work, guarded: bool, phases: Phases | None = None) -> None:
        await self._applier.apply(work, self._sessions, guarded, phases)

    async def _set_aside_unreadable(self, batch: Batch) -> None:
        for unreadable in batch.unreadable_documents:
            await self._set_aside(unreadable.document, unreadable.reason)
        for item in batch.unreadable_messages:
            await self._quarantine.put(
                "fold-message", item.event_id, {"views": item.raw}, item.reason
            )

    async def _set_aside(self, document: Document, reason: str) -> None:
        """Quarantine an inbox document, then take it out of the inbox."""
        item = {key: value for key, value in document.items() if key != "p"}
        item["p"] = base64.b64encode(bytes(document.get("p", b""))).decode()
        await self._quarantine.put("inbox", str(document["_id"]), item, reason)
        doc_id = document["_id"]
        await write(lambda: self.c.inbox.delete_one({"_id": doc_id}), self._lease.check)
        self._suspects.cleared()

    async def _prune(self) -> None:
        """Drop whole collections of days gone by: nothing here scans a growing collection."""
        if time.monotonic() - self._pruned_at < PRUNE_EVERY_SECONDS:
            return
        self._pruned_at = time.monotonic()
        yesterday = self._today() - timedelta(days=1)
        self._sessions.forget_before(yesterday)
        self._names = KnownNames()  # past days' names are read again if a late view comes
        await self._drop_before(layout.VISITORS_PREFIX, layout.visitors_name(yesterday))
        await self._claims.prune()
        if self._next_seq is not None:
            oldest_seq = (
                self._next_seq - (RECORD_COLLECTIONS_KEPT - 1) * layout.FOLDS_PER_COLLECTION
            )
            await self._drop_before(layout.FOLDS_PREFIX, layout.fold_records_name(oldest_seq))

    async def _drop_before(self, prefix: str, oldest_kept: str) -> None:
        for name in await self.c.db.list_collection_names():
            if name.startswith(prefix) and name < oldest_kept:
                await self.c.db.drop_collection(name)

    def _today(self) -> date:
        return datetime.now(self._zone).date()


def _report(plan: FoldPlan, started: float, phases: Phases) -> None:
    log.debug(
        "fold.done",
        seq=plan.work.seq,
        messages=plan.messages,
        views=plan.counted_views,
        ms={name: round((at - started) * 1000, 1) for name, at in phases.items()},
    )
    FOLD_SECONDS.observe(time.perf_counter() - started)
    FOLDED_MESSAGES.labels("counted").inc(plan.counted_messages)
    FOLDED_MESSAGES.labels("duplicate").inc(plan.messages - plan.counted_messages)
    FOLDED_VIEWS_DUPLICATE.inc(plan.claimed_views - plan.counted_views)
    FOLDED_VIEWS.inc(plan.folded_views)
