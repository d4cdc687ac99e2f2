"""Editor bearer tokens with roles. Only a token's SHA-256 is stored (`editors._id`).

The `EDITOR_TOKEN` setting, if set, is a bootstrap admin token that is never stored: it
lets a fresh install (and the e2e tests) work before anyone has run the token command.
"""

import hashlib
import hmac
import secrets
import time
from datetime import UTC, datetime

from aiohttp import web
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.content.domain.editors import Editor, Role
from shared.contracts.errors import Forbidden, Unauthenticated
from shared.platform.db import Document
from shared.platform.http import bearer_token

# A found token is trusted this long without reading the database again: a revoked token
# keeps working at most this long on a replica that saw it recently.
CACHE_SECONDS = 30.0
BOOTSTRAP_NAME = "bootstrap-admin"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


class EditorTokens:
    def __init__(self, db: AsyncDatabase[Document], bootstrap_token: str | None) -> None:
        self.editors: AsyncCollection[Document] = db["editors"]
        self._bootstrap = bootstrap_token
        self._cache: dict[str, tuple[float, Editor]] = {}

    async def create(self, name: str, role: Role) -> str:
        """Store a new token's hash and return the token (the only time it is seen)."""
        token = new_token()
        await self.editors.insert_one(
            {
                "_id": token_hash(token),
                "name": name,
                "role": role,
                "created_at": datetime.now(UTC),
            }
        )
        return token

    async def revoke(self, name: str) -> int:
        result = await self.editors.delete_many({"name": name})
        return result.deleted_count

    async def list(self) -> list[Document]:
        return await self.editors.find({}, {"_id": 0}).sort("created_at").to_list()

    async def editor_for(self, token: str) -> Editor | None:
        if self._bootstrap and hmac.compare_digest(token.encode(), self._bootstrap.encode()):
            return Editor(BOOTSTRAP_NAME, "admin")
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

    async def require(self, request: web.Request, role: Role = "editor") -> Editor:
        """401 without a valid bearer token, 403 if its role is not enough."""
        token = bearer_token(request)
        editor = await self.editor_for(token) if token else None
        if editor is None:
            raise Unauthenticated("a valid editor bearer token is required")
        if not editor.may(role):
            raise Forbidden(f"this needs the {role} role")
        return editor
