from datetime import UTC, datetime, timedelta
from ipaddress import ip_network
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import make_mocked_request

from services.content.adapters.visitors import TrustedProxies, VisitorHasher, client_ip
from services.content.domain.agents import classify

PROXY = TrustedProxies([ip_network("10.0.0.0/8")])


def request(peer: str, forwarded: str | None = None):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    req = make_mocked_request("POST", "/api/views", headers=headers)
    req._transport_peername = (peer, 1234)
    return req


def test_untrusted_peer_cannot_spoof_its_address() -> None:
    assert client_ip(request("203.0.113.9", "1.2.3.4"), PROXY) == "203.0.113.9"


def test_trusted_proxy_reports_the_nearest_untrusted_hop() -> None:
    assert client_ip(request("10.0.0.2", "1.2.3.4, 198.51.100.7, 10.0.0.3"), PROXY) == (
        "198.51.100.7"
    )


def test_bots_and_headless_browsers_are_flagged() -> None:
    assert classify("Mozilla/5.0 (compatible; Googlebot/2.1)").is_bot
    assert classify("Mozilla/5.0 HeadlessChrome/120.0").is_bot
    assert classify("").is_bot
    desktop = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0 Safari/537.36"
    assert not classify(desktop).is_bot


@pytest.mark.parametrize(
    ("agent", "family", "bot"),
    [
        (
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Googlebot",
            True,
        ),
        (
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            "Bingbot",
            True,
        ),
        (
            "Mozilla/5.0 (compatible; coccocbot-web/1.0; +http://help.coccoc.com/)",
            "coccocbot",
            True,
        ),
        (
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "FacebookBot",
            True,
        ),
        (
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.1)",
            "GPTBot",
            True,
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0.0.0 Safari/537.36",
            "HeadlessChrome",
            True,
        ),
        ("curl/8.5.0", "curl", True),
        ("python-requests/2.32", "Python", True),
        ("SomeNewCrawler/0.1 (+https://example.org/crawler)", "other bot", True),
        ("", "empty", True),
        ("Mozilla/5.0 (Windows NT 10.0) Chrome/120.0 Safari/537.36 Edg/120.0", "Edge", False),
        (
            "Mozilla/5.0 (Windows NT 10.0) coc_coc_browser/118.0 Chrome/112 Safari/537.36",
            "CocCoc",
            False,
        ),
        (
            "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Version/17.0 Mobile Safari/604.1",
            "Safari",
            False,
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
            "Firefox",
            False,
        ),
        ("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/120.0 Mobile", "Chrome", False),
        # not in our list, caught by the maintained crawler list (and not taken for Chrome)
        (
            "Mozilla/5.0 (compatible; Qwantify/2.4w; +https://www.qwant.com/)/2.4w",
            "Qwantify",
            True,
        ),
        (
            "Mozilla/5.0 (compatible; SeznamBot/4.0; +https://o-seznam.cz/) Chrome/120.0",
            "SeznamBot",
            True,
        ),
    ],
)
def test_agent_families(agent: str, family: str, bot: bool) -> None:
    assert classify(agent) == (family, bot)


class FakeSalts:
    """Just what the hasher asks of its collection, counting the reads."""

    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        self.reads = 0

    async def find_one(self, query: dict[str, str]) -> dict[str, Any] | None:
        self.reads += 1
        return self.documents.get(query["_id"])

    async def insert_one(self, document: dict[str, Any]) -> None:
        self.documents.setdefault(document["_id"], document)

    async def delete_many(self, query: dict[str, Any]) -> None:
        return None


@pytest.mark.parametrize("zone", ["Asia/Ho_Chi_Minh", "America/New_York"])
async def test_the_salt_turns_at_local_midnight_and_is_read_once_a_day(zone: str) -> None:
    salts = FakeSalts()
    hasher = VisitorHasher({"visitor_salts": salts}, "portal", ZoneInfo(zone))  # type: ignore[arg-type]
    midnight = datetime(2026, 11, 27, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    last_second = midnight - timedelta(microseconds=1)

    evening = await hasher.visitor("203.0.113.5", "Firefox", last_second - timedelta(hours=5))
    reads = salts.reads
    assert await hasher.visitor("203.0.113.5", "Firefox", last_second) == evening
    assert salts.reads == reads  # same local day: no database read
    after = await hasher.visitor("203.0.113.5", "Firefox", midnight)
    assert after != evening
    assert sorted(salts.documents) == ["2026-11-26", "2026-11-27"]
    assert await hasher.visitor("203.0.113.5", "Firefox", last_second) == evening
    assert "203.0.113.5" not in str(salts.documents)


def test_a_trusted_proxy_without_a_header_is_the_client() -> None:
    assert client_ip(request("10.0.0.2"), PROXY) == "10.0.0.2"
    assert client_ip(request("10.0.0.2", "10.0.0.9, 10.1.2.3"), PROXY) == "10.0.0.9"


def test_no_trusted_proxy_means_the_header_is_never_believed() -> None:
    assert client_ip(request("10.0.0.2", "198.51.100.7"), TrustedProxies([])) == "10.0.0.2"


def test_a_flood_of_new_addresses_keeps_the_memo_bounded() -> None:
    trusted = TrustedProxies([ip_network("10.0.0.0/8")])
    for n in range(TrustedProxies.KNOWN * 2 + 5):
        assert not trusted.trust(f"198.51.{n // 256 % 256}.{n % 256}-{n}")
    assert len(trusted._known) <= TrustedProxies.KNOWN
    assert trusted.trust("10.9.9.9")
