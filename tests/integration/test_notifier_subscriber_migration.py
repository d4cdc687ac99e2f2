"""Subscribers moving in and out as CSV, on the real FerretDB and Mailpit: 5,000 through the
admin API twice (nothing created twice, nobody mailed, a "no" kept), the export, the
API's refusals, and the command line as a process."""

import asyncio
import csv
import io
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from pymongo import AsyncMongoClient

from services.notifier.app import create_app
from services.notifier.config import NotifierSettings
from services.notifier.domain.migration import MAX_IMPORT_BYTES
from services.notifier.entrypoints.keys import COMPOSER, SUBSCRIBERS
from shared.contracts.sections import STARTER
from shared.platform.db import Document
from tests.notifier_support import (
    ADMIN_TOKEN,
    SIGNING_KEY,
    add_subscribers,
    delete_notifier_topology,
    suppress,
)
from tests.processes import ROOT
from tests.support import (
    AMQP_URL,
    MAILPIT_URL,
    MONGO_URL,
    SMTP_HOST,
    SMTP_PORT,
    Mailpit,
    eventually,
)

pytestmark = pytest.mark.integration

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
CSV_TYPE = {**ADMIN, "Content-Type": "text/csv; charset=utf-8"}
HEADER = ["email", "sections", "consent_source", "consented_at", "language"]
SUBSCRIBERS_IN_FILE = 5000


@pytest.fixture
async def client(exchange: str, db_name: str) -> AsyncIterator[TestClient[Any, Any]]:
    settings = NotifierSettings(
        amqp_url=AMQP_URL,
        mongo_url=MONGO_URL,
        mongo_db=db_name,
        exchange=exchange,
        smtp_host=SMTP_HOST,
        smtp_port=SMTP_PORT,
        signing_key=SIGNING_KEY,
        admin_token=ADMIN_TOKEN,
    )
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client
    await delete_notifier_topology(exchange)


def old_portal_list(domain: str) -> list[list[str]]:
    """An old portal's confirmed subscribers: sections in every form the format allows."""
    rows = []
    for n in range(SUBSCRIBERS_IN_FILE):
        slugs = [STARTER.sections[(n + k) % len(STARTER.sections)].slug for k in range(n % 3)]
        rows.append(
            [
                f"ban-doc-{n}@{domain}",
                (";" if n % 2 else " ").join(slugs),
                f"Cổng cũ, biểu mẫu đăng ký số {n % 7}",
                f"2019-05-{1 + n % 28:02d}T08:30:00+07:00" if n % 4 else "",
                "en" if n % 10 == 0 else "vi",
            ]
        )
    return rows


