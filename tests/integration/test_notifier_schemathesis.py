"""schemathesis against the notifier's own /openapi.json: no 5xx on generated requests."""

import asyncio
import re
from pathlib import Path

import aiohttp
import pytest

from tests.notifier_support import (
    ADMIN_TOKEN,
    NotifierProcess,
    SmtpSink,
    delete_notifier_topology,
    notifier_env,
    start_sink,
)
from tests.support import eventually

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = ROOT / ".venv" / "bin" / "st"


@pytest.mark.timeout(240)
async def test_no_server_error_on_generated_requests(
    exchange: str, db_name: str, run_id: str, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    sink = SmtpSink()
    server = await start_sink(sink)  # confirmations go here, answered by this event loop
    env = notifier_env(run_id, exchange, db_name, server.port, SIGNUPS_PER_IP_PER_HOUR="100000")
    service = NotifierProcess.start(env, tmp_path / "notifier.log")
    try:

        async def ready() -> bool:
            try:
                async with http.get(f"{service.url}/readyz") as response:
                    return response.status == 200
            except aiohttp.ClientError:
                return False

        await eventually(ready, timeout=30, what="the notifier")
        run = await asyncio.create_subprocess_exec(
            str(SCHEMATHESIS), "run", f"{service.url}/openapi.json",
            "--checks", "not_a_server_error", "--max-examples", "20", "--seed", "11",
            "--header", f"Authorization: Bearer {ADMIN_TOKEN}", "--request-timeout", "20",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=tmp_path,
        )  # fmt: skip
        output = (await run.communicate())[0].decode()
        generated = re.search(r"(\d+) generated", output)
        assert run.returncode == 0, output[-4000:]
        assert generated is not None, output[-2000:]
        assert int(generated.group(1)) >= 300, output[-2000:]
        log = service.log.read_text()
        assert "http.unhandled" not in log and "task.died" not in log, log[-3000:]
    finally:
        service.stop()
        await server.stop()
        await delete_notifier_topology(exchange)
