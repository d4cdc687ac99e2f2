"""schemathesis against the notifier's own /openapi.json: no 5xx on generated requests."""

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
from tests.processes import wait_ready
from tests.schemathesis_support import run_schemathesis

pytestmark = pytest.mark.integration


@pytest.mark.timeout(240)
async def test_no_server_error_on_generated_requests(
    exchange: str, db_name: str, run_id: str, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    sink = SmtpSink()
    server = await start_sink(sink)  # confirmations go here, answered by this event loop
    env = notifier_env(run_id, exchange, db_name, server.port, SIGNUPS_PER_IP_PER_HOUR="100000")
    service = NotifierProcess.start(env, tmp_path / "notifier.log")
    try:
        await wait_ready(http, service.url, what="the notifier")
        await run_schemathesis(
            service.url, ADMIN_TOKEN, max_examples=20, seed=11, minimum=300, cwd=tmp_path
        )
        log = service.log.read_text()
        assert "http.unhandled" not in log and "task.died" not in log, log[-3000:]
    finally:
        service.stop()
        await server.stop()
        await delete_notifier_topology(exchange)
