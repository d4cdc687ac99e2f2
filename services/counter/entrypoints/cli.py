"""The counter's command line: `python -m services.counter [serve]` runs the service,
`python -m services.counter baseline --visits 1628979` sets the imported baseline."""

import argparse
import asyncio
import resource
from collections.abc import Sequence

from services.counter.adapters.store import StatsStore
from services.counter.app import create_app
from services.counter.config import CounterSettings
from services.counter.usecases import set_baseline
from shared.platform.db import make_client
from shared.platform.runner import run_service
from shared.platform.settings import load_settings
from shared.presentation.vietnamese import group_digits


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m services.counter", description=__doc__)
    commands = parser.add_subparsers(dest="command", metavar="{serve,baseline}")
    commands.add_parser("serve", help="run the service (the default)")
    baseline = commands.add_parser(
        "baseline",
        help="set the imported baseline; idempotent, like PUT /api/stats/baseline",
        description="Set the imported baseline, with the service's settings. Idempotent, "
        "like PUT /api/stats/baseline.",
    )
    baseline.add_argument("--visits", type=int, required=True, help="visits before this portal")
    args = parser.parse_args(argv)
    if args.command == "baseline":
        if args.visits < 0:
            baseline.error("--visits must be 0 or more")
        import_baseline(args.visits)
    else:
        raise_open_files_limit()
        run_service("counter", CounterSettings, create_app)


def raise_open_files_limit() -> None:
    """Each live stream holds a socket: 10,000 of them need more than the usual soft limit of
    1,024 open files. Any process may raise its soft limit up to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def import_baseline(visits: int) -> None:
    settings = load_settings(CounterSettings)
    asyncio.run(_set_baseline(settings, visits))
    print(
        f"baseline set: {group_digits(visits)} visits in database {settings.mongo_db!r}; "
        "GET /api/stats shows it in measures.baseline and adds it to 'Tổng'"
    )


async def _set_baseline(settings: CounterSettings, visits: int) -> None:
    client = make_client(str(settings.mongo_url))
    try:
        store = StatsStore(client[settings.mongo_db], settings.baseline_visits)
        await set_baseline(store, visits)
    finally:
        await client.close()
