"""Delivery jobs: send one chunk of an article's recipients, each at most once per attempt.

Per recipient: claim attempt n by a unique insert, send, record the outcome. A claim that
is taken means another replica has (or had) that attempt: look at what it recorded. Only a
claim with no record after the lease (its replica died) lets attempt n+1 go ahead; that is
the one window where a reader can get a second copy, with the same Message-ID.
"""

import asyncio
import os
import socket
import time
from collections import OrderedDict
from typing import Literal

import structlog

from services.notifier.adapters.deliveries import DeliveryStore
from services.notifier.adapters.smtp import Draining, Permanent, Sender, Transient
from services.notifier.adapters.store import Blocklist, SuppressionStore
from services.notifier.config import NotifierSettings
from services.notifier.domain.compose import Composer, Prepared
from services.notifier.domain.deliveries import (
    DeliveryJob,
    FinalState,
    delivery_key,
    left_unsent,
    retry_delay,
)
from services.notifier.metrics import DELIVERIES, IN_DOUBT
from shared.contracts.events import ArticlePublished, Envelope
from shared.contracts.site import SiteIdentity
from shared.platform.bus import RetryLater

log = structlog.get_logger(__name__)

PREPARED_CACHE = 16

# Where one try at a delivery left it: ended (or out of attempts), held by another replica,
# its claim taken (look at what the taker recorded), or to be tried again.
Turn = Literal["ended", "held", "taken", "again"]


class DeliveriesHeld(RetryLater):
    """Some recipients are mid-attempt on another replica: look again later, holding the job."""


class Deliverer:
    def __init__(
        self,
        settings: NotifierSettings,
        deliveries: DeliveryStore,
        suppressions: SuppressionStore,
        blocklist: Blocklist,
        composer: Composer,
        sender: Sender,
    ) -> None:
        self.settings = settings
        self.deliveries = deliveries
        self.suppressions = suppressions
        self.blocklist = blocklist
        self.composer = composer
        self.sender = sender
        self.lease_seconds = settings.claim_lease_seconds
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self._prepared: OrderedDict[tuple[str, int, str, SiteIdentity], Prepared] = OrderedDict()
        # A send is in doubt from its start until its outcome (or failure) is stored: if this
        # replica dies then, the reader gets a second copy. At most two per connection may be
        # (one sending, one being recorded), whatever the database's pace: a stalled insert
        # pauses the sending instead of letting the sends in doubt pile up behind it.
        self.in_doubt = asyncio.Semaphore(2 * settings.send_concurrency)

    async def handle(self, event: Envelope[DeliveryJob]) -> None:
        """Deliver a job's chunk; DeliveriesHeld if another replica holds some of it."""
        job = event.data
        deliveries = await self._start(job)
        # Every recipient runs to its end even if one fails (a database error): their sends
        # then get recorded, instead of being cut off between the server's answer and ours.
        results = await asyncio.gather(
            *(delivery.run() for delivery in deliveries), return_exceptions=True
        )
        held = _held(results)
        if held:
            raise DeliveriesHeld(f"{held} of {len(job.recipients)} deliveries held elsewhere")

    async def _start(self, job: DeliveryJob) -> list["Delivery"]:
        prepared = {
            language: self._prepare(job.article, language)
            for language in {"vi", *job.languages.values()}
        }
        suppressed, opted_out = await self.blocklist.current()
        # Attempt 1 of the whole chunk in one insert: on a first delivery of the job, that
        # is every recipient, and the round trips per message stay near zero.
        keys = [delivery_key(job.article.article_id, email) for email in job.recipients]
        first = await self.deliveries.claim_first(keys, self.owner)
        claimed_at = time.monotonic()
        return [
            Delivery(
                self,
                job,
                prepared[job.languages.get(email, "vi")],
                email,
                left_unsent(email, suppressed, opted_out),
                claimed_at if key in first else None,
            )
            for key, email in zip(keys, job.recipients, strict=True)
        ]

    def _prepare(self, article: ArticlePublished, language: str) -> Prepared:
        # The site's identity too: a new name shows in the next email, not after 16 articles.
        key = (article.article_id, article.revision, language, self.composer.site())
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = self.composer.prepare_article(article, language)
            self._prepared[key] = prepared
            if len(self._prepared) > PREPARED_CACHE:
                self._prepared.popitem(last=False)
        return prepared


def _held(results: list[bool | BaseException]) -> int:
    """How many deliveries another replica holds; the first failure, if any, is raised."""
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results.count(False)


