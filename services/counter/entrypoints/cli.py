"""Set the imported baseline from the command line: `python -m services.counter.baseline
--visits 1628979`. Idempotent, like PUT /api/stats/baseline; it reads the same settings."""

import argparse
import asyncio

from services.counter.config import CounterSettings
from services.counter.store import StatsStore
from shared.platform.db import make_client
from shared.platform.settings import load_settings
from shared.presentation.vietnamese import group_digits


async def set_baseline(settings: CounterSettings, visits: int) -> None:
    client = make_client(str(settings.mongo_url))
    try:
        await StatsStore(client[settings.mongo_db], settings.baseline_visits).set_baseline(visits)
    finally:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--visits", type=int, required=True, help="visits before this portal")
    args = parser.parse_args()
    if args.visits < 0:
        parser.error("--visits must be 0 or more")
    settings = load_settings(CounterSettings)
    asyncio.run(set_baseline(settings, args.visits))
    print(
        f"baseline set: {group_digits(args.visits)} visits in database {settings.mongo_db!r}; "
        "GET /api/stats shows it in measures.baseline and adds it to 'Tổng'"
    )


if __name__ == "__main__":
    main()
