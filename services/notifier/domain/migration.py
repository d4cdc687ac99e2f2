"""Subscribers moving in and out as CSV: the file's format, each row's rules, the export's rows."""

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from services.notifier.domain.csv_reading import delimiter, records, unquoted
from services.notifier.domain.models import (
    MAX_ADDRESS_LENGTH,
    Consent,
    Language,
    Subscriber,
    Text,
    address_text,
    ascii_address,
    distinct_sections,
)
from shared.contracts.errors import Invalid, Malformed, TooLarge
from shared.contracts.sections import STARTER, SectionCatalogue
from shared.presentation.spreadsheet import formula_safe

if TYPE_CHECKING:
    from _csv import Reader

# One import at most: a portal's whole list, read in memory at once (a few seconds' work).
MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_ROWS = 100_000
MAX_CONSENT_SOURCE = 200
MAX_SECTIONS_TEXT = 1000
# The reasons of this many refused rows are reported; the count covers all of them.
REFUSALS_SHOWN = 100
# A reason longer than this (a row full of errors) is cut.
MAX_REASON = 500

COLUMNS = ("email", "sections", "consent_source", "consented_at", "language")
EXPORT_COLUMNS = (*COLUMNS, "status")
REQUIRED_COLUMNS = ("email", "consent_source")
# What may separate section slugs within their field.
SECTION_SEPARATORS = re.compile(r"[;\s]+")
# A consent dated after now by more than this is a mistake in the file, not a consent.
CLOCK_SLACK = timedelta(days=1)


@dataclass(frozen=True)
class RowContext:
    """What a row's dates are read against: the site's zone (dates and times without an
    offset are local) and the time of the import."""

    zone: ZoneInfo
    now: datetime
    sections: SectionCatalogue = STARTER