class Delivery:
    """One recipient's delivery, taken to an end or to the attempt limit on this replica."""

    def __init__(
        self,
        deliverer: Deliverer,
        job: DeliveryJob,
        prepared: Prepared,
        email: str,
        left: FinalState | None,
        first_claimed_at: float | None,
    ) -> None:
        self._deliverer = deliverer
        self._limit = job.attempt_limit
        self._prepared = prepared
        self._email = email
        self._left = left  # suppressed or opted out since the fan-out: nothing is sent
        self._first_claimed_at = first_claimed_at  # attempt 1 claimed with the whole chunk
        self._article_id = job.article.article_id
        self._key = delivery_key(self._article_id, email)
        self._attempt = 1

    async def run(self) -> bool:
        """True once the delivery ended (or ran out of attempts: it stays failed until an
        admin retries); False if another replica holds it."""
        while self._attempt <= self._limit:
            turn = await (self._leave() if self._left else self._send())
            if turn == "taken":
                turn = await self._after_taken()
            if turn == "ended":
                return True
            if turn == "held":
                return False
        return True

    async def _leave(self) -> Turn:
        if not await self._claim():
            return "taken"
        assert self._left is not None
        await self._end(self._left, "left before sending")
        return "ended"

    async def _send(self) -> Turn:
        message = self._deliverer.composer.article(self._prepared, self._article_id, self._email)
        async with self._deliverer.in_doubt:
            turn = await self._send_and_record(message)
        if turn == "again":
            await self._pause_before_retry()
        return turn

    async def _send_and_record(self, message: bytes) -> Turn:
        sender = self._deliverer.sender
        claimed = False
        try:
            async with sender.slot() as connection:
                claimed = await self._claim()
                if claimed:
                    await sender.send(connection, self._email, message)
        except Draining:
            # Hand the unsent attempt back, so that the replica that gets the job next sends
            # at once instead of waiting out the lease.
            await self._release_first("released unsent: replica shutting down")
            return "held"
        except Permanent as error:
            await self._deliverer.suppressions.add(self._email, str(error))
            await self._end("suppressed", str(error))
            return "ended"
        except Transient as error:
            await self._failed(claimed, str(error))
            return "again"
        if not claimed:
            return "taken"
        # Recorded after the connection went back to the pool for the next send.
        accepted = time.monotonic()
        await self._end("sent")
        IN_DOUBT.observe(time.monotonic() - accepted)
        return "ended"

    async def _claim(self) -> bool:
        if self._attempt == 1 and self._first_claimed_at is not None:
            if time.monotonic() - self._first_claimed_at < self._deliverer.lease_seconds / 2:
                return True
            # Held too long (a pause): never send under an aging lease; give it back.
            await self._record_failure("released unsent: claim held too long")
            return False
        return await self._deliverer.deliveries.claim(
            self._key, self._attempt, self._deliverer.owner
        )

    async def _release_first(self, reason: str) -> None:
        if self._attempt == 1 and self._first_claimed_at is not None:
            await self._record_failure(reason)

    async def _failed(self, claimed: bool, error: str) -> None:
        # Without a connection nothing was claimed: the same attempt goes again.
        if claimed:
            await self._record_failure(error)
            log.info("delivery.retry", attempt=self._attempt, error=error)
            self._attempt += 1

    async def _pause_before_retry(self) -> None:
        if self._attempt <= self._limit:
            settings = self._deliverer.settings
            delay = retry_delay(
                self._attempt, settings.retry_base_seconds, settings.retry_max_seconds
            )
            await asyncio.sleep(delay)

    async def _after_taken(self) -> Turn:
        step = await self._deliverer.deliveries.after_taken(self._key, self._attempt)
        if step == "done":
            return "ended"
        if step == "held":
            return "held"
        self._attempt += 1
        return "again"

    async def _record_failure(self, error: str) -> None:
        await self._deliverer.deliveries.record_failure(
            self._key, self._article_id, self._attempt, error
        )

    async def _end(self, state: FinalState, detail: str = "") -> None:
        deliveries = self._deliverer.deliveries
        if await deliveries.record_outcome(
            self._key, self._article_id, self._attempt, state, detail
        ):
            DELIVERIES.labels(state).inc()
        else:
            log.warning(
                "delivery.already_ended",
                article_id=self._article_id,
                attempt=self._attempt,
                state=state,
            )
