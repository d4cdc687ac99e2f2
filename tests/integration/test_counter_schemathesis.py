"""schemathesis against the counter's own /openapi.json: no 5xx on generated requests."""

from pathlib import Path

import aiohttp
import pytest

from shared.platform.bus import Bus
from tests.counter_support import ADMIN_TOKEN, counter_env, make_batches, running_counter
from tests.schemathesis_support import run_schemathesis

pytestmark = pytest.mark.integration


@pytest.mark.timeout(240)
async def test_no_server_error_on_generated_requests(
    bus: Bus, exchange: str, db_name: str, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    env = counter_env(exchange, db_name)
    async with running_counter(http, env, tmp_path / "counter.log") as service:
        for batch in make_batches(3, 50, visitors=20, seed=8):
            await bus.publish(batch)
        output = await run_schemathesis(
            service.url, ADMIN_TOKEN, max_examples=30, seed=11, minimum=100, cwd=tmp_path,
            extra=("--exclude-path", "/api/stats/stream"),  # endless by design; tested alone
        )  # fmt: skip
        print(output[-600:])
        log = service.log.read_text()
        assert "http.unhandled" not in log and "fold.failed" not in log, log[-3000:]
