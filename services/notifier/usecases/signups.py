"""Sign-up: one insert before the answer; the subscriber and the confirmation email after.

The answer must not tell whether an address is new, pending, confirmed, unsubscribed or
suppressed, by its body or by its timing, so the work before it is the same for every
address: insert the request under a random `_id`. The rest (add the subscriber as pending,
decide whether a confirmation is due, mail it) runs after the answer on the replica that
took the request, or later on whichever replica's sweep finds it unfinished (its replica
died, or the mail could not go): nothing accepted is lost.
"""

import asyncio
import os
import socket
import time
from datetime import UTC, datetime, timedelta
from typing import Literal

import structlog

from services.notifier.adapters.signup_store import ConfirmationMails, SignupInbox
from services.notifier.adapters.smtp import Permanent, Sender, Transient
from services.notifier.adapters.store import SubscriberStore, SuppressionStore
from services.notifier.config import NotifierSettings
from services.notifier.domain.compose import Composer
from services.notifier.domain.models import Signup, SubscribeRequest
from services.notifier.metrics import SIGNUPS
from shared.platform.background import TaskSet

log = structlog.get_logger(__name__)

CONFIRMATION_TRIES = 3
# The sweep leaves the youngest requests to the replica that answered them.
SWEEP_MIN_AGE = timedelta(seconds=10)
SWEEP_BATCH = 500

Outcome = Literal["mailed", "limited", "confirmed", "suppressed", "unsent"]


class Signups:
    def __init__(
        self,
        settings: NotifierSettings,
        inbox: SignupInbox,
        mails: ConfirmationMails,
        subscribers: SubscriberStore,
        suppressions: SuppressionStore,
        composer: Composer,
        sender: Sender,
        after_answer: TaskSet,
    ) -> None:
        self._settings = settings
        self._inbox = inbox
        self._mails = mails
        self._subscribers = subscribers
        self._suppressions = suppressions
        self._composer = composer
        self._sender = sender
        self._after_answer = after_answer
        self._lease = timedelta(seconds=settings.claim_lease_seconds)
        self.owner = f"{socket.gethostname()}:{os.getpid()}"

    async def sign_up(self, request: SubscribeRequest) -> None:
        """Accept the sign-up; the rest runs after the caller answered."""
        # One insert, the same for every address, then the answer; the subscriber, whether a
        # confirmation is due and the email come after it, so neither the answer nor its
        # timing says anything about the address.
        request_id = await self.receive(request)
        self._after_answer.start(self.process_later(request_id))

    async def receive(self, request: SubscribeRequest) -> str:
        """Store the sign-up: the only work before the answer, the same for every address."""
        return await self._inbox.add(request, datetime.now(UTC))

    async def process_later(self, request_id: str) -> None:
        """The run after the answer; if it fails, a sweep takes the request over."""
        await self.process(request_id)

    async def process(self, request_id: str) -> bool:
        """Process the request, unless another replica holds it or has finished it;
        True if this call did."""
        claim = await self._inbox.claim(request_id, self.owner)
        if claim is None:
            return False
        claimed_at = time.monotonic()
        signup = await self._inbox.get(request_id)
        if signup is None:  # finished by another replica between its listing and our claim
            await self._inbox.release(claim)
            return False
        outcome = await self._confirm_if_due(signup, claimed_at)
        SIGNUPS.labels(outcome).inc()
        if outcome == "unsent":
            # Kept, with its claim: once the lease is over, a sweep mails it again.
            log.warning("signup.left_for_later", attempt=claim.attempt)
        else:
            await self._inbox.finish(claim)
        return True

    async def _confirm_if_due(self, signup: Signup, claimed_at: float) -> Outcome:
        subscriber = await self._subscribers.add(signup.email, signup.sections, signup.language)
        if subscriber.status == "confirmed":
            return "confirmed"
        if await self._suppressions.contains(signup.email):
            return "suppressed"
        # At most one mail per interval and a few a day per address, whoever asks for them.
        if not await self._mails.take(signup.email, signup.id, datetime.now(UTC)):
            return "limited"
        return await self._send_confirmation(signup.email, subscriber.language, claimed_at)

    async def _send_confirmation(self, email: str, language: str, claimed_at: float) -> Outcome:
        message = self._composer.confirmation(email, language)
        for attempt in range(1, CONFIRMATION_TRIES + 1):
            try:
                async with self._sender.slot(during_drain=True) as connection:
                    if time.monotonic() - claimed_at > self._lease.total_seconds() / 2:
                        # Never send under an aging claim: another replica may take it over.
                        return "unsent"
                    await self._sender.send(connection, email, message)
                return "mailed"
            except Permanent as error:
                await self._suppressions.add(email, str(error))
                log.warning("confirmation.refused", error=str(error))
                return "suppressed"
            except Transient as error:
                log.warning("confirmation.retry", attempt=attempt, error=str(error))
                if attempt < CONFIRMATION_TRIES:
                    await asyncio.sleep(self._settings.retry_base_seconds * 2 ** (attempt - 1))
        log.error("confirmation.gave_up")
        return "unsent"

    async def sweep(self) -> int:
        """Process the requests that no replica finished; return how many this one took."""
        taken = 0
        received_before = datetime.now(UTC) - SWEEP_MIN_AGE
        for request_id in await self._inbox.waiting(received_before, SWEEP_BATCH):
            try:
                taken += await self.process(request_id)
            except Exception:
                # One request's failure must not hold up the others; it stays for later.
                log.exception("signup.process_failed", request_id=request_id)
        return taken

    async def run(self) -> None:
        """Sweep at start, then every SIGNUP_SWEEP_SECONDS."""
        task = asyncio.current_task()
        while True:
            try:
                taken = await self.sweep()
                if taken:
                    log.info("signups.swept", taken=taken)
            except Exception:  # the database is away: the next round tries again
                log.exception("signups.sweep_failed")
            if task is not None and task.cancelling():
                # PyMongo swallows a cancellation that lands while it connects (the first
                # sweep runs then): honour it here instead of sleeping through shutdown.
                raise asyncio.CancelledError
            await asyncio.sleep(self._settings.signup_sweep_seconds)
