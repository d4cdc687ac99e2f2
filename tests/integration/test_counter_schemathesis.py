"""schemathesis against the counter's own /openapi.json: no 5xx on generated requests."""

import asyncio
import re
from pathlib import Path

import aiohttp
import pytest

from shared.bus import Bus
from tests.counter_support import (
    ADMIN_TOKEN,
    ROOT,
    CounterProcess,
    counter_env,
    make_batches,
    wait_ready,
)

pytestmark = pytest.mark.integration

SCHEMATHESIS = ROOT / ".venv" / "bin" / "st"


@pytest.mark.timeout(240)
async def test_no_server_error_on_generated_requests(
    bus: Bus, exchange: str, db_name: str, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    service = CounterProcess.start(counter_env(exchange, db_name), tmp_path / "counter.log")
    try:
        await wait_ready(http, service)
        for batch in make_batches(3, 50, visitors=20, seed=8):
            await bus.publish(batch)
        run = await asyncio.create_subprocess_exec(
            str(SCHEMATHESIS), "run", f"{service.url}/openapi.json",
            "--checks", "not_a_server_error", "--max-examples", "30", "--seed", "11",
            "--exclude-path", "/api/stats/stream",  # endless by design; tested on its own
            "--header", f"Authorization: Bearer {ADMIN_TOKEN}", "--request-timeout", "20",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=tmp_path,
        )  # fmt: skip
        output = (await run.communicate())[0].decode()
        generated = re.search(r"(\d+) generated", output)
        assert run.returncode == 0, output[-4000:]
        assert generated is not None, output[-2000:]
        print(output[-600:])
        assert int(generated.group(1)) >= 100, output[-2000:]
        log = service.log.read_text()
        assert "http.unhandled" not in log and "fold.failed" not in log, log[-3000:]
    finally:
        service.stop()
