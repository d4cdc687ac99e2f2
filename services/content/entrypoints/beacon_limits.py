"""Per-client limits on page-view beacons: a rate, and how many visitors one address may be.

Kept in memory, per replica, keyed by the client address (never stored or queued). Two
limits, because they stop different things:
- the rate (a token bucket): one client cannot send more than `per_minute` beacons a
  minute after a first burst of `burst`; past it the beacon is refused (429), not counted;
- new visitors per address (a fixed hourly window): the visitor is a hash of the address
  and the user agent, so a client that varies its User-Agent would count as thousands of
  visitors. Past `visitors_per_hour` distinct user agents from one address in an hour,
  further new ones count as one shared visitor of that address: their views still count,
  the visitor figures stop growing.
A token bucket is a few lines and costs well under a microsecond per beacon, which matters
on the portal's hottest path; the rate-limiting libraries on PyPI add a storage layer for
the same arithmetic.
"""

import time
from dataclasses import dataclass, field

SHARED_AGENT = "*"  # the user agent every visitor past the limit of an address shares
MAX_CLIENTS = 50_000  # memory bound: past it, clients idle for a minute are forgotten
VISITOR_WINDOW_SECONDS = 3600.0


@dataclass
class _Client:
    tokens: float
    refilled_at: float
    window_started: float
    agents: set[int] = field(default_factory=set)


class BeaconLimits:
    def __init__(self, per_minute: int, burst: int, visitors_per_hour: int) -> None:
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._visitors = visitors_per_hour
        self._clients: dict[str, _Client] = {}

    def admit(self, address: str, user_agent: str, now: float | None = None) -> str | None:
        """The user agent to count this beacon's visitor with, or None if over the rate."""
        now = time.monotonic() if now is None else now
        client = self._clients.get(address)
        if client is None:
            self._make_room(now)
            client = self._clients[address] = _Client(self._burst, now, now)
        client.tokens = min(self._burst, client.tokens + (now - client.refilled_at) * self._rate)
        client.refilled_at = now
        if client.tokens < 1.0:
            return None
        client.tokens -= 1.0
        if now - client.window_started >= VISITOR_WINDOW_SECONDS:
            client.window_started, client.agents = now, set()
        agent = hash(user_agent)
        if agent in client.agents:
            return user_agent
        if len(client.agents) >= self._visitors:
            return SHARED_AGENT
        client.agents.add(agent)
        return user_agent

    def _make_room(self, now: float) -> None:
        if len(self._clients) < MAX_CLIENTS:
            return
        self._clients = {
            address: client
            for address, client in self._clients.items()
            if now - client.refilled_at < 60.0
        }
        if len(self._clients) >= MAX_CLIENTS:  # a flood from many addresses: start afresh
            self._clients = {}

    def __len__(self) -> int:
        return len(self._clients)
