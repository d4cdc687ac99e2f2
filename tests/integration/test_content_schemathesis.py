"""schemathesis against the content service's own /openapi.json: no 5xx, over 1,000 cases."""

import asyncio
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.content_support import TOKEN, Probe, drop_topology
from tests.support import AMQP_URL, MONGO_URL, eventually

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = ROOT / ".venv" / "bin" / "st"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.timeout(300)
async def test_no_server_error_over_a_thousand_generated_cases(
    exchange: str, db_name: str, amqp: Any, http: aiohttp.ClientSession
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "AMQP_URL": AMQP_URL,
        "MONGO_URL": MONGO_URL,
        "MONGO_DB": db_name,
        "EXCHANGE": exchange,
        "EDITOR_TOKEN": TOKEN,
        "HTTP_PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }
    service = subprocess.Popen(
        [sys.executable, "-m", "services.content"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:

        async def ready() -> bool:
            try:
                async with http.get(f"{base}/readyz") as response:
                    return response.status == 200
            except aiohttp.ClientError:
                return False

        await eventually(ready, timeout=30, what="the content service")
        # A queue takes page.viewed, as the counter's would: beacons are then confirmed.
        await Probe.bind(amqp, exchange, "page.viewed")
        run = await asyncio.create_subprocess_exec(
            str(SCHEMATHESIS), "run", f"{base}/openapi.json",
            "--checks", "not_a_server_error", "--max-examples", "60", "--seed", "7",
            "--header", f"Authorization: Bearer {TOKEN}", "--request-timeout", "20",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=ROOT,
        )  # fmt: skip
        output = (await run.communicate())[0].decode()
        generated = re.search(r"(\d+) generated", output)
        assert run.returncode == 0, output[-4000:]
        assert generated is not None, output[-2000:]
        assert int(generated.group(1)) >= 1000, output[-2000:]
    finally:
        service.terminate()
        service.wait(timeout=30)
        await drop_topology(amqp, exchange)
