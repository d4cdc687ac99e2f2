"""The notifier's command line: `python -m services.notifier [serve]`."""

import argparse

from services.notifier.app import create_app
from services.notifier.config import NotifierSettings
from shared.platform.runner import run_service


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m services.notifier")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve the HTTP API and consume the bus (the default)")
    parser.parse_args(argv)
    # `serve` is the only command, and what runs without one (docker-compose, scripts).
    run_service("notifier", NotifierSettings, create_app)
