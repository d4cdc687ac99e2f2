"""The content service's commands: `python -m services.content [serve]` starts the
service; `python -m services.content tokens create --name N` makes an editor token."""

import argparse
import asyncio
import sys

from pydantic import MongoDsn, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.content.adapters.editors import EditorTokens
from services.content.app import create_app
from services.content.config import ContentSettings
from services.content.schemas import TokenRequest
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
        tokens = EditorTokens(client[settings.mongo_db], None)
        if args.action == "create":
            request = TokenRequest(name=args.name, role=args.role)
            token = await tokens.create(request.name, request.role)
            print(f"token for {args.name} ({args.role}), shown once; keep it secret:")
            print(token)
        elif args.action == "revoke":
            print(f"revoked {await tokens.revoke(args.name)} token(s) of {args.name}")
        else:
            for editor in await tokens.list():
                print(f"{editor['name']}\t{editor['role']}\t{editor['created_at']:%Y-%m-%d}")
    finally:
        await client.close()
    return 0


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
    args = parser.parse_args(argv)
    if args.command == "tokens":
        return asyncio.run(_tokens(args))
    run_service("content", ContentSettings, create_app)
    return 0
