"""Bearer tokens for scripts and automation, each with a role, made and revoked by an
administrator (on the people page, or `python -m services.content tokens`). Only a token's
SHA-256 is stored (`editors._id`); the token itself is shown once, when it is made."""

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.content.domain.editors import Editor, Role
from shared.platform.db import Document

# A found token is trusted this long without reading the database again: a revoked token
# keeps working at most this long on a replica that saw it recently.
CACHE_SECONDS = 10.0


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class TokenInfo:
    ref: str  # names the token for revoking it; not the token, nor its hash
    name: str
    role: Role
    created_at: datetime
    created_by: str


class EditorTokens:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.editors: AsyncCollection[Document] = db["editors"]
        self._cache: dict[str, tuple[float, Editor]] = {}

    async def create(self, name: str, role: Role, created_by: str = "") -> tuple[str, TokenInfo]:
        """Store a new token's hash and return the token (the only time it is seen)."""
        token = new_token()
        return token, await self.register(token, name, role, created_by)

    async def register(self, token: str, name: str, role: Role, created_by: str) -> TokenInfo:
        info = TokenInfo(secrets.token_hex(6), name, role, datetime.now(UTC), created_by)
        await self.editors.insert_one({"_id": token_hash(token), **info.__dict__})
        return info

    async def revoke(self, name: str) -> int:
        result = await self.editors.delete_many({"name": name})
        return result.deleted_count

    async def revoke_ref(self, ref: str) -> bool:
        result = await self.editors.delete_one({"ref": ref})
        return result.deleted_count == 1

    async def list(self) -> list[TokenInfo]:
        found = await self.editors.find({}, {"_id": 0}).sort("created_at").to_list()
        return [
            TokenInfo(
                str(d.get("ref", "")),
                str(d["name"]),
                d["role"],
                d["created_at"],
                str(d.get("created_by", "")),
            )
            for d in found
        ]

    async def editor_for(self, token: str) -> Editor | None:
        key = token_hash(token)
        cached = self._cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        # Looked up by the hash as `_id`: an exact match, so no timing leak on the token.
        found = await self.editors.find_one({"_id": key})
        if found is None:
            self._cache.pop(key, None)
            return None
        editor = Editor(str(found["name"]), found["role"])
        if len(self._cache) > 1000:
            self._cache.clear()
        self._cache[key] = (time.monotonic(), editor)
        return editor