class ImportRow(BaseModel):
    """One subscriber from an old portal's list: an address whose owner consented, where."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    email: EmailStr = Field(max_length=MAX_ADDRESS_LENGTH)
    # Section slugs (see /api/sections); empty means every section.
    sections: list[Text] = Field(default_factory=list, max_length=50)
    consent_source: Text = Field(max_length=MAX_CONSENT_SOURCE)
    consented_at: datetime | None = None
    language: Language = "vi"
    # Only in files that have the column (an export with `--all`): only confirmed ones enter.
    status: Literal["confirmed"] = "confirmed"

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: object) -> object:
        value = unquoted(value)
        if value == "":
            raise ValueError("required")
        return address_text(value)

    _address = field_validator("email")(ascii_address)

    @field_validator("sections", mode="before")
    @classmethod
    def _split_sections(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        if len(value) > MAX_SECTIONS_TEXT:
            raise ValueError(f"at most {MAX_SECTIONS_TEXT} characters")
        return [slug for slug in SECTION_SEPARATORS.split(value) if slug]

    @field_validator("sections")
    @classmethod
    def _known_sections(cls, sections: list[str], info: ValidationInfo) -> list[str]:
        # Known to the notifier's copy of the sections; a hidden one too (an old list may
        # hold it: the subscription is kept, and emailed once the section is shown again).
        unknown = [slug for slug in sections if _context(info).sections.get(slug) is None]
        if unknown:
            raise ValueError(f"unknown section(s): {', '.join(unknown)}")
        return distinct_sections(sections)

    @field_validator("consent_source", mode="before")
    @classmethod
    def _consent_required(cls, value: object) -> object:
        value = unquoted(value)
        if isinstance(value, str) and not value.strip():
            raise ValueError("required: a subscriber without a recorded consent is not imported")
        return value

    @field_validator("consented_at", mode="before")
    @classmethod
    def _read_time(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if not text:
            return None
        context = _context(info)
        try:
            if len(text) > 40:
                raise ValueError
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=context.zone)
            moment = moment.astimezone(UTC)
        except (ValueError, OverflowError):
            raise ValueError("not an ISO 8601 date or date and time") from None
        if moment > context.now + CLOCK_SLACK:
            raise ValueError("in the future")
        return moment

    @field_validator("language", mode="before")
    @classmethod
    def _language(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip().lower() or "vi"
        return value

    @field_validator("status", mode="before")
    @classmethod
    def _only_confirmed(cls, value: object) -> object:
        if isinstance(value, str):
            status = value.strip().lower() or "confirmed"
            if status != "confirmed":
                raise ValueError(f"only confirmed subscribers are imported, not {status[:20]!r}")
            return status
        return value

    def subscriber(self) -> Subscriber:
        """The subscriber this row makes: confirmed, with its consent."""
        return Subscriber(
            email=self.email,
            status="confirmed",
            sections=self.sections,
            paused=False,
            language=self.language,
            consent=self.consent,
        )

    @property
    def consent(self) -> Consent:
        return Consent(self.consent_source, self.consented_at)


@dataclass(frozen=True)
class Refusal:
    """A row set aside: its line in the file (the first, for a row over several) and why."""

    line: int
    reason: str


@dataclass(frozen=True)
class ParsedFile:
    """The rows of a file that can be imported, each with its line, and those refused."""

    rows: list[tuple[int, ImportRow]]
    refusals: list[Refusal]

    @property
    def read(self) -> int:
        return len(self.rows) + len(self.refusals)


def parse_subscribers(
    data: bytes, zone: ZoneInfo, now: datetime, sections: SectionCatalogue = STARTER
) -> ParsedFile:
    """Read a CSV file of subscribers: every non-blank row is accepted or refused with a
    reason. Only the file as a whole can fail: too large (TooLarge), not UTF-8 CSV with a
    header (Malformed), or a header without the required columns (Invalid)."""
    if len(data) > MAX_IMPORT_BYTES:
        raise TooLarge(f"an import may have at most {MAX_IMPORT_BYTES} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Malformed(f"the file is not UTF-8 text (byte {error.start})") from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter(text))
    header = _header(reader)
    context = RowContext(zone, now, sections)
    rows: list[tuple[int, ImportRow]] = []
    refusals: list[Refusal] = []
    first_line: dict[str, int] = {}
    for count, (line, fields) in enumerate(records(reader), start=1):
        if count > MAX_IMPORT_ROWS:
            raise TooLarge(f"an import may have at most {MAX_IMPORT_ROWS} rows")
        if isinstance(fields, csv.Error):
            refusals.append(Refusal(line, f"unreadable CSV: {fields}"))
            continue
        if len(fields) > len(header):
            refusals.append(Refusal(line, f"{len(fields)} fields, the header has {len(header)}"))
            continue
        values = dict(zip(header, fields + [""] * (len(header) - len(fields)), strict=True))
        try:
            row = ImportRow.model_validate(values, context=context)
        except ValidationError as error:
            refusals.append(Refusal(line, _reason(error)))
            continue
        if row.email in first_line:
            refusals.append(Refusal(line, f"the address is on line {first_line[row.email]} too"))
            continue
        first_line[row.email] = line
        rows.append((line, row))
    return ParsedFile(rows, refusals)


def _header(reader: "Reader") -> list[str]:
    try:
        names = next(reader, None)
    except csv.Error as error:
        raise Malformed(f"the header row cannot be read: {error}") from None
    if not names or not any(name.strip() for name in names):
        raise Malformed("the file has no header row: " + ", ".join(COLUMNS))
    header = [name.strip().lower() for name in names]
    problems = _header_problems(header)
    if problems:
        details = [{"field": "header", "message": problem} for problem in problems]
        raise Invalid("the header row does not name the columns of an import", details)
    return header


def _header_problems(header: list[str]) -> list[str]:
    checks = (_unknown_columns, _repeated_columns, _missing_columns)
    return [problem for check in checks if (problem := check(header))]


def _unknown_columns(header: list[str]) -> str | None:
    unknown = [name for name in header if name not in EXPORT_COLUMNS]
    shown = ", ".join(repr(name[:40]) for name in unknown[:5])
    return f"unknown column(s) {shown}; the columns are {', '.join(COLUMNS)}" if unknown else None


def _repeated_columns(header: list[str]) -> str | None:
    repeated = sorted({name for name in header if header.count(name) > 1})
    return f"repeated column(s): {', '.join(repeated)}" if repeated else None


def _missing_columns(header: list[str]) -> str | None:
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    return f"missing column(s): {', '.join(missing)}" if missing else None


def _context(info: ValidationInfo) -> RowContext:
    context = info.context
    if isinstance(context, RowContext):
        return context
    return RowContext(ZoneInfo("UTC"), datetime.now(UTC))


def _reason(error: ValidationError) -> str:
    parts = []
    for item in error.errors(include_url=False, include_input=False, include_context=False):
        field = ".".join(str(part) for part in item["loc"][:1]) or "row"
        message = item["msg"].removeprefix("Value error, ")
        parts.append(f"{field}: {message}")
    return "; ".join(parts)[:MAX_REASON]


def export_fields(subscriber: Subscriber) -> list[str]:
    """A subscriber as a row of EXPORT_COLUMNS."""
    consent = subscriber.consent
    return [
        formula_safe(subscriber.email),
        " ".join(subscriber.sections),
        formula_safe(consent.source) if consent else "",
        consent.at.isoformat() if consent and consent.at else "",
        subscriber.language,
        subscriber.status,
    ]
