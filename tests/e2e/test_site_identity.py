"""Another public body's portal, set up without editing code: an administrator gives the
site its identity through content's API, and the pages and the emails show it. The three
services run as processes on the real broker, database and SMTP server (Mailpit)."""

import uuid

import aiohttp
import pytest

from tests.e2e.conftest import ADMIN_TOKEN, EDITOR_TOKEN, System
from tests.support import Mailpit, eventually

pytestmark = pytest.mark.e2e

IDENTITY = {
    "name": "Cổng thông tin điện tử Sở Ngoại vụ",
    "organisation": "Sở Ngoại vụ tỉnh Quảng Trị",
    "address": "Số 2 Hùng Vương, Đông Hà",
    "telephone": "0233 3555 555",
    "email": "songoaivu@quangtri.example",
    "footer_text": "Ghi rõ nguồn khi phát hành lại thông tin từ cổng này.",
}


async def test_the_site_renamed_by_an_administrator_shows_on_pages_and_in_emails(
    system: System, http: aiohttp.ClientSession
) -> None:
    run = uuid.uuid4().hex[:6]
    editor = {"Authorization": f"Bearer {EDITOR_TOKEN}"}  # the bootstrap administrator
    async with http.get(f"{system.content}/api/site") as response:
        revision = (await response.json())["revision"]
    change = {**IDENTITY, "revision": revision}
    async with http.put(f"{system.content}/api/site", json=change, headers=editor) as response:
        assert response.status == 200, await response.text()

    home = await (await http.get(f"{system.content}/")).text()
    assert IDENTITY["organisation"] in home and IDENTITY["footer_text"] in home
    assert "Ban Dân vận Tỉnh ủy" not in home

    reader = f"ban-doc-{run}@example.vn"
    csv = f"email,sections,consent_source\n{reader},bien-gioi-bien-dao,cổng cũ\n"
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "text/csv"}
    url = f"{system.notifier}/api/subscribers/import"
    async with http.post(url, data=csv.encode(), headers=admin) as response:
        assert response.status == 200, await response.text()

    title = f"Hội nghị đối ngoại {run}"
    draft = {"title": title, "section": "bien-gioi-bien-dao", "lead": "Tóm tắt."}
    async with http.post(f"{system.content}/api/articles", json=draft, headers=editor) as response:
        article = await response.json()
    url = f"{system.content}/api/articles/{article['id']}/publish"
    async with http.post(url, headers=editor) as response:
        assert response.status == 200, await response.text()

    mailpit = Mailpit(http)
    [message] = await eventually(lambda: mailpit.messages_to(reader), what="the article's email")
    body = await mailpit.message(message["ID"])
    # The notifier heard site.updated before the article (one queue, in order).
    footer = f"{IDENTITY['name']} – {IDENTITY['organisation']}"
    assert footer in body["Text"] and footer in body["HTML"]


async def test_a_new_section_made_in_content_can_be_subscribed_to_at_the_notifier(
    system: System, http: aiohttp.ClientSession
) -> None:
    """Sections are content's data; the notifier learns them from `section.changed`."""
    editor = {"Authorization": f"Bearer {EDITOR_TOKEN}"}
    async with http.get(f"{system.content}/api/editor/sections", headers=editor) as response:
        current = await response.json()
    sections = [*current["sections"], {"slug": "hop-tac-quoc-te", "name": "Hợp tác quốc tế"}]
    hidden = [{**s, "hidden": s["slug"] == "thong-bao"} for s in sections]
    change = {"revision": current["revision"], "sections": hidden}
    url = f"{system.content}/api/editor/sections"
    async with http.put(url, json=change, headers=editor) as response:
        assert response.status == 200, await response.text()

    async def signs_up(section: str) -> int:
        body = {"email": f"ban-{uuid.uuid4().hex[:6]}@example.vn", "sections": [section]}
        async with http.post(f"{system.notifier}/api/subscribers", json=body) as response:
            return response.status

    async def known() -> bool:
        # Asked through the admin import (sign-ups are rate-limited per address).
        row = f"ban-{uuid.uuid4().hex[:6]}@example.vn,hop-tac-quoc-te,e2e"
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "text/csv"}
        data = f"email,sections,consent_source\n{row}\n".encode()
        url = f"{system.notifier}/api/subscribers/import"
        async with http.post(url, data=data, headers=admin) as response:
            return bool((await response.json())["imported"] == 1)

    await eventually(known, what="the notifier to know the new section")
    assert await signs_up("hop-tac-quoc-te") == 202
    assert await signs_up("thong-bao") == 422  # hidden: nobody takes it anew
    assert await signs_up("khong-co-chuyen-muc-nay") == 422