def as_csv(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode()


async def mail_to_domain(http: aiohttp.ClientSession, domain: str) -> int:
    """How many messages Mailpit holds for any address of `domain` (its search matches
    substrings)."""
    params = {"query": f'to:"@{domain}"', "limit": "1"}
    async with http.get(f"{MAILPIT_URL}/api/v1/search", params=params) as response:
        response.raise_for_status()
        return int((await response.json())["messages_count"])


async def import_file(client: TestClient[Any, Any], data: bytes) -> dict[str, Any]:
    response = await client.post("/api/subscribers/import", data=io.BytesIO(data), headers=CSV_TYPE)
    assert response.status == 200, await response.text()
    answer: dict[str, Any] = await response.json()
    return answer


async def test_five_thousand_in_twice_nobody_mailed_a_no_kept_and_out_again(
    client: TestClient[Any, Any],
    mongo: AsyncMongoClient[Document],
    db_name: str,
    mailpit: Mailpit,
    http: aiohttp.ClientSession,
    run_id: str,
) -> None:
    domain = f"chuyen-{run_id}.example.vn"
    rows = old_portal_list(domain)
    db, store = mongo[db_name], client.app[SUBSCRIBERS]
    left, pending, chosen, bounced = (rows[n][0] for n in (1, 2, 3, 4))
    # Before the import: one left through their unsubscribe link, one signed up here and
    # has not confirmed, one confirmed here and chose a section, one whose mailbox bounced.
    await store.add(left, [], "vi")
    await store.set_status(left, "confirmed")
    unsubscribe = client.app[COMPOSER].links.unsubscribe(left).split("/", 3)[3]
    assert (await client.post(f"/{unsubscribe}")).status == 200
    await store.add(pending, ["dan-van"], "en")
    await add_subscribers(db, [chosen], sections=["van-ban-phap-luat"])
    await suppress(db, [bounced])
    bad = [["khong-phai-dia-chi", "", "Cổng cũ", "", ""], [f"x@{domain}", "the-thao", "", "", ""]]
    data = as_csv(rows[:100] + bad + rows[100:])

    first = await import_file(client, data)
    assert first["rows"] == SUBSCRIBERS_IN_FILE + 2
    assert (first["imported"], first["updated"], first["unchanged"]) == (4996, 1, 1)
    assert (first["left_out"], first["refused"]) == (2, 2)
    assert [refusal["line"] for refusal in first["refusals"]] == [102, 103]
    assert first["refusals"][1]["reason"].startswith("sections: unknown section(s): the-thao")

    again = await import_file(client, data)
    assert (again["imported"], again["updated"], again["unchanged"]) == (0, 0, 4998)
    assert (again["left_out"], again["refused"]) == (2, 2)
    assert await db["subscribers"].count_documents({}) == SUBSCRIBERS_IN_FILE - 1

    # The person's "no" wins over the old list; a pending sign-up is confirmed by the
    # list's consent and keeps its own choices; a confirmed one keeps its own.
    assert (await store.get(left)).status == "unsubscribed"
    assert await store.get(bounced) is None
    was_pending = await store.get(pending)
    assert was_pending is not None and was_pending.status == "confirmed"
    assert (was_pending.sections, was_pending.language) == (["dan-van"], "en")
    assert was_pending.consent is not None and was_pending.consent.source == rows[2][2]
    assert (await store.get(chosen)).sections == ["van-ban-phap-luat"]

    # Nobody imported was mailed. A sign-up made now is, which shows mail was flowing.
    canary = f"chim-bao-{run_id}@example.vn"
    assert (await client.post("/api/subscribers", json={"email": canary})).status == 202
    await eventually(lambda: mailpit.messages_to(canary), what="the canary's confirmation")
    for address in (left, pending, chosen, bounced, rows[0][0], rows[-1][0]):
        assert await mailpit.messages_to(address) == []
    assert await mail_to_domain(http, domain) == 0

    # Out again: the confirmed ones, with the file's sections and consent.
    response = await client.get("/api/subscribers/export", headers=ADMIN)
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    exported = list(csv.DictReader(io.StringIO(await response.text())))
    by_address = {row["email"]: row for row in exported}
    assert len(exported) == len(by_address) == SUBSCRIBERS_IN_FILE - 2
    assert left not in by_address and bounced not in by_address
    for email, sections, source, consented_at, language in rows:
        if email in (left, bounced, pending, chosen):
            continue
        row = by_address[email]
        assert sorted(row["sections"].split()) == sorted(sections.replace(";", " ").split())
        assert (row["consent_source"], row["language"], row["status"]) == (
            source,
            language,
            "confirmed",
        )
        assert row["consented_at"][:10] == consented_at[:10]
    # Every status; imported back, it changes nothing. Refused, by address: the one who
    # left (only confirmed subscribers are imported), the one with no recorded consent, and
    # the canary (pending, no consent).
    everyone = await client.get("/api/subscribers/export", params={"status": "all"}, headers=ADMIN)
    text = await everyone.text()
    statuses = {row["email"]: row["status"] for row in csv.DictReader(io.StringIO(text))}
    assert (len(statuses), statuses[left], statuses[canary]) == (
        SUBSCRIBERS_IN_FILE,
        "unsubscribed",
        "pending",
    )
    back = await import_file(client, text.encode())
    assert (back["imported"], back["updated"], back["unchanged"]) == (0, 0, 4997)
    reasons = [refusal["reason"] for refusal in back["refusals"]]
    assert len(reasons) == back["refused"] == 3
    assert reasons[0].startswith("status: only confirmed subscribers are imported")
    assert reasons[1].startswith("consent_source: required")
    assert "status: only confirmed" in reasons[2]


async def test_the_import_api_refuses_what_it_cannot_read(
    client: TestClient[Any, Any], run_id: str
) -> None:
    good = as_csv([[f"a-{run_id}@example.vn", "", "Cổng cũ", "", ""]])
    cases: list[tuple[dict[str, str], bytes, int, str]] = [
        ({"Content-Type": "text/csv"}, good, 401, "unauthorized"),
        ({**ADMIN, "Content-Type": "application/json"}, b"{}", 415, "unsupported_media_type"),
        ({**ADMIN, "Content-Type": "text/csv; charset=latin-1"}, good, 415,
         "unsupported_media_type"),
        (CSV_TYPE, b"\xff\xfe" + good, 400, "bad_request"),
        (CSV_TYPE, b"", 400, "bad_request"),
        (CSV_TYPE, b"email,ngay\nx@example.vn,1\n", 422, "validation_error"),
        (CSV_TYPE, b"x" * (MAX_IMPORT_BYTES + 1), 413, "payload_too_large"),
    ]  # fmt: skip
    for headers, body, status, code in cases:
        response = await client.post(
            "/api/subscribers/import", data=io.BytesIO(body), headers=headers
        )
        assert response.status == status, (headers, body[:40], await response.text())
        assert (await response.json())["error"]["code"] == code
    assert await client.app[SUBSCRIBERS].get(f"a-{run_id}@example.vn") is None

    refused = await client.get("/api/subscribers/export", params={"status": "x"}, headers=ADMIN)
    assert refused.status == 422
    assert (await client.get("/api/subscribers/export")).status == 401


async def run_cli(db_name: str, *args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    """`python -m services.notifier subscribers ...` as a process on the test's database."""
    env = {"MONGO_URL": MONGO_URL, "MONGO_DB": db_name, "PATH": os.environ["PATH"]}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.notifier", "subscribers", *args,
        cwd=ROOT, env=env, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(stdin), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_command_imports_and_exports_a_small_file(
    mongo: AsyncMongoClient[Document], db_name: str, tmp_path: Path, run_id: str
) -> None:
    domain = f"lenh-{run_id}.example.vn"
    rows = [
        [f"mot@{domain}", "thong-bao;dan-van", "Phiếu đăng ký giấy", "2020-01-02", "vi"],
        [f"hai@{domain}", "", "Cổng cũ", "2020-01-02T09:00:00", "en"],
        ["khong-hop-le", "", "Cổng cũ", "", ""],
    ]
    path = tmp_path / "nguoi-dang-ky.csv"
    path.write_bytes(as_csv(rows))

    code, out, err = await run_cli(db_name, "import", str(path))
    assert code == 1, out + err  # one row refused, the others imported
    assert "3 rows" in out and "2 imported" in out and "1 refused" in out, out
    assert "line 4: email: value is not a valid email address" in out
    path.write_bytes(as_csv(rows[:2]))
    code, out, err = await run_cli(db_name, "import", str(path))
    assert code == 0, out + err
    assert "0 imported" in out and "2 already there" in out

    stored = await mongo[db_name]["subscribers"].find_one({"_id": f"mot@{domain}"})
    assert stored is not None and stored["status"] == "confirmed"
    assert stored["consent_source"] == "Phiếu đăng ký giấy"
    assert stored["consented_at"].isoformat() == "2020-01-01T17:00:00+00:00"  # local midnight

    code, out, err = await run_cli(db_name, "export", "--all", "-")
    assert code == 0, err
    exported = list(csv.reader(io.StringIO(out)))
    assert exported == [
        ["email", "sections", "consent_source", "consented_at", "language", "status"],
        [f"hai@{domain}", "", "Cổng cũ", "2020-01-02T02:00:00+00:00", "en", "confirmed"],
        [f"mot@{domain}", "dan-van thong-bao", "Phiếu đăng ký giấy",
         "2020-01-01T17:00:00+00:00", "vi", "confirmed"],
    ]  # fmt: skip
    target = tmp_path / "xuat.csv"
    code, _, err = await run_cli(db_name, "export", str(target))
    assert (code, err.strip()) == (0, f"2 confirmed subscribers exported to {target}")
    assert target.read_bytes().decode() == out
    assert target.stat().st_mode & 0o077 == 0, "a list of addresses is for its owner only"

    code, _, err = await run_cli(db_name, "import", str(tmp_path / "khong-co.csv"))
    assert code == 2 and "No such file" in err
    code, _, err = await run_cli(db_name, "import", "-", stdin=b"email,sections\n")
    assert code == 2 and "nothing imported" in err
    code, _, _ = await run_cli(db_name, "import")
    assert code == 2
