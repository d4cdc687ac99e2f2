"""The site's identity is settings, not code: changed by an administrator through the API, it
shows on every replica's pages and feeds within seconds, without a restart, and is
announced as `site.updated` for the notifier."""

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shared.presentation.vietnamese import date_line
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

NEW = {
    "name": "Cổng thông tin điện tử Sở Ngoại vụ",
    "organisation": "Sở Ngoại vụ tỉnh Quảng Trị",
    "address": "Số 2 Hùng Vương, Đông Hà",
    "telephone": "0233 3555 555",
    "email": "songoaivu@quangtri.example",
    "logo_url": "/static/logo.png",
    "footer_text": "Giấy phép số 01/GP-STTTT.\nGhi rõ nguồn khi phát hành lại.",
    "time_zone": "Asia/Tokyo",
}


@pytest.fixture
async def pair(exchange: str, db_name: str, amqp: Any) -> AsyncIterator[tuple[Client, Client]]:
    # The second replica reads the identity every 0.5 s: the event is not its only way.
    settings = settings_for(db_name, exchange, site_poll_seconds=0.5)
    async with replica(settings) as first, replica(settings) as second:
        yield first, second
    await drop_topology(amqp, exchange)


async def site_of(client: Client) -> dict[str, Any]:
    response = await client.get("/api/site")
    assert response.status == 200
    found: dict[str, Any] = await response.json()
    return found


async def test_an_administrator_renames_the_site_and_every_replica_shows_it(
    pair: tuple[Client, Client], amqp: Any, exchange: str
) -> None:
    first, second = pair
    announced = await Probe.bind(amqp, exchange, "site.updated")
    before = await site_of(first)
    assert before["revision"] == 0  # the environment's defaults
    assert before["identity"]["organisation"] == "Ban Dân vận Tỉnh ủy"
    article = await publish(first, "Tin đầu tiên của Sở")
    home_before = await (await second.get("/")).text()  # cached on the second replica
    assert "Ban Dân vận Tỉnh ủy" in home_before

    response = await first.put("/api/site", json={**NEW, "revision": 0}, headers=AUTH)
    assert response.status == 200, await response.text()
    assert (await response.json())["revision"] == 1

    async def renamed() -> bool:
        return bool((await site_of(second))["revision"] == 1)

    await eventually(renamed, what="the second replica to serve revision 1")
    home = await (await second.get("/")).text()
    assert "Sở Ngoại vụ tỉnh Quảng Trị" in home and "Ban Dân vận Tỉnh ủy" not in home
    assert "0233 3555 555" in home and "Ghi rõ nguồn khi phát hành lại." in home
    assert 'src="/static/logo.png"' in home
    feed = await (await second.get("/rss.xml")).text()
    assert f"<title>{NEW['name']} – {NEW['organisation']}</title>" in feed
    # Dates in the new zone: the date line and the JSON-LD read 2 hours later than Hà Nội.
    page = await (await second.get(f"/articles/{article['slug']}")).text()
    published = datetime.fromisoformat(article["published_at"])
    assert date_line(published, ZoneInfo("Asia/Tokyo")) in page
    assert published.astimezone(ZoneInfo("Asia/Tokyo")).isoformat(timespec="seconds") in page
    assert NEW["organisation"] in page

    # Announced (a replica that saw it unannounced may announce it too: the notifier keeps
    # the newest revision, so a second copy changes nothing).
    messages = await eventually(announced.drain, what="site.updated on the bus")
    assert {message["type"] for message in messages} == {"site.updated"}
    assert {message["data"]["revision"] for message in messages} == {1}
    assert messages[0]["data"]["identity"]["organisation"] == NEW["organisation"]


async def test_a_stale_or_bad_change_is_refused_and_only_administrators_may_make_one(
    pair: tuple[Client, Client],
) -> None:
    first, second = pair
    assert (await first.put("/api/site", json=NEW, headers=AUTH)).status == 200
    stale = await second.put("/api/site", json={**NEW, "revision": 0}, headers=AUTH)
    assert stale.status == 409
    assert (await error_of(stale))["code"] == "conflict"

    for field, value in (
        ("email", "không phải email"),
        ("time_zone", "Asia/Atlantis"),
        ("name", "Tên\nhai dòng"),
        ("name", ""),
        ("logo_url", "javascript:alert(1)"),
        ("organisation", "x" * 1000),
    ):
        bad = await first.put("/api/site", json={**NEW, field: value}, headers=AUTH)
        assert bad.status == 422, (field, value, bad.status)
        assert field in {detail["field"] for detail in (await error_of(bad))["details"]}
    unknown = await first.put("/api/site", json={**NEW, "colour": "đỏ"}, headers=AUTH)
    assert unknown.status == 422

    assert (await first.put("/api/site", json=NEW)).status == 401
    made = await first.post(
        "/api/editor/tokens", json={"name": "Biên tập", "role": "editor"}, headers=AUTH
    )
    editor = {"Authorization": f"Bearer {(await made.json())['token']}"}
    assert (await first.put("/api/site", json=NEW, headers=editor)).status == 403
    assert (await site_of(first))["revision"] == 1
