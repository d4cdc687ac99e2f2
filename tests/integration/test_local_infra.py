"""The local infrastructure that scripts/infra.sh starts listens on loopback only."""

import re
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

RUN = Path(__file__).resolve().parents[2] / ".local" / "run"
LOOPBACK = ("127.0.0.1:", "[::1]:", "[::ffff:127.0.0.1]:")


def listeners(*programs: str) -> list[tuple[str, str]]:
    """(local address, program) of every TCP listener of these programs."""
    table = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True, check=True).stdout
    found = []
    for line in table.splitlines():
        names = re.findall(r'\(\("([^"]+)"', line)
        if names and names[0] in programs:
            found.append((line.split()[3], names[0]))
    return found


def test_rabbitmq_amqp_ui_distribution_and_epmd_listen_on_loopback_only() -> None:
    if not (RUN / "rabbitmq.ours").is_file():
        pytest.skip("this RabbitMQ was not started by scripts/infra.sh; its listeners are not ours")
    found = listeners("beam.smp", "epmd")
    ports = {address.rsplit(":", 1)[1] for address, _ in found}
    assert {"5672", "25672", "4369"} <= ports, found
    exposed = [(address, program) for address, program in found if not address.startswith(LOOPBACK)]
    assert not exposed, f"listening beyond loopback: {exposed}"


def test_ferretdb_and_mailpit_listen_on_loopback_only() -> None:
    binaries = _our_binaries()
    if not binaries:
        pytest.skip("FerretDB and Mailpit were not started by scripts/infra.sh")
    # The kernel keeps the first 15 characters of a program's name, as ss shows it.
    found = listeners(*(binary.name[:15] for binary in binaries))
    assert len({program for _, program in found}) == len(binaries), found
    exposed = [(address, program) for address, program in found if not address.startswith(LOOPBACK)]
    assert not exposed, f"listening beyond loopback: {exposed}"


def _our_binaries() -> list[Path]:
    """The FerretDB and Mailpit binaries infra.sh started (their pid files name them)."""
    binaries = []
    for name in ("ferretdb", "mailpit"):
        pid_file = RUN / f"{name}.pid"
        if pid_file.is_file():
            exe = Path(f"/proc/{pid_file.read_text().strip()}/exe")
            if exe.exists():
                binaries.append(exe.resolve())
    return binaries
