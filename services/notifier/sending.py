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
from datetime import timedelta

import structlog

from services.notifier.compose import Composer, Prepared
from services.notifier.config import NotifierSettings
from services.notifier.deliveries import DeliveryStore, FinalState, delivery_key
from services.notifier.metrics import DELIVERIES
from services.notifier.models import DeliveryJob
from services.notifier.smtp import Draining, Permanent, Sender, Transient
from services.notifier.store import Blocklist, SuppressionStore
from shared.contracts.events import ArticlePublished, Envelope
from shared.platform.bus import RetryLater

log = structlog.get_logger(__name__)

PREPARED_CACHE = 16


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
        self._settings = settings
        self._deliveries = deliveries
        self._suppressions = suppressions
        self._blocklist = blocklist
        self._composer = composer
        self._sender = sender
        self._lease = timedelta(seconds=settings.claim_lease_seconds)
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self._prepared: OrderedDict[tuple[str, int, str], Prepared] = OrderedDict()

    async def handle(self, event: Envelope[DeliveryJob]) -> None:
        job = event.data
        prepared = {
            language: self._prepare(job.article, language)
            for language in {"vi", *job.languages.values()}
        }
        suppressed, opted_out = await self._blocklist.current()
        # Attempt 1 of the whole chunk in one insert: on a first delivery of the job, that
        # is every recipient, and the round trips per message stay near zero.
        keys = [delivery_key(job.article.article_id, email) for email in job.recipients]
        first = await self._deliveries.claim_first(keys, self.owner)
        claimed_at = time.monotonic()
        # Every recipient runs to its end even if one fails (a database error): their sends
        # then get recorded, instead of being cut off between the server's answer and ours.
        results = await asyncio.gather(
            *(
                self._deliver(
                    job,
                    prepared[job.languages.get(email, "vi")],
                    email,
                    suppressed,
                    opted_out,
                    claimed_at if key in first else None,
                )
                for key, email in zip(keys, job.recipients, strict=True)
            ),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result
        held = results.count(False)
        if held:
            raise DeliveriesHeld(f"{held} of {len(job.recipients)} deliveries held elsewhere")

    def _prepare(self, article: ArticlePublished, language: str) -> Prepared:
        key = (article.article_id, article.revision, language)
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = self._composer.prepare_article(article, language)
            self._prepared[key] = prepared
            if len(self._prepared) > PREPARED_CACHE:
                self._prepared.popitem(last=False)
        return prepared

    async def _deliver(
        self,
        job: DeliveryJob,
        prepared: Prepared,
        email: str,
        suppressed: frozenset[str],
        opted_out: frozenset[str],
        first_claimed_at: float | None,
    ) -> bool:
        """Take the delivery to an end, or to the attempt limit; False if another holds it."""
        article_id = job.article.article_id
        key = delivery_key(article_id, email)
        attempt = 1

        async def claim() -> bool:
            if attempt == 1 and first_claimed_at is not None:
                if time.monotonic() - first_claimed_at < self._lease.total_seconds() / 2:
                    return True
                # Held too long (a pause): never send under an aging lease; give it back.
                await self._deliveries.record_failure(
                    key, article_id, attempt, "released unsent: claim held too long"
                )
                return False
            return await self._deliveries.claim(key, attempt, self.owner)

        while attempt <= job.attempt_limit:
            if email in suppressed or email in opted_out:
                if await claim():
                    state: FinalState = "suppressed" if email in suppressed else "skipped"
                    await self._end(key, article_id, attempt, state, "left before sending")
                    return True
            else:
                claimed = False
                try:
                    message = self._composer.article(prepared, article_id, email)
                    async with self._sender.slot() as connection:
                        claimed = await claim()
                        if claimed:
                            await self._sender.send(connection, email, message)
                    if claimed:
                        # Recorded after the connection went back to the pool for the next send.
                        await self._end(key, article_id, attempt, "sent")
                        return True
                except Draining:
                    if attempt == 1 and first_claimed_at is not None:
                        # Hand the unsent attempt back, so that the replica that gets the
                        # job next sends at once instead of waiting out the lease.
                        await self._deliveries.record_failure(
                            key, article_id, attempt, "released unsent: replica shutting down"
                        )
                    return False
                except Permanent as error:
                    await self._suppressions.add(email, str(error))
                    await self._end(key, article_id, attempt, "suppressed", str(error))
                    return True
                except Transient as error:
                    if claimed:
                        await self._deliveries.record_failure(key, article_id, attempt, str(error))
                        log.info("delivery.retry", attempt=attempt, error=str(error))
                        attempt += 1
                    # Without a connection nothing was claimed: the same attempt goes again.
                    if attempt <= job.attempt_limit:
                        await asyncio.sleep(self._backoff(attempt))
                    continue
            step = await self._deliveries.after_taken(key, attempt, self._lease)
            if step == "done":
                return True
            if step == "held":
                return False
            attempt += 1
        return True  # out of attempts: stays failed until an admin retries

    def _backoff(self, attempt: int) -> float:
        settings = self._settings
        return float(
            min(settings.retry_base_seconds * 2 ** (attempt - 2), settings.retry_max_seconds)
        )

    async def _end(
        self, key: str, article_id: str, attempt: int, state: FinalState, detail: str = ""
    ) -> None:
        if await self._deliveries.record_outcome(key, article_id, attempt, state, detail):
            DELIVERIES.labels(state).inc()
        else:
            log.warning(
                "delivery.already_ended", article_id=article_id, attempt=attempt, state=state
            )
