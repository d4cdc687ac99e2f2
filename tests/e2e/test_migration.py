"""A public body moves its old portal in: 2,000 articles by `python -m services.content import
articles`, 5,000 confirmed subscribers by the notifier's admin API; then an editor publishes
one new article. The three services run as processes on the real broker, database and SMTP
server (Mailpit). Exactly that one email reaches each subscriber of its section, none of the
others, and nothing about an imported article; the imported articles are listed by their
original dates."""

import csv
import io
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from services.content.usecases.importing import imported_id as content_id_of_key
from services.content.usecases.importing import old_address_key
from tests.e2e.conftest import ADMIN_TOKEN, EDITOR_TOKEN, System
from tests.support import AMQP_URL, MAILPIT_URL, MONGO_URL, eventually

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ARTICLES = 2_000
SUBSCRIBERS = 5_000
READERS_OF_THE_SECTION = 2_000  # the others chose other sections
SECTION, OTHERS = "bien-gioi-bien-dao", ["tin-tuc-su-kien", "dan-van"]
FIRST = datetime(2015, 1, 1, 1, 0, tzinfo=UTC)


def articles_file(path: Path) -> list[dict[str, Any]]:
    articles = [
        {
            "title": f"Tin cũ số {n}: hợp tác biên giới, biển đảo",
            "section": [SECTION, *OTHERS][n % 3],
            "lead": "Tóm tắt bài viết cũ.",
            "body": "<p>Nội dung bài viết cũ.</p>",
            "authors": ["Phòng Thông tin"],
            # Spread over ten years, not in file order.
            "published_at": (FIRST + timedelta(hours=(n * 7919) % (ARTICLES * 40))).isoformat(),
            "old_url": f"/index.php?option=com_content&view=article&id={n}",
        }
        for n in range(ARTICLES)
    ]
    path.write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in articles) + "\n")
    return articles


def subscribers_csv(run: str) -> tuple[str, list[str], list[str]]:
    """The CSV, the addresses that chose SECTION, and the ones that did not."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "sections", "consent_source"])
    readers, others = [], []
    for n in range(SUBSCRIBERS):
        email = f"ban-doc-{n:05d}-{run}@example.vn"
        if n < READERS_OF_THE_SECTION:
            sections = f"{SECTION};{OTHERS[n % 2]}"
            readers.append(email)
        else:
            sections = OTHERS[n % 2]
            others.append(email)
        writer.writerow([email, sections, "cổng cũ, đăng ký 2018"])
    return out.getvalue(), readers, others


def content_id(old_url: str) -> str:
    return content_id_of_key(old_address_key(old_url))


async def recipients_of(http: aiohttp.ClientSession, subject: str) -> list[str]:
    """Every recipient of every message Mailpit holds with `subject` in its subject."""
    found: list[str] = []
    start = 0
    while True:
        params = {"query": f'subject:"{subject}"', "start": str(start), "limit": "1000"}
        async with http.get(f"{MAILPIT_URL}/api/v1/search", params=params) as response:
            response.raise_for_status()
            page = (await response.json())["messages"]
        found += [to["Address"] for message in page for to in message["To"]]
        if len(page) < 1000:
            return found
        start += len(page)


async def all_titles(http: aiohttp.ClientSession, content: str) -> list[str]:
    titles: list[str] = []
    cursor: str | None = None
    while True:
        params = {"limit": "50", **({"cursor": cursor} if cursor else {})}
        async with http.get(f"{content}/api/articles", params=params) as response:
            page = await response.json()
        titles += [item["title"] for item in page["items"]]
        cursor = page.get("next_cursor")
        if not cursor:
            return titles


async def test_an_old_portal_moves_in_and_only_the_next_article_is_emailed(
    system: System, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:6]
    articles = articles_file(tmp_path / "articles.jsonl")
    started = time.monotonic()
    imported = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.content",
            "import",
            "articles",
            tmp_path / "articles.jsonl",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "MONGO_URL": MONGO_URL,
            "MONGO_DB": f"e2e_content_{system.run}",
            "AMQP_URL": AMQP_URL,
            "EXCHANGE": system.exchange,
            "PUBLIC_URL": system.content,
        },
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr[-2000:]
    assert f"imported {ARTICLES}, already there 0, refused 0" in imported.stdout
    imported_id = content_id(articles[0]["old_url"])
    print(f"{ARTICLES} articles imported in {time.monotonic() - started:.1f} s")

    text, readers, others = subscribers_csv(run)
    started = time.monotonic()
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "text/csv"}
    url = f"{system.notifier}/api/subscribers/import"
    async with http.post(url, data=text.encode(), headers=admin) as response:
        assert response.status == 200, await response.text()
        summary = await response.json()
    assert summary["imported"] == SUBSCRIBERS, summary
    print(f"{SUBSCRIBERS} subscribers imported in {time.monotonic() - started:.1f} s")

    # The imported articles, every one, newest first by their original dates.
    expected = [a["title"] for a in sorted(articles, key=lambda a: a["published_at"], reverse=True)]

    async def listed() -> bool:
        return await all_titles(http, system.content) == expected

    await eventually(listed, timeout=120, what="the 2,000 imported articles, by date")

    title = f"Tin mới sau khi chuyển cổng {run}"
    auth = {"Authorization": f"Bearer {EDITOR_TOKEN}"}
    draft = {"title": title, "section": SECTION, "lead": "Bài đầu tiên trên cổng mới."}
    async with http.post(f"{system.content}/api/articles", json=draft, headers=auth) as response:
        assert response.status == 201, await response.text()
        article = await response.json()
    async with http.post(
        f"{system.content}/api/articles/{article['id']}/publish", headers=auth
    ) as response:
        assert response.status == 200, await response.text()

    bearer = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    url = f"{system.notifier}/api/deliveries/{article['id']}"

    async def all_sent() -> bool:
        async with http.get(url, headers=bearer) as response:
            status = await response.json()
        return bool(status["deliveries"].get("sent") == READERS_OF_THE_SECTION)

    await eventually(all_sent, timeout=180, what="the new article sent to its readers")
    # Read once nothing arrives any more: Mailpit pages newest first, so pages read while
    # messages arrive overlap, and would show one message twice.
    got = await recipients_of(http, run)
    # Exactly one each, to the section's readers only; and nothing about any old article
    # (their titles share "Tin cũ số").
    assert sorted(got) == sorted(readers)
    assert not set(got) & set(others)
    assert await recipients_of(http, "Tin cũ số") == []
    # The notifier made deliveries for that article alone, one per reader of the section.
    async with http.get(url, headers=bearer) as response:
        status = await response.json()
    assert status["total"] == READERS_OF_THE_SECTION, status
    async with http.get(f"{system.notifier}/api/deliveries/{imported_id}", headers=bearer) as r:
        assert (await r.json())["total"] == 0  # an imported article: no delivery at all
