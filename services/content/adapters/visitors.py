"""Who is viewing, without keeping who they are: a salted hash that changes every local day."""

import hashlib
import secrets
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from ipaddress import IPv4Network, IPv6Network, ip_address
from zoneinfo import ZoneInfo

from aiohttp import web
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from shared.platform.db import Document
from shared.platform.storage.writes import insert_or_ignore
from shared.presentation.vietnamese import local_day

SALT_LIFETIME = timedelta(hours=48)


class TrustedProxies:
    """The proxies whose X-Forwarded-For is believed (the gateway). Each address is parsed
    and looked up once: per beacon that took 3-9 µs (py-spy, 7 % of content's CPU), most
    of it hashing the networks again to key a cache."""

    KNOWN = 4096  # addresses remembered; a flood of new ones only empties the memo

    def __init__(self, networks: Iterable[IPv4Network | IPv6Network]) -> None:
        self._networks = tuple(networks)
        self._known: dict[str, bool] = {}

    def __bool__(self) -> bool:
        return bool(self._networks)

    def trust(self, address: str) -> bool:
        known = self._known.get(address)
        if known is None:
            if len(self._known) >= self.KNOWN:
                self._known.clear()
            known = self._known[address] = _in_networks(address, self._networks)
        return known


def client_ip(request: web.Request, trusted: TrustedProxies) -> str:
    """The peer's address, or, behind a trusted proxy, the nearest untrusted hop it reports."""
    peer = request.remote or "0.0.0.0"  # noqa: S104 - a placeholder, never bound
    if not trusted or not trusted.trust(peer):
        return peer  # the header is believed only from a trusted proxy
    forwarded = request.headers.get("X-Forwarded-For", "")
    hops = [hop.strip() for hop in reversed(forwarded.split(",")) if hop.strip()]
    for hop in hops:
        if not trusted.trust(hop):
            return hop
    return hops[-1] if hops else peer


def from_trusted_proxy(request: web.Request, trusted: TrustedProxies) -> bool:
    """Whether the request came through a proxy we trust (the gateway), not straight."""
    return bool(trusted) and trusted.trust(request.remote or "")


def _in_networks(address: str, networks: tuple[IPv4Network | IPv6Network, ...]) -> bool:
    try:
        parsed = ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in networks)


class VisitorHasher:
    """One random salt per local day, shared by all replicas through the database."""

    def __init__(self, db: AsyncDatabase[Document], site_id: str, zone: ZoneInfo) -> None:
        self._salts: AsyncCollection[Document] = db["visitor_salts"]
        self._site_id = site_id
        self._zone = zone
        self._cache: dict[date, str] = {}
        # The salt of the local day being served and that day's bounds as UTC timestamps:
        # a beacon checks two floats instead of converting its time to the zone.
        self._salt = ""
        self._from = self._until = 0.0

    async def visitor(self, ip: str, user_agent: str, now: datetime) -> str:
        moment = now.timestamp()
        if self._from <= moment < self._until:
            salt = self._salt
        else:
            day = local_day(now, self._zone)
            salt = await self._salt_for(day)
            self._salt, self._from, self._until = salt, *self._bounds(day)
        material = "\x1f".join((salt, self._site_id, ip, user_agent)).encode()
        return hashlib.sha256(material).hexdigest()[:32]

    def _bounds(self, day: date) -> tuple[float, float]:
        start = datetime.combine(day, time(), self._zone)
        end = datetime.combine(day + timedelta(days=1), time(), self._zone)
        return start.timestamp(), end.timestamp()

    async def _salt_for(self, day: date) -> str:
        if day in self._cache:
            return self._cache[day]
        key = day.isoformat()
        document = await self._salts.find_one({"_id": key})
        if document is None:
            now = datetime.now(UTC)
            salt = {"_id": key, "salt": secrets.token_hex(32), "created_at": now}
            # If another replica made today's salt first, theirs is read back below.
            await insert_or_ignore(self._salts, salt)
            # No TTL indexes on FerretDB: the replica that turns the day deletes old salts.
            await self._salts.delete_many({"created_at": {"$lt": now - SALT_LIFETIME}})
            document = await self._salts.find_one({"_id": key})
            assert document is not None
        self._cache = {day: str(document["salt"])}
        return self._cache[day]
