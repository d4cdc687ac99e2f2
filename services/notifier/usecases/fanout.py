"""article.published → pending deliveries and delivery jobs on the queue all replicas share.

Idempotent on the event id and safe to crash: the deliveries are unique inserts and the jobs
are published before the fan-out is marked done, so a redelivered event either finds the mark
(nothing to do) or does it all again (existing deliveries stay, duplicate jobs find their
deliveries claimed or ended and send nothing).
"""

import uuid
from collections.abc import Callable

import structlog

from services.notifier.adapters.deliveries import DeliveryStore
from services.notifier.adapters.store import SubscriberStore, SuppressionStore
from services.notifier.config import NotifierSettings
from services.notifier.domain.deliveries import DeliveryJob, chunks
from services.notifier.domain.models import is_plausible_address
from shared.contracts.errors import NotFound
from shared.contracts.events import ArticlePublished, Envelope, new_envelope
from shared.contracts.sections import STARTER, SectionCatalogue
from shared.platform.bus import Bus, PublishFailed, RetryLater

log = structlog.get_logger(__name__)


class FanOut:
    def __init__(
        self,
        settings: NotifierSettings,
        subscribers: SubscriberStore,
        suppressions: SuppressionStore,
        deliveries: DeliveryStore,
        bus: Bus,
        sections: Callable[[], SectionCatalogue] = lambda: STARTER,
    ) -> None:
        self._settings = settings
        self._subscribers = subscribers
        self._suppressions = suppressions
        self._deliveries = deliveries
        self._bus = bus
        self._sections = sections  # as content last announced them (usecases/copies.py)

    async def handle(self, event: Envelope[ArticlePublished]) -> None:
        """Fan a published article out to its section's subscribers, once per event."""
        event_id = str(event.event_id)
        if await self._deliveries.fanout_done(event_id):
            log.info("fanout.already_done", event_id=event_id)
            return
        article = event.data
        await self._deliveries.save_article(article)
        section = self._sections().get(article.section_slug)
        if section is not None and section.hidden:
            # Hidden: its readers keep the subscription, and get no email while it is.
            await self._deliveries.mark_fanout_done(event_id, article.article_id, 0)
            log.info("fanout.section_hidden", article_id=article.article_id)
            return
        recipients = await self._recipients(article.section_slug)
        languages = {email: language for email, language in recipients if language != "vi"}
        emails = [email for email, _ in recipients]
        jobs = await self.enqueue(
            article, emails, languages, self._settings.max_attempts, event.event_id
        )
        await self._deliveries.mark_fanout_done(event_id, article.article_id, len(recipients))
        log.info(
            "fanout.done", article_id=article.article_id, recipients=len(recipients), jobs=jobs
        )

    async def _recipients(self, section_slug: str) -> list[tuple[str, str]]:
        excluded = await self._suppressions.emails()
        found = await self._subscribers.recipients(section_slug, excluded)
        # A record that is not a plausible address (written around the API) would make every
        # job of its chunk unreadable, and so stop the others' mail: it is left out instead.
        recipients = [(email, language) for email, language in found if is_plausible_address(email)]
        if len(recipients) < len(found):
            log.warning("fanout.implausible_addresses_left_out", count=len(found) - len(recipients))
        return recipients

    async def retry_failed(self, article_id: str) -> int:
        """Queue again every delivery of the article whose attempts all failed transiently;
        return how many."""
        article = await self._deliveries.article(article_id)
        if article is None:
            raise NotFound("no deliveries for this article")
        failed = await self._deliveries.failed(article_id)
        if failed:
            limit = max(failed.values()) + self._settings.max_attempts
            emails = sorted(failed)
            languages = await self._subscribers.languages(emails)
            await self.enqueue(article, emails, languages, limit, uuid.uuid4())
        log.info("deliveries.retry_queued", article_id=article_id, queued=len(failed))
        return len(failed)

    async def enqueue(
        self,
        article: ArticlePublished,
        recipients: list[str],
        languages: dict[str, str],
        attempt_limit: int,
        origin: uuid.UUID,
    ) -> int:
        """Create the deliveries and publish their jobs, chunk by chunk; return the job count."""
        parts = chunks(recipients, self._settings.chunk_size)
        for number, chunk in enumerate(parts):
            await self._deliveries.create(article.article_id, chunk)
            job = DeliveryJob.model_validate(
                {
                    "article": article,
                    "recipients": chunk,
                    "languages": {e: languages[e] for e in chunk if e in languages},
                    "attempt_limit": attempt_limit,
                }
            )
            # Derived ids: the same chunk of the same event always has the same job id.
            job_id = uuid.uuid5(origin, f"chunk-{number}")
            try:
                await self._bus.publish(new_envelope(job, "notifier", event_id=job_id))
            except PublishFailed as error:
                raise RetryLater(str(error)) from error
        return len(parts)
