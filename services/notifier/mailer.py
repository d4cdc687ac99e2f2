"""Email: Vietnamese messages from templates, sent over SMTP with aiosmtplib."""

import hashlib
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from urllib.parse import quote

import aiosmtplib
import jinja2

from services.notifier.config import NotifierSettings
from services.notifier.tokens import sign
from shared.events import ArticlePublished
from shared.vietnamese import date_line

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    keep_trailing_newline=True,
)


class Links:
    """Signed links for one subscriber."""

    def __init__(self, settings: NotifierSettings) -> None:
        self._base = str(settings.public_url).rstrip("/")
        self._key = settings.signing_key.get_secret_value().encode()
        self._confirm_ttl = settings.confirm_ttl_hours * 3600

    def confirm(self, email: str) -> str:
        token = sign(self._key, "confirm", email, self._confirm_ttl)
        return f"{self._base}/api/subscribers/confirm?token={quote(token)}"

    def unsubscribe(self, email: str) -> str:
        # Unsubscribe links never expire: an old email must still let its reader leave.
        token = sign(self._key, "unsubscribe", email, None)
        return f"{self._base}/api/subscribers/unsubscribe?token={quote(token)}"


class Composer:
    def __init__(self, settings: NotifierSettings) -> None:
        self._settings = settings
        self.links = Links(settings)

    def _message(
        self, to: str, subject: str, template: str, context: dict[str, object], message_id: str
    ) -> EmailMessage:
        unsubscribe_url = self.links.unsubscribe(to)
        context = {**context, "unsubscribe_url": unsubscribe_url}
        message = EmailMessage()
        message["From"] = self._settings.mail_from
        message["To"] = to
        message["Subject"] = " ".join(subject.split())  # never a line break in a header
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = message_id
        # RFC 8058: mail clients offer a one-click unsubscribe that POSTs to this URL.
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(TEMPLATES.get_template(f"{template}.txt").render(context))
        message.add_alternative(
            TEMPLATES.get_template(f"{template}.html").render(context), subtype="html"
        )
        return message

    def confirmation(self, email: str) -> EmailMessage:
        return self._message(
            email,
            "Xác nhận đăng ký nhận tin",
            "confirm",
            {
                "email": email,
                "confirm_url": self.links.confirm(email),
                "ttl_hours": self._settings.confirm_ttl_hours,
            },
            make_msgid(domain=self._domain()),
        )

    def article(self, email: str, article: ArticlePublished) -> EmailMessage:
        # A stable Message-ID lets mail systems drop a copy if one is ever sent twice.
        digest = hashlib.sha256(f"{article.article_id}:{email}".encode()).hexdigest()[:24]
        return self._message(
            email,
            article.title,
            "article",
            {
                "title": article.title,
                "lead": article.lead,
                "section": article.section,
                "url": str(article.url),
                "date_line": date_line(article.published_at, self._settings.zone),
            },
            f"<{digest}@{self._domain()}>",
        )

    def _domain(self) -> str:
        return self._settings.public_url.host or "portal.example"


class Mailer:
    """Sends over one SMTP connection per batch, so a fan-out does not reconnect per message."""

    def __init__(self, settings: NotifierSettings) -> None:
        self._settings = settings

    def connection(self) -> aiosmtplib.SMTP:
        settings = self._settings
        return aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            use_tls=settings.smtp_security == "tls",
            start_tls=settings.smtp_security == "starttls",
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            timeout=30,
        )

    async def send_one(self, message: EmailMessage) -> None:
        async with self.connection() as smtp:
            await smtp.send_message(message)
