"""The fold's plan, without a database: what a batch claims, counts and writes."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bson import Binary

from services.counter.adapters.records import inbox_document, pack_views
from services.counter.domain.breakdowns import KnownNames
from services.counter.domain.view_ids import RecentViewIds
from services.counter.domain.visits import Sessions
from services.counter.fold.plan import plan_fold, read_batch
from services.counter.fold.record import record_document, work_of
from shared.contracts.events import PageView

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
AT = datetime(2026, 4, 25, 3, 0, tzinfo=UTC)  # 10:00 in Hanoi


def page_views(visitor: str, count: int, view_id: str | None = None) -> list[list[object]]:
    return pack_views(
        [
            PageView(visitor=visitor, path="/", article_id="a1", viewed_at=AT, view_id=view_id)
            for _ in range(count)
        ]
    )


def test_a_batch_claims_each_message_once_and_sets_aside_what_cannot_be_read() -> None:
    readable = inbox_document([("e1", page_views("v" * 16, 2)), ("e2", page_views("w" * 16, 1))])
    again = inbox_document([("e1", page_views("v" * 16, 2)), ("bad", [["not", "a", "view"]])])
    corrupt = {"_id": "corrupt", "n": 1, "p": Binary(b"[not json")}
    batch = read_batch([readable, corrupt, again], HCM)
    assert batch.event_ids == ["e1", "e2"]
    assert batch.taken == [readable["_id"], "corrupt", again["_id"]]
    assert [item.document["_id"] for item in batch.unreadable_documents] == ["corrupt"]
    assert [item.event_id for item in batch.unreadable_messages] == ["bad"]


def test_the_plan_counts_claimed_messages_once_and_resent_view_ids_not_at_all() -> None:
    document = inbox_document(
        [
            ("e1", page_views("v" * 16, 2)),
            ("e1", page_views("v" * 16, 2)),  # redelivered into the same batch
            ("e2", page_views("w" * 16, 1, view_id="req-1")),
            ("e3", page_views("x" * 16, 1, view_id="req-2")),  # counted by an earlier fold
            ("e4", page_views("y" * 16, 5)),  # claimed by an earlier, committed fold
        ]
    )
    recent = RecentViewIds()
    recent.add(["req-2"])
    sessions = Sessions(timedelta(minutes=30))
    plan = plan_fold(
        7, read_batch([document], HCM), {"e1", "e2", "e3"}, recent, sessions, HCM, KnownNames()
    )
    assert (plan.messages, plan.counted_messages) == (5, 3)
    assert (plan.claimed_views, plan.counted_views, plan.folded_views) == (4, 3, 3)
    assert plan.events == ["e1", "e2", "e3"] and plan.view_ids == ["req-1"]
    deltas = {(name, key): incs for name, key, incs in plan.work.deltas}
    assert deltas[("totals", "total")] == {"views": 3, "visits": 2, "visitors": 2}
    assert deltas[("day_tables", "2026-04-25")]["a:a1"] == 3  # packed: the id as it is
    assert plan.work.seq == 7 and plan.work.taken == [document["_id"]]
    assert len(sessions) == 0  # the plan changes no state; applying the fold does
    day = date(2026, 4, 25)
    assert set(plan.work.sessions()) == {(day, "v" * 16), (day, "w" * 16)}


def test_the_record_holds_the_work_as_planned() -> None:
    document = inbox_document([("e1", page_views("v" * 16, 2))])
    sessions = Sessions(timedelta(minutes=30))
    plan = plan_fold(
        3, read_batch([document], HCM), {"e1"}, RecentViewIds(), sessions, HCM, KnownNames()
    )
    record = record_document(plan, AT)
    assert record["_id"] == 3 and record["events"] == ["e1"]
    assert work_of(record) == plan.work
