"""A beacon the gateway sent twice carries one view id: the fold counts it once."""

import time

from services.counter.adapters.records import inbox_document, pack_views, unpack_checked
from services.counter.domain.view_ids import RecentViewIds
from services.counter.domain.visits import View
from shared.contracts.events import PageView


def view(view_id: str | None, visitor: str = "v" * 32) -> View:
    return View(visitor, None, False, "Chrome", int(time.time() * 1000), view_id)


def test_a_view_id_is_counted_once_in_a_batch_and_across_batches() -> None:
    recent = RecentViewIds()
    first = recent.unseen([view("a"), view("a"), view("b"), view(None), view(None)])
    assert [v.view_id for v in first] == ["a", "b", None, None]
    recent.add(["a", "b"])
    assert [v.view_id for v in recent.unseen([view("a"), view("c")])] == ["c"]


def test_ids_older_than_the_window_are_forgotten() -> None:
    recent = RecentViewIds(window_seconds=60)
    now = time.time()
    recent.add(["old"], at=now - 120)
    recent.add(["new"], at=now)
    assert len(recent) == 1
    assert [v.view_id for v in recent.unseen([view("old"), view("new")])] == ["old"]


def test_views_stored_by_an_earlier_version_have_no_id() -> None:
    page_view = PageView(visitor="v" * 16, path="/", viewed_at="2026-11-30T03:00:00Z", view_id="r1")
    [packed] = pack_views([page_view])
    [(_, [with_id])] = unpack_checked(inbox_document([("e1", [packed])]))[0]
    assert with_id.view_id == "r1"
    # An earlier version packed five fields: no view id.
    [(_, [without])] = unpack_checked(inbox_document([("e2", [packed[:5]])]))[0]
    assert without.view_id is None and without.visitor == "v" * 16
