"""Two replicas keep their in-memory read caches right through each other's events."""

from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import pytest

from tests.content_support import (
    AUTH,
    Client,
    act,
    create,
    drop_topology,
    replica,
    settings_for,
)
from tests.support import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
async def pair(exchange: str, db_name: str, amqp: Any) -> AsyncIterator[tuple[Client, Client]]:
    # The periodic reload is pushed out of reach: only the events can refresh the reader.
    settings = settings_for(db_name, exchange, cache_reload_seconds=3600)
    async with replica(settings) as writer, replica(settings) as other:
        yield writer, other
    await drop_topology(amqp, exchange)


async def lead_on(client: Client, slug: str) -> str | None:
    response = await client.get(f"/api/articles/{slug}")
    return (await response.json())["lead"] if response.status == 200 else None


async def test_publish_edit_and_unpublish_reach_the_other_replica(
    pair: tuple[Client, Client],
) -> None:
    writer, other = pair
    article = await create(writer, "Tin trên hai máy", lead="Bản đầu")
    slug = article["slug"]
    assert await lead_on(other, slug) is None  # a draft: nobody serves it
    await act(writer, article["id"], "publish")
    await eventually(lambda: lead_on(other, slug), timeout=5, what="the publication on B")
    first = await other.get(f"/api/articles/{slug}")
    etag = first.headers["ETag"]

    await writer.patch(f"/api/articles/{article['id']}", json={"lead": "Bản sửa"}, headers=AUTH)
    assert await lead_on(writer, slug) == "Bản sửa"  # the writer sees its own edit at once

    async def edited_on_other() -> bool:
        return await lead_on(other, slug) == "Bản sửa"

    await eventually(edited_on_other, timeout=5, what="the edit on B")
    fresh = await other.get(f"/api/articles/{slug}", headers={"If-None-Match": etag})
    assert fresh.status == 200  # the old ETag no longer matches
    listed = await (await other.get("/api/articles")).json()
    assert [item["lead"] for item in listed["items"]] == ["Bản sửa"]

    await act(writer, article["id"], "unpublish")

    async def gone_on_other() -> bool:
        return (await other.get(f"/api/articles/{slug}")).status == 404

    await eventually(gone_on_other, timeout=5, what="the unpublication on B")
    assert (await (await other.get("/api/articles")).json())["items"] == []


async def page_on(client: Client, path: str) -> tuple[int, str]:
    response = await client.get(path)
    return response.status, await response.text()


async def test_cached_pages_follow_publish_edit_and_unpublish_on_both_replicas(
    pair: tuple[Client, Client],
) -> None:
    """Pages are rendered once per read-cache generation: each change must still show on
    the writer at once and on the other replica as soon as its event arrives."""
    writer, other = pair
    article = await create(writer, "Trang lưu đệm", lead="Bản đầu")
    path = f"/articles/{article['slug']}"
    for client in pair:  # rendered and cached before the article exists
        assert (await page_on(client, path))[0] == 404
        assert "Trang lưu đệm" not in (await page_on(client, "/"))[1]

    async def shows(client: Client, page: str, text: str, present: bool = True) -> bool:
        status, body = await page_on(client, page)
        return (status == 200 and text in body) == present

    await act(writer, article["id"], "publish")
    for client, name in ((writer, "writer"), (other, "other")):
        await eventually(partial(shows, client, path, "Bản đầu"), what=f"the page on {name}")
        await eventually(partial(shows, client, "/", "Trang lưu đệm"), what=f"home on {name}")

    first = await other.get(path)
    etag = first.headers["ETag"]
    assert (await other.get(path, headers={"If-None-Match": etag})).status == 304

    await writer.patch(f"/api/articles/{article['id']}", json={"lead": "Bản sửa"}, headers=AUTH)
    assert await shows(writer, path, "Bản sửa")  # the writer's own page at once
    await eventually(lambda: shows(other, path, "Bản sửa"), what="the edit on the other page")
    assert (await other.get(path, headers={"If-None-Match": etag})).status == 200

    await act(writer, article["id"], "unpublish")
    for client, name in ((writer, "writer"), (other, "other")):
        gone = partial(shows, client, "/", "Trang lưu đệm", present=False)
        await eventually(gone, what=f"home on {name}")
        assert (await page_on(client, path))[0] == 404
