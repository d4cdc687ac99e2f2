"""An old portal's articles migrated in by `python -m services.content import articles`, on
the real database and broker, with two content replicas running: live at their original
dates on both, old addresses answering 301, nothing twice on a second run, no
`article.published` (so no email), bad lines set aside with their line numbers."""

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymongo import AsyncMongoClient

from services.content.adapters.store import ArticleStore
from services.content.usecases.importing import ArticleImport, imported_id, old_address_key
from shared.contracts.sections import STARTER
from shared.platform.db import Document
from shared.presentation.vietnamese import date_line
from tests.content_support import (
    AUTH,
    SECTION,
    Client,
    Probe,
    drop_topology,
    replica,
    settings_for,
)
from tests.support import AMQP_URL, MONGO_URL, eventually

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
ARTICLES = 30
START = datetime(2019, 3, 4, 1, 30, tzinfo=UTC)  # 08:30 in Hà Nội


def old_article(n: int) -> dict[str, Any]:
    return {
        "title": f"Hội nghị đối ngoại nhân dân lần thứ {n}",
        "section": SECTION,
        "lead": f"Tóm tắt bài số {n}: biên giới, biển đảo.",
        "body": f"<p>Nội dung <b>bài {n}</b>.</p><script>alert(1)</script>",
        "authors": ["Phòng Thông tin"],
        "tags": ["Biên giới"],
        # Out of order in the file; the site orders them by these dates.
        "published_at": (START + timedelta(days=(n * 7) % ARTICLES)).isoformat(),
        "old_url": f"https://songoaivu.example.gov.vn/tin-tuc/{n}/hoi-nghi.html",
    }


