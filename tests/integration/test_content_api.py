"""The content HTTP API on the real database and broker: statuses and JSON error bodies."""

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.content_support import (
    AUTH,
    SECTION,
    Client,
    act,
    create,
    drop_topology,
    error_of,
    publish,
    replica,
    settings_for,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(exchange: str, db_name: str, amqp: Any) -> AsyncIterator[Client]:
    async with replica(settings_for(db_name, exchange)) as client:
        yield client
    await drop_topology(amqp, exchange)


async def test_write_api_needs_a_token_and_the_right_role(client: Client) -> None:
    response = await client.post("/api/articles", json={"title": "x", "section": SECTION})
    assert response.status == 401
    assert (await error_of(response))["code"] == "unauthorized"
    wrong = {"Authorization": "Bearer not-the-token"}
    assert (await client.post("/api/articles", json={}, headers=wrong)).status == 401
    assert (await client.get("/api/editor/articles", headers=wrong)).status == 401

    made = await client.post(
        "/api/editor/tokens", json={"name": "Nguyễn Văn A", "role": "editor"}, headers=AUTH
    )
    assert made.status == 201
    editor = {"Authorization": f"Bearer {(await made.json())['token']}"}
    me = await (await client.get("/api/editor/me", headers=editor)).json()
    assert me == {"name": "Nguyễn Văn A", "role": "editor", "email": None, "id": None}
    # An editor may write but not make tokens: 403, not 401.
    refused = await client.post("/api/editor/tokens", json={"name": "b"}, headers=editor)
    assert refused.status == 403
    assert (await error_of(refused))["code"] == "forbidden"
    article = await create_as(client, editor, "Bài của biên tập viên")
    assert article["created_by"] == "Nguyễn Văn A"


async def create_as(client: Client, headers: dict[str, str], title: str) -> dict[str, object]:
    response = await client.post(
        "/api/articles", json={"title": title, "section": SECTION}, headers=headers
    )
    assert response.status == 201
    result: dict[str, object] = await response.json()
    return result


async def test_bad_bodies_get_400_413_or_422_with_the_fields(client: Client) -> None:
    response = await client.post(
        "/api/articles", data="{oops", headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status == 400
    response = await client.post("/api/articles", json={"title": ""}, headers=AUTH)
    assert response.status == 422
    fields = {detail["field"] for detail in (await error_of(response))["details"]}
    assert fields == {"title", "section"}
    response = await client.post(
        "/api/articles", json={"title": "x", "section": "khong-co"}, headers=AUTH
    )
    assert response.status == 422
    response = await client.post("/api/articles", json={"title": "x" * 1_000_000}, headers=AUTH)
    assert response.status == 413


async def test_a_draft_is_hidden_until_published(client: Client) -> None:
    article = await create(client, "Hội nghị Đà Nẵng", lead="Tóm tắt", tags=["Biển đảo"])
    assert article["slug"] == "hoi-nghi-da-nang"
    assert article["status"] == "draft"
    assert (await client.get("/api/articles/hoi-nghi-da-nang")).status == 404

    published = await act(client, article["id"], "publish")
    assert published["status"] == "published"
    response = await client.get("/api/articles/hoi-nghi-da-nang")
    assert response.status == 200
    body = await response.json()
    assert body["title"] == "Hội nghị Đà Nẵng"
    assert body["section"] == "Tin tức - Sự kiện"
    assert body["tags"] == [{"slug": "bien-dao", "name": "Biển đảo"}]
    listed = await (await client.get("/api/articles?limit=5")).json()
    assert [item["id"] for item in listed["items"]] == [article["id"]]
    by_tag = await (await client.get("/api/articles?tag=bien-dao")).json()
    assert [item["id"] for item in by_tag["items"]] == [article["id"]]
    other_section = await (await client.get("/api/articles?section=thong-bao")).json()
    assert other_section["items"] == []


async def test_unknown_article_bad_limits_and_operators(client: Client) -> None:
    response = await client.post("/api/articles/nope/publish", headers=AUTH)
    assert response.status == 404
    assert (await error_of(response))["code"] == "not_found"
    assert (await client.get("/api/articles?limit=0")).status == 422
    assert (await client.get("/api/articles?limit=51")).status == 422
    assert (await client.get("/api/articles?limit=abc")).status == 422
    for query in ("section[$ne]=x", "tag.$gt=", "limit=1&limit=2", "q[$regex]=a"):
        response = await client.get(f"/api/articles?{query}")
        assert response.status == 400, query
    assert (await client.get('/api/search?q={"$ne": null}')).status == 200
    for cursor in ("not-a-cursor", "bmFufHg", "aW5mfHg"):  # the last two: "nan|x", "inf|x"
        assert (await client.get(f"/api/articles?cursor={cursor}")).status == 400, cursor


async def test_life_cycle_conflicts_are_409(client: Client) -> None:
    article = await create(client, "Vòng đời bài viết")
    response = await client.post(f"/api/articles/{article['id']}/unpublish", headers=AUTH)
    assert response.status == 409
    assert (await error_of(response))["code"] == "conflict"
    stale = await client.patch(
        f"/api/articles/{article['id']}", json={"lead": "mới", "revision": 99}, headers=AUTH
    )
    assert stale.status == 409
    other = await create(client, "Bài khác")
    taken = await client.patch(
        f"/api/articles/{other['id']}", json={"slug": article["slug"]}, headers=AUTH
    )
    assert taken.status == 409
    # A time with no UTC equivalent is a bad request, not a crash.
    for when in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):
        response = await client.post(
            f"/api/articles/{article['id']}/schedule", json={"publish_at": when}, headers=AUTH
        )
        assert response.status == 422, when


async def test_the_slug_holds_after_publishing_and_an_old_one_redirects(client: Client) -> None:
    draft = await create(client, "Tiêu đề tạm")
    renamed = await client.patch(
        f"/api/articles/{draft['id']}", json={"title": "Tiêu đề chính thức"}, headers=AUTH
    )
    assert (await renamed.json())["slug"] == "tieu-de-chinh-thuc"  # a draft's slug follows
    await act(client, draft["id"], "publish")
    edited = await client.patch(
        f"/api/articles/{draft['id']}", json={"title": "Tiêu đề đã sửa"}, headers=AUTH
    )
    assert (await edited.json())["slug"] == "tieu-de-chinh-thuc"  # a live one keeps it
    moved = await client.patch(
        f"/api/articles/{draft['id']}", json={"slug": "duong-dan-moi"}, headers=AUTH
    )
    assert (await moved.json())["slug"] == "duong-dan-moi"
    response = await client.get("/api/articles/tieu-de-chinh-thuc", allow_redirects=False)
    assert response.status == 301
    assert response.headers["Location"] == "/api/articles/duong-dan-moi"
    assert (await client.get("/api/articles/tieu-de-tam")).status == 404


async def test_etag_gives_304_and_changes_with_an_edit(client: Client) -> None:
    article = await publish(client, "Bài có ETag")
    url = f"/api/articles/{article['slug']}"
    first = await client.get(url)
    etag = first.headers["ETag"]
    assert "max-age" in first.headers["Cache-Control"]
    again = await client.get(url, headers={"If-None-Match": etag})
    assert again.status == 304
    assert again.headers["ETag"] == etag
    listing = await client.get("/api/articles")
    assert (
        await client.get("/api/articles", headers={"If-None-Match": listing.headers["ETag"]})
    ).status == 304

    await client.patch(f"/api/articles/{article['id']}", json={"lead": "Sửa"}, headers=AUTH)
    changed = await client.get(url, headers={"If-None-Match": etag})
    assert changed.status == 200
    assert (await changed.json())["lead"] == "Sửa"


async def test_editor_views_preview_and_history(client: Client) -> None:
    article = await create(client, "Bản nháp của tôi", body="<p>Đoạn</p><script>x</script>")
    assert article["body"] == "<p>Đoạn</p>"
    listed = await (await client.get("/api/editor/articles?status=draft", headers=AUTH)).json()
    assert [item["id"] for item in listed["items"]] == [article["id"]]
    one = await client.get(f"/api/editor/articles/{article['id']}", headers=AUTH)
    assert (await one.json())["status"] == "draft"
    preview = await client.post(
        "/api/editor/preview",
        json={"body": '<a href="javascript:x" onclick="y">a</a>'},
        headers=AUTH,
    )
    assert (await preview.json())["body"] == '<a rel="noopener noreferrer">a</a>'
    await act(client, article["id"], "publish")
    history = await client.get(f"/api/editor/articles/{article['id']}/history", headers=AUTH)
    actions = [(e["revision"], e["action"], e["by"]) for e in (await history.json())["items"]]
    assert actions == [(1, "create", "test script"), (2, "publish", "test script")]


async def test_search_ignores_case_and_diacritics(client: Client) -> None:
    first = await publish(client, "Đẩy mạnh công tác dân vận")
    second = await publish(client, "Hội nghị tại Đà Nẵng", lead="Công tác dân vận ở cơ sở")
    found = await (await client.get("/api/search?q=dan van")).json()
    # The phrase in the title ranks above the words in the lead, although that one is newer.
    assert [item["id"] for item in found["items"]] == [first["id"], second["id"]]
    found = await (await client.get("/api/search?q=DA NANG")).json()
    assert [item["id"] for item in found["items"]] == [second["id"]]
    assert (await (await client.get("/api/search?q=zzz")).json())["items"] == []


async def test_sections_and_other_news(client: Client) -> None:
    older = await publish(client, "Tin cũ")
    newer = await publish(client, "Tin mới")
    await publish(client, "Thông báo", section="thong-bao")
    sections = await (await client.get("/api/sections")).json()
    counts = {item["slug"]: item["count"] for item in sections["items"]}
    assert counts[SECTION] == 2
    assert counts["thong-bao"] == 1
    other = await (await client.get(f"/api/articles/{newer['slug']}/other")).json()
    assert [item["id"] for item in other["items"]] == [older["id"]]


async def test_beacon_is_refused_with_503_when_no_queue_takes_it(client: Client) -> None:
    # Nothing consumes page.viewed on this test's own exchange, so the broker returns the
    # message: the beacon must say so rather than pretend the view was recorded.
    response = await client.post("/api/views", data='{"path": "/"}')
    assert response.status == 503
    assert (await error_of(response))["code"] == "unavailable"
    response = await client.post("/api/views", data='{"path": "no-slash"}')
    assert response.status == 422


async def test_article_summaries_name_live_articles_only(client: Client) -> None:
    live = await act(client, (await create(client, "Tin có tên"))["id"], "publish")
    draft = await create(client, "Bản nháp")
    ids = f"{draft['id']},{live['id']},khong-co,{live['id']}"
    response = await client.get(f"/api/article-summaries?ids={ids}")
    assert response.status == 200
    items = (await response.json())["items"]
    assert [(item["id"], item["title"]) for item in items] == [(live["id"], "Tin có tên")]
    too_many = ",".join(f"a{n}" for n in range(101))
    for bad in (too_many, "", "a,,b", "a$ne", "a.b", "x" * 65):
        answer = await client.get("/api/article-summaries", params={"ids": bad})
        assert answer.status == 422, bad
        assert "error" in await answer.json()
