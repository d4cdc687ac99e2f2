"""Subscribers and sign-ups: the accepted inputs, with their rules, and the stored types."""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, field_validator

from shared.contracts.errors import Invalid
from shared.contracts.sections import SLUG, SectionCatalogue
from shared.contracts.text import is_one_line

Language = Literal["vi", "en"]
SubscriberStatus = Literal["pending", "confirmed", "unsubscribed"]

# What an address from the sign-up form can look like once email-validator accepted and
# lowercased it: a dot-atom local part and an ASCII domain; no space, no control character,
# no bracket or comma that could change an SMTP command or a header.
PLAUSIBLE_ADDRESS = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~.-]+@[a-z0-9-]+(\.[a-z0-9-]+)*", re.IGNORECASE
)
MAX_ADDRESS_LENGTH = 254


def no_control_characters(value: str) -> str:
    if not is_one_line(value):
        raise ValueError("control characters are not allowed")
    return value


def is_plausible_address(value: str) -> bool:
    return len(value) <= MAX_ADDRESS_LENGTH and PLAUSIBLE_ADDRESS.fullmatch(value) is not None


def plausible_address(value: str) -> str:
    if not is_plausible_address(value):
        raise ValueError("not a plausible email address")
    return value


Text = Annotated[str, AfterValidator(no_control_characters)]
Recipient = Annotated[str, AfterValidator(plausible_address)]


def address_text(value: object) -> object:
    """Before email-validator and the whitespace stripping: only a line break or tab around
    the address (a paste) is forgiven, by the stripping."""
    if isinstance(value, str):
        no_control_characters(value.strip())
    return value


def ascii_address(value: str) -> str:
    """After email-validator: lowercased, and plausible for SMTP. Internationalised
    addresses need SMTPUTF8 end to end; they are refused clearly instead."""
    if not value.isascii():
        raise ValueError("only ASCII email addresses are accepted")
    return plausible_address(value.lower())


# A section's slug as a request names it; whether it exists is a question for the sections
# as content last announced them (usecases/copies.py), not for a list fixed at start.
SectionSlug = Annotated[str, Field(min_length=1, max_length=96, pattern=SLUG)]


def distinct_sections(sections: list[str]) -> list[str]:
    return sorted(set(sections))


def require_sections(
    sections: list[str], catalogue: SectionCatalogue, *, hidden_too: frozenset[str] = frozenset()
) -> None:
    """Invalid unless every slug names a shown section (or a hidden one in `hidden_too`:
    what a subscriber already had keeps, but nobody takes a hidden one anew)."""
    unknown = [
        slug
        for slug in sections
        if not catalogue.is_open(slug) and not (slug in hidden_too and catalogue.get(slug))
    ]
    if unknown:
        message = f"unknown section(s): {', '.join(unknown)}"
        raise Invalid(message, [{"field": "sections", "message": message}])


class SubscribeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: EmailStr = Field(max_length=MAX_ADDRESS_LENGTH)
    # Section slugs (see /api/sections); empty means every section.
    sections: list[SectionSlug] = Field(default_factory=list, max_length=50)
    language: Language = "vi"

    _raw_address = field_validator("email", mode="before")(address_text)
    _address = field_validator("email")(ascii_address)
    _sections = field_validator("sections")(distinct_sections)


class PreferencesRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sections: list[SectionSlug] = Field(default_factory=list, max_length=50)
    paused: bool = False
    language: Language | None = None

    _sections = field_validator("sections")(distinct_sections)


@dataclass(frozen=True)
class Consent:
    """Where a subscriber's consent came from, and when it was given (None: not known)."""

    source: str
    at: datetime | None


# The consent of a subscriber who confirmed by the notifier's own emailed link.
DOUBLE_OPT_IN = "double opt-in"


@dataclass(frozen=True)
class Subscriber:
    """A subscriber; the address is its identity."""

    email: str
    status: SubscriberStatus
    sections: list[str]  # empty: every section
    paused: bool
    language: str
    # None for a subscriber who has not confirmed (or was written before consent was kept).
    consent: Consent | None = None

    @property
    def receives_mail(self) -> bool:
        return self.status == "confirmed" and not self.paused

    def wants(self, section_slug: str) -> bool:
        return not self.sections or section_slug in self.sections


def status_after_confirm(status: SubscriberStatus) -> SubscriberStatus:
    """Only a pending sign-up is confirmed: a confirmation link opened again after an
    unsubscribe (mail scanners re-open links) must not subscribe the address again."""
    return "confirmed" if status == "pending" else status


@dataclass(frozen=True)
class Signup:
    """A sign-up as the form sent it, accepted and not yet processed."""

    id: str
    email: str
    sections: list[str]
    language: str
    received_at: datetime


@dataclass(frozen=True)
class Suppression:
    """An address the SMTP server refused permanently: nothing is sent to it until lifted."""

    email: str
    reason: str
    suppressed_at: datetime
