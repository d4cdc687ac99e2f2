"""Email messages: Vietnamese Jinja2 templates rendered once per article, then per reader.

Rendering a full `EmailMessage` costs milliseconds; a fan-out to 10,000 readers cannot
afford that. So an article's two parts are rendered once with random placeholders for the
reader's own links, and each reader's message is those parts with the links filled in,
base64-encoded, under headers built here (checked by the unit tests with `email.parser`).
"""

import base64
import hashlib
import html
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import Header
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2

from services.notifier.config import NotifierSettings
from services.notifier.domain.links import Links
from shared.contracts.events import ArticlePublished
from shared.contracts.site import SiteIdentity
from shared.presentation.vietnamese import date_line

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parents[1] / "templates"),
    # Event content is untrusted: everything is escaped in HTML; text parts are plain text.
    autoescape=jinja2.select_autoescape(["html"]),
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)


@dataclass(frozen=True)
class Prepared:
    """Both parts of one message, rendered, with placeholders for the reader's links."""

    subject: str  # already RFC 2047-encoded and folded: the same for every reader
    text: str
    html: str
    unsubscribe_mark: str
    preferences_mark: str


class Composer:
    def __init__(
        self, settings: NotifierSettings, site: Callable[[], SiteIdentity] | None = None
    ) -> None:
        self._settings = settings
        # Who the emails say they are from (the site's identity as content last announced
        # it, usecases/site.py); the environment's defaults without one.
        defaults = settings.default_identity()
        self.site: Callable[[], SiteIdentity] = site or (lambda: defaults)
        self.links = Links(settings)
        name, address = parseaddr(settings.mail_from)
        self._from = formataddr((name, address), charset="utf-8")
        self._domain = address.rpartition("@")[2] or (settings.public_url.host or "localhost")

    @property
    def domain(self) -> str:
        """The domain of our Message-IDs: the sender's."""
        return self._domain

    def prepare_article(self, article: ArticlePublished, language: str = "vi") -> Prepared:
        """The article's email in the reader's language (the article itself stays as written)."""
        moment = article.published_at
        return self._prepare(
            article.title,
            _template("article", language),
            {
                "title": article.title,
                "lead": article.lead,
                "section": article.section,
                "url": str(article.url),
                "date_line": english_date_line(moment, self._settings.zone)
                if language == "en"
                else date_line(moment, self._settings.zone),
            },
        )

    def article(self, prepared: Prepared, article_id: str, email: str) -> bytes:
        # A stable Message-ID: if a copy is ever sent twice (a crash between the server's
        # answer and our record), mail systems that deduplicate on it show one.
        digest = hashlib.sha256(f"{article_id}:{email}".encode()).hexdigest()[:32]
        return self.render(prepared, email, f"<{digest}@{self._domain}>")

    def confirmation(self, email: str, language: str = "vi") -> bytes:
        prepared = self._prepare(
            CONFIRM_SUBJECTS.get(language, CONFIRM_SUBJECTS["vi"]),
            _template("confirm", language),
            {
                "email": email,
                "confirm_url": self.links.confirm(email),
                "ttl_hours": self._settings.confirm_ttl_hours,
            },
        )
        return self.render(prepared, email, make_msgid(domain=self._domain))

    def _prepare(self, subject: str, template: str, context: dict[str, object]) -> Prepared:
        unsubscribe_mark = f"UNSUBSCRIBE-{secrets.token_hex(12)}"
        preferences_mark = f"PREFERENCES-{secrets.token_hex(12)}"
        site = self.site()
        context = {
            **context,
            "site_name": site.name,
            "organisation": site.organisation,
            "unsubscribe_url": unsubscribe_mark,
            "preferences_url": preferences_mark,
        }
        return Prepared(
            # Never a line break of its own in a header; encoded once, not once per reader.
            subject=Header(" ".join(subject.split()), "utf-8").encode(linesep="\r\n"),
            text=TEMPLATES.get_template(f"{template}.txt").render(context),
            html=TEMPLATES.get_template(f"{template}.html").render(context),
            unsubscribe_mark=unsubscribe_mark,
            preferences_mark=preferences_mark,
        )

    def render(self, prepared: Prepared, email: str, message_id: str) -> bytes:
        """One reader's message: multipart/alternative, text then HTML, CRLF line ends."""
        unsubscribe = self.links.unsubscribe(email)
        preferences = self.links.preferences(email)
        text = prepared.text.replace(prepared.unsubscribe_mark, unsubscribe).replace(
            prepared.preferences_mark, preferences
        )
        page = prepared.html.replace(
            prepared.unsubscribe_mark, html.escape(unsubscribe, quote=True)
        ).replace(prepared.preferences_mark, html.escape(preferences, quote=True))
        boundary = f"=_{secrets.token_hex(16)}"
        headers = [
            ("From", self._from),
            ("To", email),
            ("Subject", prepared.subject),
            ("Date", format_datetime(datetime.now(UTC))),
            ("Message-ID", message_id),
            # RFC 8058: mail clients offer a one-click unsubscribe that POSTs to this URL.
            ("List-Unsubscribe", f"<{unsubscribe}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ("MIME-Version", "1.0"),
            ("Content-Type", f'multipart/alternative; boundary="{boundary}"'),
        ]
        lines = [f"{name}: {value}" for name, value in headers]
        head = "\r\n".join(lines).encode("ascii")
        return b"".join(
            [
                head,
                b"\r\n\r\n",
                _part(boundary, "text/plain", text),
                _part(boundary, "text/html", page),
                f"--{boundary}--\r\n".encode("ascii"),
            ]
        )


CONFIRM_SUBJECTS = {"vi": "Xác nhận đăng ký nhận tin", "en": "Confirm your subscription"}


def _template(name: str, language: str) -> str:
    """`article` for Vietnamese, the default; `article.en` for English."""
    return name if language == "vi" else f"{name}.{language}"


def english_date_line(moment: datetime, zone: ZoneInfo) -> str:
    """2022-04-25 16:56 +07:00 → "16:56, Monday, 25 April 2022"."""
    local = moment.astimezone(zone)
    month = ENGLISH_MONTHS[local.month - 1]
    return f"{local:%H:%M}, {ENGLISH_DAYS[local.weekday()]}, {local.day} {month} {local.year}"


ENGLISH_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ENGLISH_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def _part(boundary: str, content_type: str, content: str) -> bytes:
    # base64 keeps every line short and 7-bit, whatever the article's text holds.
    body = base64.encodebytes(content.encode("utf-8")).replace(b"\n", b"\r\n")
    head = (
        f"--{boundary}\r\n"
        f'Content-Type: {content_type}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    )
    return head.encode("ascii") + body
