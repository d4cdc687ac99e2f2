"""Subscribers in from an old portal's CSV list (confirmed, no email) and out as CSV: what
both the command line and the admin API call."""

import asyncio
import csv
import io
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import structlog

from services.notifier.adapters.store import SubscriberStore, SuppressionStore
from services.notifier.domain.migration import (
    EXPORT_COLUMNS,
    REFUSALS_SHOWN,
    ImportRow,
    Refusal,
    export_fields,
    parse_subscribers,
)
from services.notifier.domain.models import Subscriber
from shared.contracts.sections import STARTER, SectionCatalogue

log = structlog.get_logger(__name__)

# The export is written out in pieces of about this many characters.
EXPORT_CHUNK = 64 * 1024


@dataclass(frozen=True)
class ImportSummary:
    """What an import did with each row of the file."""

    rows: int  # rows read (blank ones are skipped, not counted)
    imported: int  # new subscribers, confirmed
    updated: int  # pending sign-ups, now confirmed with the imported consent
    unchanged: int  # confirmed already: their own choices stay
    left_out: int  # unsubscribed or suppressed: the person's "no" wins over an old list
    refused: int
    refusals: list[Refusal]  # the first REFUSALS_SHOWN of them, by line

    @property
    def complete(self) -> bool:
        """Every row is a subscriber now, or stays what its owner chose."""
        return self.refused == 0


class Export:
    """The CSV text of the subscribers (of a status), in pieces, as they are read."""

    def __init__(self, subscribers: AsyncGenerator[Subscriber, None]) -> None:
        self._subscribers = subscribers
        self.rows = 0

    async def __aiter__(self) -> AsyncGenerator[str, None]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(EXPORT_COLUMNS)
        # Closed with the export, even one left half-way (a client that went away).
        async with aclosing(self._subscribers) as subscribers:
            async for subscriber in subscribers:
                writer.writerow(export_fields(subscriber))
                self.rows += 1
                if buffer.tell() >= EXPORT_CHUNK:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()


class Migration:
    def __init__(
        self,
        subscribers: SubscriberStore,
        suppressions: SuppressionStore,
        zone: ZoneInfo,
        sections: Callable[[], SectionCatalogue] = lambda: STARTER,
    ) -> None:
        self._subscribers = subscribers
        self._suppressions = suppressions
        self._zone = zone
        self._sections = sections  # as content last announced them (usecases/copies.py)

    async def import_csv(self, data: bytes) -> ImportSummary:
        """Import a file's subscribers as confirmed, and send nothing. Running it again
        changes nothing. Raises Malformed, Invalid or TooLarge for a file that cannot be
        imported at all (nothing is written then); a bad row is only refused."""
        # Up to 100,000 rows of validation: in a thread, so the replica's loop goes on.
        parsed = await asyncio.to_thread(
            parse_subscribers, data, self._zone, datetime.now(UTC), self._sections()
        )
        suppressed = await self._suppressions.emails()
        rows = [row for _, row in parsed.rows if row.email not in suppressed]
        existing = await self._subscribers.add_many([row.subscriber() for row in rows])
        updated, unchanged, unsubscribed = await self._existing(
            [row for row in rows if row.email in existing]
        )
        refusals = sorted(parsed.refusals, key=lambda refusal: refusal.line)
        summary = ImportSummary(
            rows=parsed.read,
            imported=len(rows) - len(existing),
            updated=updated,
            unchanged=unchanged,
            left_out=len(parsed.rows) - len(rows) + unsubscribed,
            refused=len(refusals),
            refusals=refusals[:REFUSALS_SHOWN],
        )
        log.info(
            "subscribers.imported",
            rows=summary.rows,
            imported=summary.imported,
            updated=summary.updated,
            unchanged=summary.unchanged,
            left_out=summary.left_out,
            refused=summary.refused,
        )
        return summary

    async def _existing(self, rows: list[ImportRow]) -> tuple[int, int, int]:
        """Rows whose address was there already: a pending sign-up is confirmed with the
        imported consent (its own sections and language stay); a confirmed subscriber is
        left as it is, and so is one who unsubscribed. (updated, unchanged, unsubscribed)"""
        if not rows:
            return 0, 0, 0
        statuses = await self._subscribers.with_status("pending", "unsubscribed")
        updated = unsubscribed = 0
        for row in rows:
            status = statuses.get(row.email)
            if status == "pending":
                # One update per address (each scans the collection on FerretDB): pending
                # sign-ups in an old portal's list are few.
                await self._subscribers.set_status(row.email, "confirmed", row.consent)
                updated += 1
            elif status == "unsubscribed":
                unsubscribed += 1
        return updated, len(rows) - updated - unsubscribed, unsubscribed

    def export_csv(self, everyone: bool = False) -> Export:
        """The confirmed subscribers (every subscriber with `everyone`) as CSV, by address."""
        return Export(self._subscribers.each(None if everyone else "confirmed"))
