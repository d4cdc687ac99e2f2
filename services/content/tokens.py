"""Editor tokens from the command line: `python -m services.content.tokens create --name N`."""

import argparse
import asyncio
import sys

from pydantic import MongoDsn, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.content.auth import EditorTokens
from services.content.models import TokenRequest
from shared.platform.db import make_client
from shared.platform.settings import describe_errors


class TokenSettings(BaseSettings):
    """Only the database: the command needs neither the broker nor the bootstrap token."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, case_sensitive=False)

    mongo_url: MongoDsn = MongoDsn("mongodb://127.0.0.1:27017/")
    mongo_db: str = "content"


async def _main(args: argparse.Namespace) -> int:
    try:
        settings = TokenSettings()
    except ValidationError as error:
        sys.stderr.write(describe_errors(TokenSettings, error) + "\n")
        return 2
    client = make_client(str(settings.mongo_url))
    try:
        tokens = EditorTokens(client[settings.mongo_db], None)
        if args.command == "create":
            request = TokenRequest(name=args.name, role=args.role)
            token = await tokens.create(request.name, request.role)
            print(f"token for {args.name} ({args.role}), shown once; keep it secret:")
            print(token)
        elif args.command == "revoke":
            print(f"revoked {await tokens.revoke(args.name)} token(s) of {args.name}")
        else:
            for editor in await tokens.list():
                print(f"{editor['name']}\t{editor['role']}\t{editor['created_at']:%Y-%m-%d}")
    finally:
        await client.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.content.tokens")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="make a token and print it once")
    create.add_argument("--name", required=True)
    create.add_argument("--role", choices=("editor", "admin"), default="editor")
    revoke = commands.add_parser("revoke", help="delete every token of an editor")
    revoke.add_argument("--name", required=True)
    commands.add_parser("list", help="list editors (never their tokens)")
    return asyncio.run(_main(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