def run_import(
    path: Path, db_name: str, exchange: str, stdin: bool = False
) -> subprocess.CompletedProcess[str]:
    """The command on the file, or on `-` with the file as its standard input."""
    env = {
        **os.environ,
        "MONGO_URL": MONGO_URL,
        "MONGO_DB": db_name,
        "AMQP_URL": AMQP_URL,
        "EXCHANGE": exchange,
    }
    return subprocess.run(
        [sys.executable, "-m", "services.content", "import", "articles", "-" if stdin else path],
        input=path.read_text(encoding="utf-8") if stdin else None,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
async def pair(exchange: str, db_name: str, amqp: Any) -> AsyncIterator[tuple[Client, Client]]:
    settings = settings_for(db_name, exchange)
    async with replica(settings) as first, replica(settings) as second:
        yield first, second
    await drop_topology(amqp, exchange)


async def latest_titles(client: Client) -> list[str]:
    response = await client.get("/api/articles?limit=50")
    return [item["title"] for item in (await response.json())["items"]]


async def test_an_old_portals_articles_go_live_quietly_at_their_dates_once(
    pair: tuple[Client, Client], exchange: str, db_name: str, amqp: Any, tmp_path: Path
) -> None:
    first, second = pair
    published = await Probe.bind(amqp, exchange, "article.published")  # what the notifier takes
    imported = await Probe.bind(amqp, exchange, "article.imported")
    articles = [old_article(n) for n in range(ARTICLES)]
    articles[3]["old_url"] = "/index.php?option=com_content&view=article&id=3"
    articles[4]["old_url"] = "/tin-t%E1%BB%A9c/4"  # "/tin-tức/4", percent-encoded
    lines = [json.dumps(article, ensure_ascii=False) for article in articles]
    bad = [
        "{not json",
        json.dumps({**old_article(90), "section": "khong-co"}),
        json.dumps({**old_article(91), "published_at": "2999-01-01T00:00:00+07:00"}),
        json.dumps({**old_article(92), "old_url": "no spaces allowed here"}),
        json.dumps(articles[5], ensure_ascii=False),  # the same article twice in one file
    ]
    file = tmp_path / "articles.jsonl"
    file.write_text("\n".join(lines[:10] + bad + lines[10:]) + "\n\n", encoding="utf-8")

    done = run_import(file, db_name, exchange)
    assert done.returncode == 1, done.stderr  # some lines refused, the rest imported
    assert f"imported {ARTICLES}, already there 1, refused 4" in done.stdout, done.stdout
    for number in (11, 12, 13, 14):  # the bad lines, by their line numbers
        assert f"line {number}: refused" in done.stderr, done.stderr
    assert "section" in done.stderr and "published_at" in done.stderr

    expected = [a["title"] for a in sorted(articles, key=lambda a: a["published_at"], reverse=True)]

    async def both_list_them() -> bool:  # the other replica learns from article.imported
        return all([await latest_titles(client) == expected for client in (first, second)])

    await eventually(both_list_them, what="every imported article, newest first, on both")

    # The page: the original date line, the body sanitised, the old address moved here.
    response = await first.get("/api/articles?limit=50")
    by_title = {item["title"]: item for item in (await response.json())["items"]}
    one = by_title[articles[7]["title"]]
    page = await (await first.get(f"/articles/{one['slug']}")).text()
    original = datetime.fromisoformat(articles[7]["published_at"])
    assert date_line(original, settings_for(db_name, exchange).zone) in page
    assert "<script>alert" not in page and "<b>bài 7</b>" in page
    for n, path in (
        (7, "/tin-tuc/7/hoi-nghi.html"),
        (3, "/index.php?option=com_content&view=article&id=3"),
        (4, "/tin-tức/4"),
    ):
        moved = await second.get(path, allow_redirects=False)
        assert moved.status == 301, (path, moved.status)
        slug = by_title[articles[n]["title"]]["slug"]
        assert moved.headers["Location"] == f"/articles/{slug}"
    assert (await first.get("/tin-tuc/999/khong-co.html")).status == 404

    # Quiet: the imported articles announced themselves as imported, never as published.
    await eventually(lambda: _has(imported, ARTICLES), what="an article.imported for each")
    assert await published.drain() == []

    again = run_import(file, db_name, exchange, stdin=True)
    assert f"imported 0, already there {ARTICLES + 1}, refused 4" in again.stdout, again.stdout
    assert await latest_titles(first) == expected

    # Taken down and put back by an editor: still quiet, at its first date.
    for action in ("unpublish", "publish"):
        response = await first.post(f"/api/articles/{one['id']}/{action}", headers=AUTH)
        assert response.status == 200, await response.text()
    republished = await response.json()
    assert datetime.fromisoformat(republished["published_at"]) == original
    await eventually(lambda: _has(imported, ARTICLES + 1), what="the re-publication, quiet")
    assert await published.drain() == []


async def _has(probe: Probe, events: int) -> bool:
    """Whether the probe got exactly this many distinct events (a relay may send one twice)."""
    return len({str(message["event_id"]) for message in await probe.drain()}) == events


LINES = st.one_of(
    st.text(max_size=300),  # anything at all
    st.builds(  # an article, with hostile text where an old portal may have any
        lambda title, lead, url, day: json.dumps(
            {
                "title": title,
                "section": SECTION,
                "lead": lead,
                "published_at": (START + timedelta(days=day)).isoformat(),
                "old_url": url,
            }
        ),
        st.text(min_size=1, max_size=200),
        st.text(max_size=300),
        st.text(max_size=100).map(lambda tail: "/" + tail),
        st.integers(min_value=0, max_value=2000),
    ),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=st.lists(LINES, min_size=1, max_size=4))
async def test_any_line_is_imported_or_set_aside_and_never_stops_the_rest(
    mongo: AsyncMongoClient[Document], db_name: str, lines: list[str]
) -> None:
    store = ArticleStore(mongo[db_name], "http://portal.test")
    good = json.dumps(old_article(1), ensure_ascii=False)
    report = await ArticleImport(store, STARTER).run([*lines, good])
    counted = report.created + report.existing + len(report.refused)
    assert counted == len([line for line in [*lines, good] if line.strip()])
    # The good line after whatever came before it is there (made now or by an earlier run).
    address = old_article(1)["old_url"]
    assert await store.find(imported_id(old_address_key(address))) is not None
    assert all(0 < number <= len(lines) + 1 for number, _ in report.refused)
