"""Mail to staff: an invitation and a reset link as the notifier builds them."""

import uuid
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

from services.notifier.adapters.smtp import Sender
from services.notifier.usecases.staff_mail import StaffMail
from shared.contracts.site import SiteIdentity
from shared.contracts.staff import StaffMailRequested

SITE = SiteIdentity(name="Cổng thông tin Ban Dân vận", organisation="Tỉnh ủy Quảng Trị")


def mailer() -> StaffMail:
    return StaffMail(None, Sender.__new__(Sender), "Ban biên tập <tin@so.example.vn>",  # type: ignore[arg-type]
                     "so.example.vn", lambda: SITE)  # fmt: skip


def request(kind: str) -> StaffMailRequested:
    return StaffMailRequested.model_validate(
        {
            "kind": kind,
            "email": "ctv@so.example.vn",
            "name": "Lê Thị <b>Lan</b>",
            "link": "https://tin.example.vn/bien-tap/loi-moi#bí-mật-123",
            "expires_at": datetime(2026, 12, 3, 9, 56, tzinfo=UTC),
            "invited_by": "Quản trị",
            "role": "contributor",
        }
    )


def parsed(message: EmailMessage) -> EmailMessage:
    again = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert isinstance(again, EmailMessage)
    return again


def test_an_invitation_in_vietnamese_with_its_link_and_no_newsletter_headers() -> None:
    event_id = uuid.uuid4()
    message = parsed(mailer().compose(event_id, request("invitation")))
    assert message["Subject"] == "Lời mời tham gia ban biên tập Cổng thông tin Ban Dân vận"
    assert message["To"] == "ctv@so.example.vn"
    assert event_id.hex in message["Message-ID"]
    assert message["List-Unsubscribe"] is None
    plain = message.get_body(preferencelist=("plain",))
    rich = message.get_body(preferencelist=("html",))
    assert plain is not None and rich is not None
    text, html = plain.get_content(), rich.get_content()
    assert "https://tin.example.vn/bien-tap/loi-moi#b" in text
    assert "cộng tác viên" in text and "Quản trị" in text
    assert "16:56, Thứ Năm, 3-12-2026" in text  # the site's time zone, Vietnamese date
    assert "<b>Lan</b>" not in html and "&lt;b&gt;Lan&lt;/b&gt;" in html  # escaped


def test_the_same_event_is_the_same_message_id() -> None:
    event_id = uuid.uuid4()
    first = mailer().compose(event_id, request("password_reset"))
    second = mailer().compose(event_id, request("password_reset"))
    assert first["Message-ID"] == second["Message-ID"]
    assert "Đặt lại mật khẩu" in str(parsed(first)["Subject"])
