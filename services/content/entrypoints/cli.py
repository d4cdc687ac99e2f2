"""The content service's commands: `python -m services.content [serve]` starts the
service; `python -m services.content tokens create --name N` makes an editor token;
`python -m services.content import articles FILE.jsonl` migrates an old portal's articles in
(docs/content.md)."""

import argparse
import asyncio
import sys
from typing import BinaryIO

from pydantic import AmqpDsn, HttpUrl, MongoDsn, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.content.adapters import announced
from services.content.adapters.editors import EditorTokens
from services.content.adapters.store import ArticleStore
from services.content.app import create_app
from services.content.config import ContentSettings
from services.content.domain.events import OutboxEntry
from services.content.schemas import TokenRequest
from services.content.usecases.importing import ArticleImport, ImportReport
from shared.contracts.sections import STARTER
from shared.platform.bus import Bus, PublishFailed
from shared.platform.db import make_client
from shared.platform.runner import run_service
from shared.platform.settings import describe_errors


class TokenSettings(BaseSettings):
    """Only the database: the command needs neither the broker nor the bootstrap token."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, case_sensitive=False)

    mongo_url: MongoDsn = MongoDsn("mongodb://127.0.0.1:27017/")
    mongo_db: str = "content"


async def _tokens(args: argparse.Namespace) -> int:
    try:
        settings = TokenSettings()
    except ValidationError as error:
        sys.stderr.write(describe_errors(TokenSettings, error) + "\n")
        return 2
    client = make_client(str(settings.mongo_url))
    try:
        tokens = EditorTokens(client[settings.mongo_db])
        if args.action == "create":
            request = TokenRequest(name=args.name, role=args.role)
            token, _ = await tokens.create(request.name, request.role, "command line")
            print(f"token for {args.name} ({args.role}), shown once; keep it secret:")
            print(token)
        elif args.action == "revoke":
            print(f"revoked {await tokens.revoke(args.name)} token(s) of {args.name}")
        else:
            for info in await tokens.list():
                print(f"{info.ref}\t{info.name}\t{info.role}\t{info.created_at:%Y-%m-%d}")
    finally:
        await client.close()
    return 0


ANNOUNCE_AT_ONCE = 200


class ImportSettings(TokenSettings):
    """The database, the broker (the articles' events leave from here) and the public
    address (their links are built on it); not the service's secrets."""

    amqp_url: AmqpDsn = AmqpDsn("amqp://guest:guest@127.0.0.1:5672/")
    exchange: str = "portal.events"
    public_url: HttpUrl = HttpUrl("http://127.0.0.1:8081")


async def _import(lines: BinaryIO) -> int:
    try:
        settings = ImportSettings()
    except ValidationError as error:
        sys.stderr.write(describe_errors(ImportSettings, error) + "\n")
        return 2
    client = make_client(str(settings.mongo_url))
    bus = Bus(str(settings.amqp_url), settings.exchange)
    try:
        db = client[settings.mongo_db]
        store = ArticleStore(db, str(settings.public_url))
        saved = await announced.sections(db).latest()
        sections = STARTER if saved is None else saved[1]  # as administrators left them
        report = await ArticleImport(store, sections).run(lines)
        _print_report(report)
        try:
            await bus.connect()
            sent = await _announce(bus, report.announcements)
            print(f"announced {sent} of {len(report.announcements)} to content's replicas")
        except Exception as error:  # stored all the same: the replicas' reload shows them
            sys.stderr.write(f"not announced ({error!r}); replicas show them at their reload\n")
    finally:
        await bus.close()
        await client.close()
    return 1 if report.refused else 0


async def _announce(bus: Bus, entries: list[OutboxEntry]) -> int:
    """Publish the events, ANNOUNCE_AT_ONCE at a time (one confirm each, overlapping); how
    many went. Refused ones (no content replica is running to take them) are dropped."""
    sent = 0
    for start in range(0, len(entries), ANNOUNCE_AT_ONCE):
        chunk = entries[start : start + ANNOUNCE_AT_ONCE]
        outcomes = await asyncio.gather(
            *(bus.publish_encoded(e.type, e.event_id, e.body.encode()) for e in chunk),
            return_exceptions=True,
        )
        for outcome in outcomes:
            if isinstance(outcome, PublishFailed) and outcome.refused:
                continue
            if isinstance(outcome, BaseException):
                raise outcome
            sent += 1
    return sent


def _print_report(report: ImportReport) -> None:
    for number, reason in report.refused:
        sys.stderr.write(f"line {number}: refused: {reason}\n")
    print(
        f"imported {report.created}, already there {report.existing}, refused {len(report.refused)}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.content")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="run the service (what no command does)")
    tokens = commands.add_parser("tokens", help="editor tokens")
    actions = tokens.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="make a token and print it once")
    create.add_argument("--name", required=True)
    create.add_argument("--role", choices=("editor", "admin"), default="editor")
    revoke = actions.add_parser("revoke", help="delete every token of an editor")
    revoke.add_argument("--name", required=True)
    actions.add_parser("list", help="list editors (never their tokens)")
    migrate = commands.add_parser("import", help="migrate an old portal's content in")
    kinds = migrate.add_subparsers(dest="kind", required=True)
    articles = kinds.add_parser(
        "articles", help="published articles from a JSON Lines file (docs/content.md)"
    )
    articles.add_argument("file", help="one article per line; - reads standard input")
    args = parser.parse_args(argv)
    if args.command == "tokens":
        return asyncio.run(_tokens(args))
    if args.command == "import":
        if args.file == "-":  # a file on the host, into a container: `exec -T ... - < file`
            return asyncio.run(_import(sys.stdin.buffer))
        try:
            lines = open(args.file, "rb")  # noqa: SIM115 - closed by the with below
        except OSError as error:
            sys.stderr.write(f"cannot read {args.file}: {error}\n")
            return 2
        with lines:
            return asyncio.run(_import(lines))
    run_service("content", ContentSettings, create_app)
    return 0
