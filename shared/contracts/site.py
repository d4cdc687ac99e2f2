"""Who publishes the portal: the site's identity, settings rather than code.

Content owns it (defaults from its environment, changed by administrators through
`PUT /api/site`) and announces each change as `site.updated`; the notifier keeps the last
one it heard for its emails and pages. Every field is bounded text from an administrator.
"""

from typing import ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.contracts.events import EventData, register_event
from shared.contracts.text import ONE_LINE, MultiLine

HTTP_OR_PATH = r"^(https?://[^\s\x00-\x1f\x7f]+|/[^\s\x00-\x1f\x7f]*)$"


class SiteIdentity(BaseModel):
    """What the pages' header and footer, the feeds and the emails say about the site."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    name: str = Field(
        min_length=1, max_length=120, pattern=ONE_LINE, description="the portal's name"
    )
    organisation: str = Field(
        min_length=1, max_length=160, pattern=ONE_LINE, description="the body that publishes it"
    )
    address: str = Field(default="", max_length=300, pattern=ONE_LINE)
    telephone: str = Field(default="", max_length=60, pattern=ONE_LINE)
    email: str = Field(default="", max_length=254, pattern=r"^$|^[^@\s]+@[^@\s]+$")
    logo_url: str = Field(default="", max_length=2048, pattern=r"^$|" + HTTP_OR_PATH)
    footer_text: MultiLine = Field(default="", max_length=1000)
    time_zone: str = Field(
        default="Asia/Ho_Chi_Minh",
        max_length=64,
        description="IANA name; pages and feeds date in it (the statistics' days keep "
        "SITE_TIMEZONE from the environment)",
    )

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def title(self) -> str:
        """How feeds and link previews name the site."""
        return f"{self.name} – {self.organisation}"


@register_event
class SiteUpdated(EventData):
    """An administrator changed the site's identity; `revision` orders the changes."""

    TYPE: ClassVar[str] = "site.updated"
    VERSION: ClassVar[int] = 1

    revision: int = Field(ge=1)
    identity: SiteIdentity
