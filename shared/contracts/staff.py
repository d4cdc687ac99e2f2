"""Mail for staff (an invitation, a password reset link), asked of the notifier by content:
the notifier is the one service that talks SMTP. The link carries a single-use secret, so
the notifier sends it and keeps only that it was sent (by `event_id`), never the link."""

from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field, HttpUrl

from shared.contracts.events import EventData, register_event
from shared.contracts.text import ONE_LINE

StaffMailKind = Literal["invitation", "password_reset"]


@register_event
class StaffMailRequested(EventData):
    TYPE: ClassVar[str] = "staff.mail"
    VERSION: ClassVar[int] = 1

    kind: StaffMailKind
    email: str = Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    name: str = Field(max_length=120, pattern=ONE_LINE)
    link: HttpUrl
    expires_at: AwareDatetime
    # For an invitation: who invited them, and as what (shown in the mail).
    invited_by: str = Field(default="", max_length=120, pattern=ONE_LINE)
    role: str = Field(default="", max_length=20, pattern=ONE_LINE)
