"""The notifier's command line: `python -m services.notifier [serve]` starts the service;
`python -m services.notifier subscribers import FILE.csv` and `subscribers export [--all]
[FILE.csv|-]` move subscribers in and out (docs/notifier.md)."""

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import structlog
from pydantic import MongoDsn, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.notifier.adapters.store import SubscriberStore, SuppressionStore
from services.notifier.app import create_app
from services.notifier.config import NotifierSettings
from services.notifier.domain.migration import MAX_IMPORT_BYTES
from services.notifier.usecases.migration import Export, ImportSummary, Migration
from shared.contracts.errors import DomainError
from shared.platform.db import TRANSIENT_ERRORS, make_client
from shared.platform.runner import run_service
from shared.platform.settings import describe_errors, parse_zone

# Exit codes of `subscribers import`: every row is in (or stays as its owner chose); some
# rows were refused (the others are in); nothing was imported: a usage error, or a file
# that cannot be read or imported at all; the database could not be reached.
DONE, SOME_REFUSED, UNUSABLE, NO_DATABASE = 0, 1, 2, 3


class MigrationSettings(BaseSettings):
    """Only the database and the site's zone: the commands need neither the broker, the
    SMTP server nor the signing key."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, case_sensitive=False)

    mongo_url: MongoDsn = MongoDsn("mongodb://127.0.0.1:27017/")
    mongo_db: str = "notifier"
    # Dates and times in a file without an offset are local times of the site.
    site_timezone: str = "Asia/Ho_Chi_Minh"

    @field_validator("site_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        parse_zone(value)
        return value


async def _subscribers(args: argparse.Namespace) -> int:
    try:
        settings = MigrationSettings()
    except ValidationError as error:
        sys.stderr.write(describe_errors(MigrationSettings, error) + "\n")
        return UNUSABLE
    client = make_client(str(settings.mongo_url))
    db = client[settings.mongo_db]
    migration = Migration(
        SubscriberStore(db), SuppressionStore(db), parse_zone(settings.site_timezone)
    )
    try:
        if args.action == "import":
            return await _import(migration, args.file)
        return await _export(migration, args.file, args.all)
    except TRANSIENT_ERRORS as error:
        sys.stderr.write(f"the database (MONGO_URL) cannot be reached: {type(error).__name__}\n")
        return NO_DATABASE
    finally:
        await client.close()


async def _import(migration: Migration, name: str) -> int:
    try:
        data = _read(name)
    except (OSError, ValueError) as error:
        sys.stderr.write(f"{name}: {error}\n")
        return UNUSABLE
    started = time.perf_counter()
    try:
        summary = await migration.import_csv(data)
    except DomainError as error:
        sys.stderr.write(f"{name}: nothing imported: {error.message}\n")
        for item in error.details if isinstance(error.details, list) else []:
            sys.stderr.write(f"  {item.get('message', item)}\n")
        return UNUSABLE
    print(_summary(name, summary, time.perf_counter() - started))
    return DONE if summary.complete else SOME_REFUSED


def _read(name: str) -> bytes:
    """The file (or standard input for `-`), refused past the limit before it is all read."""
    if name == "-":
        data = sys.stdin.buffer.read(MAX_IMPORT_BYTES + 1)
    else:
        with Path(name).open("rb") as file:
            data = file.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise ValueError(f"larger than {MAX_IMPORT_BYTES} bytes, the limit of one import")
    return data


def _summary(name: str, summary: ImportSummary, seconds: float) -> str:
    lines = [
        f"{name}: {summary.rows} rows in {seconds:.2f} s: {summary.imported} imported, "
        f"{summary.updated} confirmed (were pending), {summary.unchanged} already there, "
        f"{summary.left_out} left out (unsubscribed or suppressed), {summary.refused} refused"
    ]
    if summary.refusals:
        shown = len(summary.refusals)
        lines.append(
            f"refused (the first {shown} of {summary.refused}):"
            if shown < summary.refused
            else "refused:"
        )
        lines += [f"  line {refusal.line}: {refusal.reason}" for refusal in summary.refusals]
    return "\n".join(lines)


async def _export(migration: Migration, name: str, everyone: bool) -> int:
    export = migration.export_csv(everyone)
    which = "subscribers" if everyone else "confirmed subscribers"
    if name == "-":
        await _write(export, sys.stdout)
        sys.stderr.write(f"{export.rows} {which} exported\n")
        return DONE
    try:
        with _replacing(Path(name)) as file:
            await _write(export, file)
    except OSError as error:
        sys.stderr.write(f"{name}: {error}\n")
        return UNUSABLE
    sys.stderr.write(f"{export.rows} {which} exported to {name}\n")
    return DONE


@contextmanager
def _replacing(target: Path) -> Iterator[IO[str]]:
    """A private file beside `target` that becomes it once complete: a failed export leaves
    no half a list, and the list of addresses is readable by its owner only."""
    with tempfile.NamedTemporaryFile(
        "w",
        encoding="utf-8",
        newline="",
        dir=target.parent,
        prefix=f".{target.name}.",
        delete=False,
    ) as file:
        temporary = Path(file.name)
        try:
            yield file
        except BaseException:
            temporary.unlink()
            raise
    os.replace(temporary, target)


async def _write(export: Export, out: IO[str]) -> None:
    async for chunk in export:
        out.write(chunk)
    out.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.notifier")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve the HTTP API and consume the bus (the default)")
    subscribers = commands.add_parser("subscribers", help="move subscribers in and out as CSV")
    actions = subscribers.add_subparsers(dest="action", required=True)
    imports = actions.add_parser(
        "import",
        help="import confirmed subscribers from CSV, mailing nobody (exit 1: rows refused)",
    )
    imports.add_argument("file", metavar="FILE.csv", help="the CSV file, or - for standard input")
    exports = actions.add_parser("export", help="write subscribers as CSV")
    exports.add_argument("--all", action="store_true", help="every status, not only confirmed")
    exports.add_argument(
        "file",
        metavar="FILE.csv",
        nargs="?",
        default="-",
        help="where to (default -: standard output)",
    )
    args = parser.parse_args(argv)
    if args.command == "subscribers":
        # The summary is the command's output; warnings go to standard error, never into
        # an export written to standard output.
        structlog.configure(
            wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
            logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        )
        return asyncio.run(_subscribers(args))
    # `serve` is what runs without a command (docker-compose, scripts).
    run_service("notifier", NotifierSettings, create_app)
    return DONE
