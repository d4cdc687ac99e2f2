"""What the notifier does with each event."""

import aiosmtplib
import structlog

from services.notifier.mailer import Composer, Mailer
from services.notifier.store import DeliveryState, DeliveryStore, SubscriberStore
from shared.bus import RetryLater
from shared.db import Document
from shared.events import ArticlePublished, Envelope

log = structlog.get_logger(__name__)


class DeliveryIncomplete(RetryLater):
    """Some emails failed transiently; the event is retried and only those are sent again."""


async def email_article(
    subscribers: SubscriberStore,
    deliveries: DeliveryStore,
    composer: Composer,
    mailer: Mailer,
    event: Envelope[ArticlePublished],
) -> None:
    article = event.data
    recipients = await subscribers.recipients(article.section)
    if not recipients:
        return
    try:
        failed = await _send_all(deliveries, composer, mailer, event, recipients)
    except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPServerDisconnected) as error:
        raise RetryLater(f"SMTP server unavailable: {error!r}") from error
    log.info("article.emailed", article_id=article.article_id, recipients=len(recipients))
    if failed:
        raise DeliveryIncomplete(f"{failed} of {len(recipients)} emails failed")


async def _send_all(
    deliveries: DeliveryStore,
    composer: Composer,
    mailer: Mailer,
    event: Envelope[ArticlePublished],
    recipients: list[Document],
) -> int:
    """Send to everyone not yet done over one connection; return how many failed transiently."""
    article = event.data
    failed = 0
    async with mailer.connection() as smtp:
        for subscriber in recipients:
            email = str(subscriber["email"])
            delivery = await deliveries.open(article.article_id, email, str(event.event_id))
            if delivery["state"] in ("sent", "rejected"):
                continue  # a redelivered event: this reader is already done
            attempt = await deliveries.claim(delivery)
            if attempt is None:
                continue  # another replica sends it, or an attempt ended without a record
            try:
                await smtp.send_message(composer.article(email, article))
            except aiosmtplib.SMTPResponseException as error:
                permanent = error.code >= 500
                state: DeliveryState = "rejected" if permanent else "failed"
                failed += 0 if permanent else 1
                await deliveries.record(delivery, attempt, state, f"{error.code} {error.message}")
                continue
            except aiosmtplib.SMTPException as error:
                # The connection broke mid-send: record this one, and let the retry reconnect.
                await deliveries.record(delivery, attempt, "failed", repr(error))
                return failed + 1
            await deliveries.record(delivery, attempt, "sent")
    return failed
