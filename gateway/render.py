"""Render the gateway's nginx configuration for a local run (the compose gateway renders itself).

    python -m gateway.render STATE_DIR PORT CONTENT COUNTER NOTIFIER

writes STATE_DIR/nginx.conf (start it with `nginx -c STATE_DIR/nginx.conf`) from the same
portal.conf.template that docker-compose mounts, with host:port upstreams.
"""

import re
import resource
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PORTAL_TEMPLATE = HERE / "portal.conf.template"
LOCAL_TEMPLATE = HERE / "local.conf.template"
MIME_TYPES = Path("/etc/nginx/mime.types")
# Like the nginx image's envsubst step, only ${UPPER_CASE} names are ours; nginx's
# own $variables pass through untouched.
_VARIABLE = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")

# Each live stream of the visitor widget (GET /api/stats/stream) holds two connections in one
# worker, the client's and the counter's, for as long as the page is open, and nothing makes
# the workers share them evenly: 10,000 streams need 20,000 connections in a worker, and the
# rest of the traffic comes on top. docker-compose.yml passes the same numbers to
# gateway/nginx.conf.template.
WORKER_CONNECTIONS = 32768
# Every connection is an open file; nginx sets its workers' limit itself.
WORKER_NOFILE = 2 * WORKER_CONNECTIONS


def worker_limits() -> tuple[int, int]:
    """(worker_connections, worker_rlimit_nofile) for a local nginx: a process may raise its
    limit of open files up to the hard limit and no further (root too, in a container without
    CAP_SYS_RESOURCE), and nginx warns of connections beyond the files it may open."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    nofile = WORKER_NOFILE if hard == resource.RLIM_INFINITY else min(WORKER_NOFILE, hard)
    # Log files, the listening socket and the rest of a worker's own files.
    return min(WORKER_CONNECTIONS, nofile - 64), nofile


def substitute(template: str, values: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"the gateway template needs {name}")
        return values[name]

    return _VARIABLE.sub(replace, template)


def template_variables(template: str) -> set[str]:
    return set(_VARIABLE.findall(template))


def write_local_config(state: Path, port: int, content: str, counter: str, notifier: str) -> Path:
    """Write nginx.conf and portal.conf into `state`; return the nginx.conf path."""
    state = state.resolve()
    for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (state / "tmp" / temp).mkdir(parents=True, exist_ok=True)
    connections, nofile = worker_limits()
    values = {
        # reuseport: a listening socket per worker, and the kernel spreads connections evenly
        # over them, so each worker holds half the streams when its limit cannot hold them all.
        "GATEWAY_LISTEN": f"127.0.0.1:{port} reuseport",
        "GATEWAY_WORKER_CONNECTIONS": str(connections),
        "GATEWAY_WORKER_NOFILE": str(nofile),
        # Upstreams are IP literals here, so nothing is ever resolved; nginx still wants one.
        "GATEWAY_RESOLVER": "127.0.0.1",
        "GATEWAY_CONTENT": "portal_content",
        "GATEWAY_COUNTER": "portal_counter",
        "GATEWAY_NOTIFIER": "portal_notifier",
        "GATEWAY_CONTENT_ADDRESS": content,
        "GATEWAY_COUNTER_ADDRESS": counter,
        "GATEWAY_NOTIFIER_ADDRESS": notifier,
        "GATEWAY_STATE": str(state),
        "GATEWAY_MIME_TYPES": str(MIME_TYPES),
    }
    (state / "portal.conf").write_text(substitute(PORTAL_TEMPLATE.read_text(), values))
    main = state / "nginx.conf"
    main.write_text(substitute(LOCAL_TEMPLATE.read_text(), values))
    return main


def main(argv: list[str]) -> int:
    if len(argv) != 5:
        sys.stderr.write(__doc__ or "")
        return 2
    state, port, content, counter, notifier = argv
    print(write_local_config(Path(state), int(port), content, counter, notifier))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
