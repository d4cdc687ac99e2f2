"""Sign-ups waiting to be processed, who processes each, and the confirmation emails sent.

Everything that decides is a unique insert (FerretDB has no transactions and can lose one
of two concurrent updates to a document): a replica processes a sign-up only after inserting
its claim, and mails a confirmation only after inserting that mail's slot.
"""

import secrets
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.notifier.domain.models import Signup, SubscribeRequest
from shared.platform.db import Document
from shared.platform.storage.claims import Claim, Claims
from shared.platform.storage.writes import insert_or_ignore


class SignupInbox:
    """`signup_requests`: each accepted sign-up under a random `_id`, written before the
    answer (one insert, whatever the address) and deleted once processed.
    `signup_claims`: `_id` "<request>#<n>" is attempt n at processing it; only the replica
    that inserted it makes that attempt. A claim older than the lease with its request
    still waiting belongs to a replica that died: attempt n+1 may go ahead."""

    def __init__(self, db: AsyncDatabase[Document], lease: timedelta) -> None:
        self.requests: AsyncCollection[Document] = db["signup_requests"]
        self.claims = Claims(db["signup_claims"], lease)

    async def add(self, request: SubscribeRequest, now: datetime) -> str:
        request_id = secrets.token_hex(16)
        await self.requests.insert_one(
            {
                "_id": request_id,
                "email": request.email,
                "sections": request.sections,
                "language": request.language,
                "received_at": now,
            }
        )
        return request_id

    async def get(self, request_id: str) -> Signup | None:
        document = await self.requests.find_one({"_id": request_id})
        if document is None:
            return None
        return Signup(
            id=request_id,
            email=str(document["email"]),
            # FerretDB v1 may drop an empty array: absent means every section.
            sections=[str(slug) for slug in document.get("sections") or []],
            language=str(document.get("language", "vi")),
            received_at=document["received_at"],
        )

    async def claim(self, request_id: str, owner: str) -> Claim | None:
        """The attempt this caller won, or None: another replica holds the request, or it
        was finished meanwhile."""
        return await self.claims.claim(request_id, owner)

    async def finish(self, claim: Claim) -> None:
        # The request first: once it is gone no sweep can find it, so no new claim comes.
        await self.requests.delete_one({"_id": claim.key})
        await self.claims.release(claim)

    async def release(self, claim: Claim) -> None:
        """Remove the claims up to this one (the request is done, by us or by another)."""
        await self.claims.release(claim)

    async def waiting(self, received_before: datetime, limit: int) -> list[str]:
        """Requests still there: left by a replica that died, or whose mail could not go."""
        cursor = self.requests.find(
            {"received_at": {"$lt": received_before}}, projection={"_id": 1}
        ).limit(limit)
        return [str(document["_id"]) async for document in cursor]


class ConfirmationMails:
    """`confirmation_mails`: one document per confirmation email, `_id`
    "<address>#<local date>#<n>" for the nth of that day. Inserting slot n decides who
    sends the nth mail (two replicas cannot both); a day has at most `per_day` slots, and
    the newest slot's time keeps the next mail at least `interval` away."""

    def __init__(
        self, db: AsyncDatabase[Document], interval: timedelta, per_day: int, zone: ZoneInfo
    ) -> None:
        self.mails: AsyncCollection[Document] = db["confirmation_mails"]
        self._interval, self._per_day, self._zone = interval, per_day, zone

    async def take(self, email: str, request_id: str, now: datetime) -> bool:
        """May `request_id` mail a confirmation to `email` now? If so, it is written down."""
        today = now.astimezone(self._zone).date()
        sent = await self._sent_on(email, today)
        if sent and sent[-1].get("request") == request_id:
            return True  # this request's own slot: its mail failed or its replica died
        if len(sent) >= self._per_day:
            return False
        last = sent[-1]["sent_at"] if sent else await self._last_before(email, today, now)
        if last is not None and now - last < self._interval:
            return False
        slot = {
            "_id": _slot_id(email, today, len(sent) + 1),
            "sent_at": now,
            "request": request_id,
        }
        # False: another replica took this slot (mailed this address) at this very moment.
        return await insert_or_ignore(self.mails, slot)

    async def _sent_on(self, email: str, day: date) -> list[Document]:
        """That day's slots, in order: they are inserted 1, 2, … without gaps."""
        found: list[Document] = []
        for number in range(1, self._per_day + 1):
            slot = await self.mails.find_one({"_id": _slot_id(email, day, number)})
            if slot is None:
                break
            found.append(slot)
        return found

    async def _last_before(self, email: str, today: date, now: datetime) -> datetime | None:
        """The previous day's last mail, when the day is too young for it not to matter."""
        midnight = datetime.combine(today, time.min, tzinfo=self._zone)
        if now - midnight >= self._interval:
            return None
        sent = await self._sent_on(email, today - timedelta(days=1))
        return sent[-1]["sent_at"] if sent else None


def _slot_id(email: str, day: date, number: int) -> str:
    return f"{email}#{day.isoformat()}#{number}"
