"""What the fold stores for itself, and reads back when a replica takes over: the fold
record (its commit: the work to apply, the messages and view ids it counted) and the visit
state of each fold, by local day."""

from datetime import UTC, date, datetime, timedelta

from pymongo.asynchronous.collection import AsyncCollection

from services.counter.adapters.records import pack, unpack_json
from services.counter.adapters.store import Collections
from services.counter.domain import layout
from services.counter.domain.view_ids import WINDOW_SECONDS, RecentViewIds
from services.counter.domain.visits import Sessions, Visits
from services.counter.fold.plan import FoldPlan, Work
from services.counter.fold.tally import Delta
from shared.platform.db import Document


def record_document(plan: FoldPlan, at: datetime) -> Document:
    """The fold record `_id = <seq>`: inserting it commits the fold."""
    work = plan.work
    return {
        "_id": work.seq,
        "at": at,
        "events": plan.events,
        "taken": work.taken,
        "ids": pack(plan.view_ids),  # read back by a new holder (RecentViewIds)
        # Packed: FerretDB stores no nested arrays, and nothing here is queried.
        "work": pack(
            {
                "deltas": [list(delta) for delta in work.deltas],
                "visitors": [[day.isoformat(), v, runs] for day, v, runs in work.visitors],
            }
        ),
    }


def work_of(record: Document) -> Work:
    """The work of a committed fold, from its record."""
    work = unpack_json(record["work"])
    return Work(
        seq=int(record["_id"]),
        taken=[str(document_id) for document_id in record["taken"]],
        deltas=[Delta(name, key, incs) for name, key, incs in work["deltas"]],
        visitors=[
            (date.fromisoformat(day), str(visitor), _runs(runs))
            for day, visitor, runs in work["visitors"]
        ],
    )


def visitors_document(seq: int, entries: list[tuple[str, Visits]]) -> Document:
    """One document per fold and day: later folds override earlier ones on restore."""
    return {"_id": seq, "r": pack(entries)}


async def load_sessions(collections: Collections, today: date, sessions: Sessions) -> None:
    """Fill `sessions` with the visits of today and yesterday, as the folds left them."""
    for day in (today - timedelta(days=1), today):
        visitors = collections.named(layout.visitors_name(day))
        for document in await _in_fold_order(visitors):
            entries = unpack_json(document["r"])
            sessions.update({(day, str(visitor)): _runs(runs) for visitor, runs in entries})


async def recall_view_ids(collections: Collections, applied: int) -> RecentViewIds:
    """The view ids the folds of the last window counted, from their records."""
    recent_ids = RecentViewIds()
    since = datetime.now(UTC) - timedelta(seconds=WINDOW_SECONDS)
    names = {
        collections.fold_records(max(applied - n, 0)).name for n in (0, layout.FOLDS_PER_COLLECTION)
    }
    for name in sorted(names):
        query = collections.named(name).find({"at": {"$gte": since}}, {"ids": 1, "at": 1})
        async for record in query:
            if "ids" in record:
                recent_ids.add(unpack_json(record["ids"]), record["at"].timestamp())
    return recent_ids


async def _in_fold_order(collection: AsyncCollection[Document]) -> list[Document]:
    documents = [document async for document in collection.find({})]
    return sorted(documents, key=lambda document: int(document["_id"]))


def _runs(runs: list[list[int]]) -> Visits:
    return [(int(start), int(end)) for start, end in runs]
