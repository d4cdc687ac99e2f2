"""schemathesis against a service's own /openapi.json: the services' no-5xx tests."""

import asyncio
import re
from pathlib import Path

from tests.processes import ROOT

SCHEMATHESIS = ROOT / ".venv" / "bin" / "st"


async def run_schemathesis(
    base_url: str,
    token: str,
    *,
    max_examples: int,
    seed: int,
    minimum: int,
    cwd: Path,
    extra: tuple[str, ...] = (),
) -> str:
    """Run the not_a_server_error check over generated requests (bearer `token` on each);
    assert it passed over at least `minimum` generated cases, and return its output."""
    run = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS), "run", f"{base_url}/openapi.json",
        "--checks", "not_a_server_error",
        "--max-examples", str(max_examples), "--seed", str(seed), *extra,
        "--header", f"Authorization: Bearer {token}", "--request-timeout", "20",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=cwd,
    )  # fmt: skip
    output = (await run.communicate())[0].decode()
    generated = re.search(r"(\d+) generated", output)
    assert run.returncode == 0, output[-4000:]
    assert generated is not None, output[-2000:]
    assert int(generated.group(1)) >= minimum, output[-2000:]
    return output
