"""The read cache with a fake store: paging, filters, search order, stale reads, redirects."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.content.adapters.store import from_document
from services.content.domain.article import Article
from services.content.domain.search import article_tokens
from services.content.usecases.read_values import Redirect, decode_cursor, encode_cursor
from services.content.usecases.reading import ArticleReader
from shared.contracts.errors import Malformed

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def article(n: int, **fields: Any) -> dict[str, Any]:
    title = fields.pop("title", f"Tin số {n}")
    document = {
        "_id": f"id{n}",
        "slug": f"tin-{n}",
        "title": title,
        "lead": "",
        "body": f"<p>Nội dung {n}</p>",
        "section": "tin-tuc-su-kien",
        "tags": [],
        "authors": ["A"],
        "status": "published",
        "revision": 2,
        "published_at": T0 + timedelta(minutes=n),
        "updated_at": T0 + timedelta(minutes=n),
        "created_at": T0,
        **fields,
    }
    document["search_tokens"] = article_tokens(title, document["lead"], "", [], [])
    return document


class FakeStore:
    def __init__(self, *documents: dict[str, Any]) -> None:
        self.documents = {d["_id"]: d for d in documents}
        self.slugs: dict[str, str] = {d["slug"]: d["_id"] for d in documents}
        self.finds = 0

    def url_for(self, slug: str) -> str:
        return f"http://portal.test/articles/{slug}"

    async def live_summaries(self) -> list[Article]:
        live = (d for d in self.documents.values() if d["status"] == "published")
        return [from_document(d) for d in live]

    async def find(self, article_id: str) -> Article | None:
        self.finds += 1
        found = self.documents.get(article_id)
        return None if found is None else from_document(found)

    async def slug_owner(self, slug: str) -> str | None:
        return self.slugs.get(slug)


async def reader_of(*documents: dict[str, Any]) -> tuple[ArticleReader, FakeStore]:
    store = FakeStore(*documents)
    reader = ArticleReader(store)  # type: ignore[arg-type]
    await reader.load_all()
    return reader, store


async def test_pages_follow_the_cursor_newest_first() -> None:
    reader, _ = await reader_of(*(article(n) for n in range(7)))
    first = await reader.latest(limit=3)
    assert [item.id for item in first.items] == ["id6", "id5", "id4"]
    assert first.next_cursor is not None
    second = await reader.latest(limit=3, cursor=first.next_cursor)
    assert [item.id for item in second.items] == ["id3", "id2", "id1"]
    third = await reader.latest(limit=3, cursor=second.next_cursor)
    assert [item.id for item in third.items] == ["id0"]
    assert third.next_cursor is None


async def test_section_and_tag_filters() -> None:
    reader, _ = await reader_of(
        article(1, section="thong-bao"),
        article(2, tags=[{"slug": "bien-dao", "name": "Biển đảo"}]),
        article(3),
    )
    notices = await reader.latest(limit=10, section="thong-bao")
    assert [item.id for item in notices.items] == ["id1"]
    assert notices.items[0].section == "Thông báo"
    tagged = await reader.latest(limit=10, tag="bien-dao")
    assert [item.id for item in tagged.items] == ["id2"]
    counts = {s.slug: s.count for s in await reader.sections()}
    assert (counts["thong-bao"], counts["tin-tuc-su-kien"]) == (1, 2)


def test_a_forged_cursor_is_a_bad_request() -> None:
    assert decode_cursor(encode_cursor((-1.5, "abc"))) == (-1.5, "abc")
    with pytest.raises(Malformed):
        decode_cursor("!!!")
    with pytest.raises(Malformed):
        decode_cursor("bm8tc2VwYXJhdG9y")  # "no-separator"


async def test_search_ranks_by_match_then_recency() -> None:
    reader, _ = await reader_of(
        article(1, title="Công tác dân vận"),
        article(2, title="Hội nghị", lead="Bàn về dân vận"),
        article(3, title="Dân vận khéo"),
    )
    found = await reader.search("DAN VAN")
    assert [item.id for item in found] == ["id3", "id1", "id2"]
    assert await reader.search("   ") == []


async def test_other_news_is_the_same_section_without_the_article() -> None:
    reader, _ = await reader_of(article(1), article(2), article(3, section="thong-bao"))
    current = await reader.by_slug("tin-2")
    assert current is not None and not isinstance(current, Redirect)
    assert [item.id for item in await reader.other_news(current)] == ["id1"]


async def test_bodies_are_cached_until_the_article_changes() -> None:
    reader, store = await reader_of(article(1))
    first = await reader.by_slug("tin-1")
    await reader.by_slug("tin-1")
    assert store.finds == 1
    store.documents["id1"] = article(1, revision=3, lead="Mới")
    await reader.refresh("id1")
    again = await reader.by_slug("tin-1")
    assert first is not None and again is not None and not isinstance(again, Redirect)
    assert again.lead == "Mới"


async def test_an_older_read_never_replaces_a_newer_one() -> None:
    reader, store = await reader_of(article(1, revision=5, lead="Mới"))
    store.documents["id1"] = article(1, revision=4, lead="Cũ")  # a slow, stale read
    await reader.refresh("id1")
    assert [item.lead for item in (await reader.latest(limit=1)).items] == ["Mới"]


async def test_unpublished_goes_and_an_old_slug_redirects() -> None:
    reader, store = await reader_of(article(1), article(2))
    store.documents["id1"] = article(1, status="unpublished", revision=3)
    await reader.refresh("id1")
    assert await reader.by_slug("tin-1") is None
    assert [item.id for item in (await reader.latest(limit=5)).items] == ["id2"]
    store.documents["id2"] = article(2, slug="tin-hai", revision=3)
    store.slugs["tin-hai"] = "id2"
    await reader.refresh("id2")
    assert await reader.by_slug("tin-2") == Redirect("tin-hai")
    assert await reader.by_slug("khong-co") is None


async def test_generation_moves_on_every_change() -> None:
    reader, store = await reader_of(article(1))
    before = reader.generation
    store.documents["id1"] = article(1, revision=3)
    await reader.refresh("id1")
    assert reader.generation > before
    unchanged = reader.generation
    await reader.refresh("id1")
    assert reader.generation == unchanged
