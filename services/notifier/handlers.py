"""What the notifier does with each event."""

import aiosmtplib
import structlog

from services.notifier.mailer import Composer, Mailer
from services.notifier.store import DeliveryStore, SubscriberStore
from shared.events import ArticlePublished, Envelope

log = structlog.get_logger(__name__)


class DeliveryIncomplete(Exception):
    """Some emails failed transiently; the event is retried and only those are sent again."""


async def email_article(
    subscribers: SubscriberStore,
    deliveries: DeliveryStore,
    composer: Composer,
    mailer: Mailer,
    event: Envelope[ArticlePublished],
) -> None:
    article = event.data
    failed = 0
    recipients = await subscribers.recipients(article.section)
    async with mailer.connection() as smtp:
        for subscriber in recipients:
            email = str(subscriber["email"])
            state = await deliveries.open(article.article_id, email, str(event.event_id))
            if state == "sent":
                continue  # a redelivered event: this reader already has it
            try:
                await smtp.send_message(composer.article(email, article))
            except aiosmtplib.SMTPException as error:
                failed += 1
                log.warning("delivery.failed", article_id=article.article_id, error=repr(error))
                await deliveries.close(article.article_id, email, "failed", repr(error))
                continue
            await deliveries.close(article.article_id, email, "sent")
    log.info("article.emailed", article_id=article.article_id, recipients=len(recipients))
    if failed:
        raise DeliveryIncomplete(f"{failed} of {len(recipients)} emails failed")
