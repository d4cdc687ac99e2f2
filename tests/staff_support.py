"""Staff for the tests: a script token stored as an operator makes one, and the first
administrator made the way a new install does it (EDITOR_TOKEN, then email and password)."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
from pymongo import MongoClient

from services.content.adapters.editors import token_hash
from tests.support import MONGO_URL

ADMIN_EMAIL = "quan-tri@so-vhttdl.example.vn"
ADMIN_PASSWORD = "mật khẩu thử nghiệm 2026"


def register_script_token(db_name: str, token: str, role: str = "admin") -> None:
    """Store `token` as `python -m services.content tokens create` would (its hash only)."""
    client: MongoClient[dict[str, Any]] = MongoClient(MONGO_URL)
    try:
        client[db_name]["editors"].update_one(
            {"_id": token_hash(token)},
            {
                "$setOnInsert": {
                    "ref": token_hash(token)[:12],
                    "name": "test script",
                    "role": role,
                    "created_at": datetime.now(UTC),
                    "created_by": "test fixture",
                }
            },
            upsert=True,
        )
    finally:
        client.close()


@dataclass(frozen=True)
class StaffSession:
    """A signed-in browser-like client: its cookie jar holds the session; writes send the
    CSRF token from the readable cookie."""

    http: aiohttp.ClientSession
    base: str

    @property
    def csrf(self) -> dict[str, str]:
        for cookie in self.http.cookie_jar:
            if cookie.key == "portal_csrf":
                return {"X-CSRF-Token": cookie.value}
        return {}


def cookie_client() -> aiohttp.ClientSession:
    # unsafe: keep cookies of an IP address host such as 127.0.0.1.
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def first_admin(
    http: aiohttp.ClientSession, base: str, bootstrap: str, email: str = ADMIN_EMAIL
) -> StaffSession:
    """Make the first administrator with EDITOR_TOKEN (or sign in, if made already)."""
    body = {"token": bootstrap, "email": email, "name": "Quản trị", "password": ADMIN_PASSWORD}
    async with http.post(f"{base}/api/staff/setup", json=body) as response:
        if response.status == 409:
            return await sign_in(http, base, email, ADMIN_PASSWORD)
        assert response.status == 201, await response.text()
    return StaffSession(http, base)


async def sign_in(
    http: aiohttp.ClientSession, base: str, email: str, password: str
) -> StaffSession:
    body = {"email": email, "password": password}
    async with http.post(f"{base}/api/staff/sign-in", json=body) as response:
        assert response.status == 200, await response.text()
    return StaffSession(http, base)


async def make_script_token(
    session: StaffSession, name: str = "script", role: str = "admin"
) -> str:
    """A script token made on the people page's API, as an administrator."""
    async with session.http.post(
        f"{session.base}/api/editor/tokens",
        json={"name": name, "role": role},
        headers=session.csrf,
    ) as response:
        assert response.status == 201, await response.text()
        token: str = (await response.json())["token"]
    return token


async def script_token_for(base: str, bootstrap: str) -> str:
    """A script token for the portal at `base`, made as a new install makes its first one:
    the first administrator with EDITOR_TOKEN (or signed in, once made), then a token on the
    people page's API."""
    async with cookie_client() as http:
        admin = await first_admin(http, base, bootstrap)
        return await make_script_token(admin, "deploy test")
