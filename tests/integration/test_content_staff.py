"""Staff accounts on the real servers: the first administrator, invitations and resets
mailed through the bus, sessions and CSRF, roles and review, removal, sign-in limits."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from pymongo.asynchronous.mongo_client import AsyncMongoClient

from services.content.entrypoints.keys import ACCOUNTS
from tests.content_support import (
    BOOTSTRAP,
    SECTION,
    Client,
    Probe,
    drop_topology,
    replica,
    settings_for,
)
from tests.staff_support import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    StaffSession,
    cookie_client,
    first_admin,
    sign_in,
)
from tests.support import eventually

pytestmark = pytest.mark.integration

PASSWORD = "một mật khẩu đủ dài 123"


@pytest.fixture
async def client(exchange: str, db_name: str, amqp: Any) -> AsyncIterator[Client]:
    async with replica(settings_for(db_name, exchange)) as client:
        yield client
    await drop_topology(amqp, exchange)


@pytest.fixture
async def mail(client: Client, amqp: Any, exchange: str) -> Probe:
    """What content asks the notifier to mail to staff (`staff.mail` events)."""
    return await Probe.bind(amqp, exchange, "staff.mail")


def base(client: Client) -> str:
    return str(client.make_url("")).rstrip("/")


async def secret_mailed_to(mail: Probe, email: str, kind: str) -> str:
    """The single-use secret in the newest link mailed to `email`."""

    async def mailed() -> str | None:
        for message in reversed(await mail.drain()):
            data = message["data"]
            if data["email"] == email and data["kind"] == kind:
                return str(data["link"]).rpartition("#")[2]
        return None

    found: str | None = await eventually(mailed, timeout=10, what=f"a {kind} mail to {email}")
    assert found is not None
    return found


async def invited(admin: StaffSession, mail: Probe, email: str, role: str) -> StaffSession:
    """Invite `email` as `role`, accept the mailed link in a new browser, signed in."""
    body = {"email": email, "name": f"Người {role}", "role": role}
    async with admin.http.post(
        f"{admin.base}/api/staff/invitations", json=body, headers=admin.csrf
    ) as response:
        assert response.status == 201, await response.text()
    secret = await secret_mailed_to(mail, email, "invitation")
    person = StaffSession(cookie_client(), admin.base)
    accept = {"token": secret, "password": PASSWORD}
    async with person.http.post(f"{admin.base}/api/staff/invitations/accept", json=accept) as r:
        assert r.status == 201, await r.text()
    return person


async def test_editor_token_makes_the_first_administrator_and_nothing_else(client: Client) -> None:
    async with cookie_client() as http:
        wrong = {"token": "x" * 30, "email": ADMIN_EMAIL, "name": "A", "password": PASSWORD}
        async with http.post(f"{base(client)}/api/staff/setup", json=wrong) as response:
            assert response.status == 403
        admin = await first_admin(http, base(client), BOOTSTRAP)
        async with http.get(f"{base(client)}/api/editor/me") as response:
            assert (await response.json())["role"] == "admin"
        again = {**wrong, "token": BOOTSTRAP, "email": "other@so.example.vn"}
        async with http.post(f"{base(client)}/api/staff/setup", json=again) as response:
            assert response.status == 409
        # The bootstrap token is no bearer token.
        headers = {"Authorization": f"Bearer {BOOTSTRAP}"}
        me = f"{base(client)}/api/editor/me"
        async with aiohttp.ClientSession() as bare, bare.get(me, headers=headers) as response:
            assert response.status == 401
        assert admin.csrf


async def test_a_cookie_write_without_the_csrf_token_is_refused(client: Client) -> None:
    async with cookie_client() as http:
        admin = await first_admin(http, base(client), BOOTSTRAP)
        draft = {"title": "Bài thử CSRF", "section": SECTION}
        url = f"{admin.base}/api/articles"
        async with http.post(url, json=draft) as response:
            assert response.status == 403
            assert "CSRF" in (await response.json())["error"]["message"]
        async with http.post(url, json=draft, headers={"X-CSRF-Token": "forged"}) as response:
            assert response.status == 403
        async with http.post(url, json=draft, headers=admin.csrf) as response:
            assert response.status == 201


async def test_a_contributor_submits_and_an_editor_approves_and_publishes(
    client: Client, mail: Probe
) -> None:
    async with cookie_client() as http:
        admin = await first_admin(http, base(client), BOOTSTRAP)
        writer = await invited(admin, mail, "ctv@so.example.vn", "contributor")
        editor = await invited(admin, mail, "btv@so.example.vn", "editor")
        try:
            draft = {"title": "Bài cộng tác viên", "section": SECTION, "body": "<p>Một</p>"}
            async with writer.http.post(
                f"{writer.base}/api/articles", json=draft, headers=writer.csrf
            ) as response:
                assert response.status == 201
                article = await response.json()
            path = f"{writer.base}/api/articles/{article['id']}"
            async with writer.http.post(f"{path}/publish", headers=writer.csrf) as response:
                assert response.status == 403  # a contributor cannot publish
            async with writer.http.post(f"{path}/submit", headers=writer.csrf) as response:
                assert (await response.json())["status"] == "review"
            queue_url = f"{editor.base}/api/editor/articles?status=review"
            async with editor.http.get(queue_url) as response:
                assert [a["id"] for a in (await response.json())["items"]] == [article["id"]]
            async with editor.http.post(f"{path}/publish", headers=editor.csrf) as response:
                published = await response.json()
            assert published["status"] == "published"
            assert published["approved_by"] == "Người editor"
            # Once published, it is no longer the contributor's to change.
            patch = {"title": "Đổi sau khi đăng"}
            async with writer.http.patch(path, json=patch, headers=writer.csrf) as response:
                assert response.status == 403
        finally:
            await writer.http.close()
            await editor.http.close()


async def test_a_removed_persons_sessions_stop_at_once(client: Client, mail: Probe) -> None:
    async with cookie_client() as http:
        admin = await first_admin(http, base(client), BOOTSTRAP)
        person = await invited(admin, mail, "roi-di@so.example.vn", "editor")
        async with person.http.get(f"{person.base}/api/editor/me") as response:
            member_id = (await response.json())["id"]
        async with http.delete(
            f"{admin.base}/api/staff/{member_id}", headers=admin.csrf
        ) as response:
            assert (await response.json())["active"] is False
        async with person.http.get(f"{person.base}/api/editor/articles") as response:
            assert response.status == 401
        body = {"email": "roi-di@so.example.vn", "password": PASSWORD}
        async with person.http.post(f"{person.base}/api/staff/sign-in", json=body) as response:
            assert response.status == 403
        await person.http.close()


async def test_wrong_passwords_are_limited_per_account(client: Client) -> None:
    async with cookie_client() as http:
        await first_admin(http, base(client), BOOTSTRAP)
        wrong = {"email": ADMIN_EMAIL, "password": "không phải mật khẩu"}
        statuses = []
        for _ in range(6):
            async with http.post(f"{base(client)}/api/staff/sign-in", json=wrong) as response:
                statuses.append(response.status)
        assert statuses == [403] * 5 + [429]
        # Now even the right password waits: the limit is what stops guessing.
        async with cookie_client() as other:
            right = {**wrong, "password": "mật khẩu thử nghiệm 2026"}
            async with other.post(f"{base(client)}/api/staff/sign-in", json=right) as response:
                assert response.status == 429
                assert "30 phút" in (await response.json())["error"]["message"]


async def test_reset_links_are_single_use_and_expire(
    client: Client, mail: Probe, db_name: str, mongo: AsyncMongoClient[Any]
) -> None:
    async with cookie_client() as http:
        await first_admin(http, base(client), BOOTSTRAP)
        ask = f"{base(client)}/api/staff/password-reset"
        async with http.post(ask, json={"email": "khong-co@so.example.vn"}) as response:
            assert response.status == 202  # the same answer for an unknown address
        async with http.post(ask, json={"email": ADMIN_EMAIL}) as response:
            assert response.status == 202
        secret = await secret_mailed_to(mail, ADMIN_EMAIL, "password_reset")
        new = {"token": secret, "password": "mật khẩu mới đủ dài"}
        async with http.post(f"{ask}/confirm", json=new) as response:
            assert response.status == 200
        async with http.post(f"{ask}/confirm", json=new) as response:
            assert response.status == 404  # used once already
        await sign_in(http, base(client), ADMIN_EMAIL, "mật khẩu mới đủ dài")

        async with http.post(ask, json={"email": ADMIN_EMAIL}) as response:
            assert response.status == 202
        mail.messages.clear()
        late = await secret_mailed_to(mail, ADMIN_EMAIL, "password_reset")
        past = datetime.now(UTC) - timedelta(seconds=1)
        await mongo[db_name]["password_resets"].update_many({}, {"$set": {"expires_at": past}})
        async with http.post(f"{ask}/confirm", json={**new, "token": late}) as response:
            assert response.status == 404


async def test_a_revision_is_compared_and_restored_as_a_new_one(client: Client) -> None:
    async with cookie_client() as http:
        admin = await first_admin(http, base(client), BOOTSTRAP)
        draft = {"title": "Bài có lịch sử", "section": SECTION, "body": "<p>Bản đầu.</p>"}
        async with http.post(f"{admin.base}/api/articles", json=draft, headers=admin.csrf) as r:
            article = await r.json()
        path = f"{admin.base}/api/articles/{article['id']}"
        patch = {"body": "<p>Bản đầu.</p><p>Đoạn thêm.</p>", "revision": 1}
        async with http.patch(path, json=patch, headers=admin.csrf) as response:
            assert (await response.json())["revision"] == 2
        editor_path = f"{admin.base}/api/editor/articles/{article['id']}"
        async with http.get(f"{editor_path}/compare?before=1&after=2") as response:
            fields = (await response.json())["fields"]
        assert [f["field"] for f in fields] == ["body"]
        kinds = [(line["kind"], line["text"]) for line in fields[0]["lines"]]
        assert kinds == [("same", "<p>Bản đầu.</p>"), ("added", "<p>Đoạn thêm.</p>")]
        restore = f"{editor_path}/revisions/1/restore"
        async with http.post(restore, json={"revision": 1}, headers=admin.csrf) as response:
            assert response.status == 409  # the article is at revision 2 now
        async with http.post(restore, json={"revision": 2}, headers=admin.csrf) as response:
            restored = await response.json()
        assert restored["revision"] == 3 and restored["body"] == "<p>Bản đầu.</p>"
        async with http.get(f"{editor_path}/history") as response:
            actions = [e["action"] for e in (await response.json())["items"]]
        assert actions == ["create", "edit", "restore"]


async def test_a_pending_invitation_is_listed_and_a_revoked_one_no_longer_works(
    client: Client, mail: Probe
) -> None:
    async with cookie_client() as http:
        admin = await first_admin(http, base(client), BOOTSTRAP)
        invitations = f"{admin.base}/api/staff/invitations"
        body = {"email": "thu-hoi@so.example.vn", "name": "Người được mời", "role": "editor"}
        async with http.post(invitations, json=body, headers=admin.csrf) as response:
            assert response.status == 201
        secret = await secret_mailed_to(mail, "thu-hoi@so.example.vn", "invitation")
        async with http.get(invitations) as response:
            [pending] = (await response.json())["items"]
        assert pending["email"] == "thu-hoi@so.example.vn" and pending["role"] == "editor"
        assert secret not in pending["ref"]
        async with http.delete(f"{invitations}/{pending['ref']}", headers=admin.csrf) as r:
            assert r.status == 204
        accept = {"token": secret, "password": PASSWORD}
        async with http.post(f"{invitations}/accept", json=accept) as response:
            assert response.status == 404
        async with http.get(invitations) as response:
            assert (await response.json())["items"] == []


async def test_the_sweep_deletes_what_has_expired_and_nothing_else(
    client: Client, db_name: str, mongo: AsyncMongoClient[Any]
) -> None:
    async with cookie_client() as http:
        await first_admin(http, base(client), BOOTSTRAP)
        await sign_in(http, base(client), ADMIN_EMAIL, ADMIN_PASSWORD)  # a second session
        for email in ("doan-1@so.example.vn", "doan-2@so.example.vn"):
            wrong = {"email": email, "password": "không phải mật khẩu"}
            async with http.post(f"{base(client)}/api/staff/sign-in", json=wrong) as response:
                assert response.status == 403
    db = mongo[db_name]
    failures = await db["signin_failures"].find({}).to_list()
    assert len(failures) == 3  # two addresses guessed, one client address
    past = datetime.now(UTC) - timedelta(seconds=1)
    stale = [d["_id"] for d in failures if str(d["_id"]).startswith("account:")][:1]
    await db["signin_failures"].update_one({"_id": stale[0]}, {"$set": {"expires_at": past}})
    kept, ended = await db["staff_sessions"].find({}).to_list()
    await db["staff_sessions"].update_one({"_id": ended["_id"]}, {"$set": {"expires_at": past}})

    await client.app[ACCOUNTS].sweep()

    left = {d["_id"] for d in await db["signin_failures"].find({}).to_list()}
    assert left == {d["_id"] for d in failures} - set(stale)
    assert [d["_id"] for d in await db["staff_sessions"].find({}).to_list()] == [kept["_id"]]
