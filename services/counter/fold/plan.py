"""The fold's decisions, pure: what a batch of inbox documents claims, counts and writes.

`read_batch` says which messages to claim and what to set aside; once the claims are made,
`plan_fold` says what the fold adds (its `Work`, committed in its record, then applied).
Both are computed from their inputs alone: no database, no clock, no state changed.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from services.counter.adapters.records import Unreadable, unpack_checked
from services.counter.domain import layout
from services.counter.domain.breakdowns import KnownNames, Scope
from services.counter.domain.view_ids import RecentViewIds
from services.counter.domain.visits import Sessions, View, VisitorDay, Visits
from services.counter.fold.tally import Delta, fold_views
from shared.platform.db import Document

Message = tuple[str, list[View]]  # (event id, its views)


@dataclass(frozen=True)
class UnreadableDocument:
    """An inbox document that cannot be read at all: set aside whole."""

    document: Document
    reason: str


@dataclass(frozen=True)
class Batch:
    """Inbox documents as read: their messages, and what of them cannot be read."""

    taken: list[str]  # the ids of every document taken, readable or not
    messages: list[Message]
    unreadable_documents: list[UnreadableDocument]
    unreadable_messages: list[Unreadable]

    @property
    def event_ids(self) -> list[str]:
        """What to claim: each message once, in inbox order."""
        return list(dict.fromkeys(event_id for event_id, _ in self.messages))

    def scopes(self, zone: ZoneInfo) -> set[Scope]:
        """The day documents whose breakdowns these views may count into."""
        days = {view.at.astimezone(zone).date() for _, views in self.messages for view in views}
        return {(layout.DAY_TABLES, day.isoformat()) for day in days}


def read_batch(documents: list[Document], zone: ZoneInfo) -> Batch:
    """The messages of these documents; what cannot be read is to be set aside at once (the
    same bytes fail the same way every time) and the rest folded."""
    messages: list[Message] = []
    unreadable_documents: list[UnreadableDocument] = []
    unreadable_messages: list[Unreadable] = []
    for document in documents:
        try:
            readable, unreadable = unpack_checked(document, zone)
        except Exception as error:  # the document as a whole is unreadable
            unreadable_documents.append(UnreadableDocument(document, repr(error)))
            continue
        unreadable_messages.extend(unreadable)
        messages.extend(readable)
    taken = [str(document["_id"]) for document in documents]
    return Batch(taken, messages, unreadable_documents, unreadable_messages)


@dataclass(frozen=True)
class Work:
    """What a committed fold writes: each aggregate document's increments, the visit state
    it changed, and the inbox documents it took."""

    seq: int
    taken: list[str]
    deltas: list[Delta]
    visitors: list[tuple[date, str, Visits]]

    def sessions(self) -> dict[VisitorDay, Visits]:
        return {(day, visitor): runs for day, visitor, runs in self.visitors}

    def visitors_by_day(self) -> dict[date, list[tuple[str, Visits]]]:
        by_day: dict[date, list[tuple[str, Visits]]] = {}
        for day, visitor, runs in self.visitors:
            by_day.setdefault(day, []).append((visitor, runs))
        return by_day


@dataclass(frozen=True)
class FoldPlan:
    """One fold: its work, what it counted (for its record) and how much (for metrics)."""

    work: Work
    events: list[str]  # the messages this fold claimed: it counted each
    view_ids: list[str]  # the view ids it counted, remembered against resent beacons
    messages: int
    counted_messages: int
    claimed_views: int
    counted_views: int
    folded_views: int  # human and bot views added to the figures
    admitted: dict[tuple[Scope, str], set[str]]  # breakdown names new to their documents


def plan_fold(
    seq: int,
    batch: Batch,
    fresh: set[str],
    recent_ids: RecentViewIds,
    sessions: Sessions,
    zone: ZoneInfo,
    known: KnownNames,
) -> FoldPlan:
    """Fold `seq`: the claimed (`fresh`) messages of the batch, once each, less the views
    whose id was counted lately, counted against the sessions (none of which it changes)."""
    claimed = list(_claimed_views(batch.messages, fresh))
    counted_messages = len({event_id for event_id, _ in batch.messages if event_id in fresh})
    views = recent_ids.unseen(claimed)  # a beacon the gateway sent twice: once
    result = fold_views(views, sessions, zone)
    admitter = known.admitter()
    work = Work(
        seq=seq,
        taken=batch.taken,
        deltas=result.deltas(admitter),
        visitors=[(day, visitor, runs) for (day, visitor), runs in result.seen.items()],
    )
    return FoldPlan(
        work=work,
        events=sorted(fresh),
        view_ids=[view.view_id for view in views if view.view_id is not None],
        messages=len(batch.messages),
        counted_messages=counted_messages,
        claimed_views=len(claimed),
        counted_views=len(views),
        folded_views=result.total.views + result.total.bot_views,
        admitted=admitter.admitted,
    )


def _claimed_views(messages: list[Message], fresh: set[str]) -> Iterable[View]:
    counted: set[str] = set()
    for event_id, views in messages:
        if event_id in fresh and event_id not in counted:  # twice in the inbox: once
            counted.add(event_id)
            yield from views
