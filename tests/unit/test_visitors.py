from ipaddress import ip_network

from aiohttp.test_utils import make_mocked_request

from services.content.visitors import client_ip, is_bot

PROXY = [ip_network("10.0.0.0/8")]


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
    assert is_bot("Mozilla/5.0 (compatible; Googlebot/2.1)")
    assert is_bot("Mozilla/5.0 HeadlessChrome/120.0")
    assert is_bot("")
    assert not is_bot("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0 Safari/537.36")
