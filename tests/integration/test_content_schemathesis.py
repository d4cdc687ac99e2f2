"""schemathesis against the content service's own /openapi.json: no 5xx, over 1,000 cases."""

import os
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.content_support import BOOTSTRAP, TOKEN, Probe, drop_topology
from tests.processes import ROOT, free_port, start_service, stop_all, wait_ready
from tests.schemathesis_support import run_schemathesis
from tests.staff_support import register_script_token
from tests.support import AMQP_URL, MONGO_URL

pytestmark = pytest.mark.integration


@pytest.mark.timeout(300)
async def test_no_server_error_over_a_thousand_generated_cases(
    exchange: str, db_name: str, amqp: Any, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "AMQP_URL": AMQP_URL,
        "MONGO_URL": MONGO_URL,
        "MONGO_DB": db_name,
        "EXCHANGE": exchange,
        "EDITOR_TOKEN": BOOTSTRAP,
        "HTTP_PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }
    register_script_token(db_name, TOKEN)
    service = start_service("content", env, tmp_path / "content.log")
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(http, base, what="the content service")
        # A queue takes page.viewed and staff.mail, as the counter's and the notifier's
        # would: beacons and invitations are then confirmed.
        await Probe.bind(amqp, exchange, "page.viewed", "staff.mail")
        # Its stateful phase lists the script tokens and would revoke its own: not that one.
        keep_token = ("--exclude-path", "/api/editor/tokens/{ref}")
        await run_schemathesis(
            base, TOKEN, max_examples=60, seed=7, minimum=1000, cwd=ROOT, extra=keep_token
        )
    finally:
        stop_all([service])
        await drop_topology(amqp, exchange)
