"""Sections are data content owns: an administrator creates, renames, reorders, hides and
removes them through the API, and every replica's navigation, lists and articles follow
within seconds; a section with articles keeps its slug; `section.changed` is announced."""

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.content_support import (
    AUTH,
    Client,
    Probe,
    drop_topology,
    error_of,
    publish,
    replica,
    settings_for,
)
from tests.support import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
async def pair(exchange: str, db_name: str, amqp: Any) -> AsyncIterator[tuple[Client, Client]]:
    settings = settings_for(db_name, exchange, site_poll_seconds=0.5)
    async with replica(settings) as first, replica(settings) as second:
        yield first, second
    await drop_topology(amqp, exchange)


async def sections_of(client: Client) -> dict[str, Any]:
    response = await client.get("/api/editor/sections", headers=AUTH)
    assert response.status == 200, await response.text()
    found: dict[str, Any] = await response.json()
    return found


async def test_an_administrator_reshapes_the_sections_and_every_replica_follows(
    pair: tuple[Client, Client], amqp: Any, exchange: str
) -> None:
    first, second = pair
    announced = await Probe.bind(amqp, exchange, "section.changed")
    notice = await publish(first, "Thông báo lịch tiếp công dân", section="thong-bao")
    before = await sections_of(first)
    assert before["revision"] == 0 and len(before["sections"]) == 6  # a new portal's list
    listed = {s["slug"]: s for s in before["sections"]}

    change = [
        {"slug": "doi-ngoai", "name": "Đối ngoại"},  # new, and first
        {**listed["thong-bao"], "name": "Thông báo - Hướng dẫn"},  # renamed
        {**listed["tin-tuc-su-kien"]},
        {**listed["van-ban-phap-luat"], "hidden": True},  # hidden
        {**listed["dan-van"]},
        # "bien-gioi-bien-dao" and "chi-dao-dieu-hanh" (no articles) removed
    ]
    body = {"revision": 0, "sections": change}
    response = await first.put("/api/editor/sections", json=body, headers=AUTH)
    assert response.status == 200, await response.text()
    assert (await response.json())["revision"] == 1

    async def follows() -> bool:
        public = await (await second.get("/api/sections")).json()
        return [s["slug"] for s in public["items"]] == [
            "doi-ngoai",
            "thong-bao",
            "tin-tuc-su-kien",
            "dan-van",
        ]

    await eventually(follows, what="the second replica's sections")
    home = await (await second.get("/")).text()
    assert "Đối ngoại" in home and "Thông báo - Hướng dẫn" in home
    assert "Văn bản pháp luật" not in home and "Biên giới, biển đảo" not in home
    assert (await second.get("/chuyen-muc/van-ban-phap-luat")).status == 404  # hidden
    assert (await second.get("/chuyen-muc/doi-ngoai")).status == 200
    article = await (await second.get(f"/api/articles/{notice['slug']}")).json()
    assert article["section"] == "Thông báo - Hướng dẫn"  # renamed in what readers see

    # Filing follows the list: the new section (by slug or name) yes, a removed one no.
    made = await publish(second, "Hợp tác hữu nghị", section="Đối ngoại")
    assert made["section_slug"] == "doi-ngoai"
    refused = await second.post(
        "/api/articles", json={"title": "x", "section": "bien-gioi-bien-dao"}, headers=AUTH
    )
    assert refused.status == 422
    assert [d["field"] for d in (await error_of(refused))["details"]] == ["section"]

    messages = await eventually(announced.drain, what="section.changed on the bus")
    assert {m["data"]["revision"] for m in messages} == {1}
    assert messages[0]["data"]["catalogue"]["sections"][0]["slug"] == "doi-ngoai"


async def test_a_section_with_articles_keeps_its_slug_and_bad_changes_are_refused(
    pair: tuple[Client, Client],
) -> None:
    first, _ = pair
    await publish(first, "Tin có chuyên mục", section="dan-van")
    current = (await sections_of(first))["sections"]

    without = [s for s in current if s["slug"] != "dan-van"]
    removed = await first.put("/api/editor/sections", json={"sections": without}, headers=AUTH)
    assert removed.status == 409
    assert (await error_of(removed))["details"] == ["dan-van"]
    reslugged = [
        {**s, "slug": "cong-tac-dan-van"} if s["slug"] == "dan-van" else s for s in current
    ]
    moved = await first.put("/api/editor/sections", json={"sections": reslugged}, headers=AUTH)
    assert moved.status == 409

    twice = [*current, current[0]]
    duplicate = await first.put("/api/editor/sections", json={"sections": twice}, headers=AUTH)
    assert duplicate.status == 422
    for bad in ({"slug": "Có dấu", "name": "x"}, {"slug": "ok", "name": ""}, {"slug": "ok"}):
        response = await first.put(
            "/api/editor/sections", json={"sections": [*current, bad]}, headers=AUTH
        )
        assert response.status == 422, bad

    hidden = [{**s, "hidden": s["slug"] == "dan-van"} for s in current]
    saved = await first.put(
        "/api/editor/sections", json={"revision": 0, "sections": hidden}, headers=AUTH
    )
    assert saved.status == 200  # hiding it is how a section with articles leaves the site
    stale = await first.put(
        "/api/editor/sections", json={"revision": 0, "sections": current}, headers=AUTH
    )
    assert stale.status == 409

    assert (await first.put("/api/editor/sections", json={"sections": current})).status == 401
    made = await first.post(
        "/api/editor/tokens", json={"name": "Biên tập", "role": "editor"}, headers=AUTH
    )
    editor = {"Authorization": f"Bearer {(await made.json())['token']}"}
    forbidden = await first.put("/api/editor/sections", json={"sections": current}, headers=editor)
    assert forbidden.status == 403
