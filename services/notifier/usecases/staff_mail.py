"""Mail to staff that content asks for by `staff.mail` events: an invitation, a password
reset link. Sent once per event: the event id is recorded after the server accepted the
message, and a redelivered event that is recorded is only acknowledged. A crash between the
two sends it again, with the same Message-ID (derived from the event id), as for articles.

The link carries a single-use secret; it is in the message only, never stored or logged.
Staff mail is not a newsletter: no unsubscribe headers, and a refused address is not
suppressed for readers (it is logged, and the administrator can invite again)."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from zoneinfo import ZoneInfo

import structlog
from pymongo.asynchronous.collection import AsyncCollection

from services.notifier.adapters.smtp import Permanent, Sender, Transient
from services.notifier.domain.compose import TEMPLATES
from shared.contracts.events import Envelope
from shared.contracts.site import SiteIdentity
from shared.contracts.staff import StaffMailRequested
from shared.platform.bus import RetryLater
from shared.platform.db import Document
from shared.platform.storage.writes import insert_or_ignore
from shared.presentation.vietnamese import date_line

log = structlog.get_logger(__name__)

SUBJECTS = {
    "invitation": "Lời mời tham gia ban biên tập {site}",
    "password_reset": "Đặt lại mật khẩu biên tập {site}",
}
ROLE_NAMES = {"contributor": "cộng tác viên", "editor": "biên tập viên", "admin": "quản trị"}


class StaffMail:
    def __init__(
        self,
        sent: AsyncCollection[Document],
        sender: Sender,
        mail_from: str,
        domain: str,
        site: Callable[[], SiteIdentity],
    ) -> None:
        self._sent = sent
        self._sender = sender
        self._from = mail_from
        self._domain = domain
        self._site = site

    async def handle(self, event: Envelope[StaffMailRequested]) -> None:
        key = str(event.event_id)
        if await self._sent.find_one({"_id": key}) is not None:
            return  # sent before this redelivery
        message = self.compose(event.event_id, event.data)
        try:
            async with self._sender.slot() as connection:
                await self._sender.send(connection, event.data.email, message.as_bytes())
        except Transient as error:
            raise RetryLater(f"staff mail not sent yet: {error}") from None
        except Permanent as error:
            log.warning("staff_mail.refused", kind=event.data.kind, error=str(error))
        await insert_or_ignore(self._sent, {"_id": key, "at": datetime.now(UTC)})
        log.info("staff_mail.sent", kind=event.data.kind, event_id=key)

    def compose(self, event_id: uuid.UUID, mail: StaffMailRequested) -> EmailMessage:
        site = self._site()
        zone = ZoneInfo(site.time_zone)
        context = {
            "site_name": site.name,
            "organisation": site.organisation,
            "name": mail.name,
            "link": str(mail.link),
            "expires": date_line(mail.expires_at, zone),
            "invited_by": mail.invited_by,
            "role": ROLE_NAMES.get(mail.role, mail.role),
        }
        template = f"staff_{mail.kind}"
        message = EmailMessage()
        message["From"] = self._from
        message["To"] = mail.email
        message["Subject"] = SUBJECTS[mail.kind].format(site=site.name)
        message["Date"] = format_datetime(datetime.now(UTC))
        # Derived from the event only (make_msgid adds time and randomness): a second send of
        # the same event is recognisably the same message.
        message["Message-ID"] = f"<staff.{event_id.hex}@{self._domain}>"
        message.set_content(TEMPLATES.get_template(f"{template}.txt").render(context))
        html = TEMPLATES.get_template(f"{template}.html").render(context)
        message.add_alternative(html, subtype="html")
        return message
