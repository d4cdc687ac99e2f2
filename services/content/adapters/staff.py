"""Staff accounts, invitations, reset links, sessions and sign-in failures in MongoDB.

Secrets never stored as they are: invitation, reset and session tokens are kept by their
SHA-256 (a random 256-bit token needs no slow hash), passwords by their Argon2id hash. An
account's `_id` is derived from its address, so two invitations accepted at once cannot
make two accounts for one person (a unique insert decides).
"""

from dataclasses import asdict
from datetime import UTC, datetime

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.content.adapters.editors import token_hash
from services.content.domain.staff import Invitation, Session, StaffMember
from shared.platform.db import Document
from shared.platform.storage.writes import insert_or_ignore, upsert


def staff_id(email: str) -> str:
    return "s" + token_hash(email)[:24]


def _member(document: Document) -> StaffMember:
    return StaffMember(
        id=str(document["_id"]),
        email=str(document["email"]),
        name=str(document["name"]),
        role=document["role"],
        active=bool(document["active"]),
        session_epoch=int(document["session_epoch"]),
        created_at=document["created_at"],
    )


def _invitation(document: Document) -> Invitation:
    fields = {key: value for key, value in document.items() if key != "_id"}
    return Invitation(**fields)


def _alive(document: Document | None, now: datetime) -> Document | None:
    if document is None or document["expires_at"].replace(tzinfo=UTC) <= now:
        return None
    return document


class StaffStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.staff: AsyncCollection[Document] = db["staff"]
        self.invitations: AsyncCollection[Document] = db["staff_invitations"]
        self.resets: AsyncCollection[Document] = db["password_resets"]
        self.sessions: AsyncCollection[Document] = db["staff_sessions"]
        self.failures: AsyncCollection[Document] = db["signin_failures"]

    # --- accounts ---------------------------------------------------------------------------

    async def add(self, member: StaffMember, password_hash: str) -> bool:
        """False if the address has an account already."""
        document = {**asdict(member), "_id": member.id, "password_hash": password_hash}
        del document["id"]
        return await insert_or_ignore(self.staff, document)

    async def member(self, member_id: str) -> StaffMember | None:
        found = await self.staff.find_one({"_id": member_id}, {"password_hash": 0})
        return None if found is None else _member(found)

    async def with_password(self, email: str) -> tuple[StaffMember, str] | None:
        found = await self.staff.find_one({"_id": staff_id(email)})
        return None if found is None else (_member(found), str(found["password_hash"]))

    async def everyone(self) -> list[StaffMember]:
        found = await self.staff.find({}, {"password_hash": 0}).sort("created_at").to_list()
        return [_member(document) for document in found]

    async def any_admin(self) -> bool:
        return await self.staff.find_one({"role": "admin", "active": True}) is not None

    async def change(self, member_id: str, **fields: object) -> StaffMember | None:
        """Set `fields` and end every session of the account (a new session epoch)."""
        result = await self.staff.update_one(
            {"_id": member_id}, {"$set": fields, "$inc": {"session_epoch": 1}}
        )
        if result.matched_count == 0:
            return None
        # Also deleted, in case a concurrent change's epoch won (FerretDB may lose an $inc).
        await self.sessions.delete_many({"staff_id": member_id})
        return await self.member(member_id)

    # --- invitations and reset links: single use, by a unique delete ------------------------

    async def add_invitation(self, token: str, invitation: Invitation) -> None:
        await self.invitations.insert_one({**asdict(invitation), "_id": token_hash(token)})

    async def invitation(self, token: str, now: datetime) -> Invitation | None:
        found = _alive(await self.invitations.find_one({"_id": token_hash(token)}), now)
        return None if found is None else _invitation(found)

    async def use_invitation(self, token: str, now: datetime) -> Invitation | None:
        """Take the invitation away (once: the delete decides who used it)."""
        found = _alive(await self.invitations.find_one_and_delete({"_id": token_hash(token)}), now)
        return None if found is None else _invitation(found)

    async def pending_invitations(self, now: datetime) -> list[tuple[str, Invitation]]:
        """Invitations not used nor expired, each with its reference (the secret's hash:
        it names the invitation, and cannot be turned back into the link)."""
        found = self.invitations.find({"expires_at": {"$gt": now}}).sort("expires_at")
        return [(str(document["_id"]), _invitation(document)) async for document in found]

    async def drop_invitation(self, ref: str) -> bool:
        result = await self.invitations.delete_one({"_id": ref})
        return result.deleted_count == 1

    async def add_reset(self, token: str, member_id: str, expires_at: datetime) -> None:
        await self.resets.insert_one(
            {"_id": token_hash(token), "staff_id": member_id, "expires_at": expires_at}
        )

    async def use_reset(self, token: str, now: datetime) -> str | None:
        found = _alive(await self.resets.find_one_and_delete({"_id": token_hash(token)}), now)
        return None if found is None else str(found["staff_id"])

    # --- sessions ---------------------------------------------------------------------------

    async def add_session(self, token: str, session: Session) -> None:
        await self.sessions.insert_one({**asdict(session), "_id": token_hash(token)})

    async def session(self, token: str, now: datetime) -> Session | None:
        found = _alive(await self.sessions.find_one({"_id": token_hash(token)}), now)
        if found is None:
            return None
        del found["_id"]
        return Session(**found)

    async def end_session(self, token: str) -> None:
        await self.sessions.delete_one({"_id": token_hash(token)})

    # --- sign-in failures, counted per fixed window -----------------------------------------

    async def failures_of(self, keys: list[str], window: int) -> list[int]:
        counts = []
        for key in keys:
            found = await self.failures.find_one({"_id": f"{key}:{window}"})
            counts.append(0 if found is None else int(found["count"]))
        return counts

    async def add_failure(self, keys: list[str], window: int, expires_at: datetime) -> None:
        for key in keys:
            await upsert(
                self.failures,
                {"_id": f"{key}:{window}"},
                {"$inc": {"count": 1}, "$setOnInsert": {"expires_at": expires_at}},
            )

    # --- what has expired ------------------------------------------------------------------

    async def forget_expired(self, now: datetime) -> None:
        """Delete the sign-in failures, sessions, invitations and reset links that expired
        (FerretDB has no TTL index to do it)."""
        for collection in (self.failures, self.sessions, self.invitations, self.resets):
            await collection.delete_many({"expires_at": {"$lt": now}})
