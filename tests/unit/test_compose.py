"""Static checks of docker-compose.yml and the Dockerfile: nothing here needs a Docker engine.

The compose file is validated against the Compose Specification schema that
scripts/compose-schema.sh fetches into .local/compose-spec.json; each app service's
environment, interpolated as compose would with an empty host environment, must build that
service's settings class and point at the compose network's hosts.
"""

import json
import os
import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

from gateway.render import template_variables
from services.content.config import ContentSettings
from services.counter.config import CounterSettings
from services.notifier.config import NotifierSettings
from shared.platform.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
SCHEMA_FILE = ROOT / ".local" / "compose-spec.json"

APP_SERVICES: dict[str, type[ServiceSettings]] = {
    "content": ContentSettings,
    "counter": CounterSettings,
    "notifier": NotifierSettings,
}


# ---- compose-style interpolation -----------------------------------------------------------

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class InterpolationError(ValueError):
    pass


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """Substitute like compose: `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
    with defaults that are themselves interpolated (`${A:-${B:-8080}}`).

    Stricter than compose in one way: a variable that is unset and has no default is an
    error (compose would warn and substitute ""), and so are `${VAR:?msg}` / `${VAR?msg}`
    when unset, as compose does.
    """
    return _interpolate(value, env)


def _interpolate(text: str, env: Mapping[str, str]) -> str:
    at, out = 0, []
    while at < len(text):
        if text[at] != "$":
            out.append(text[at])
            at += 1
        elif text.startswith("$$", at):
            out.append("$")
            at += 2
        elif text.startswith("${", at):
            name = _NAME.match(text, at + 2)
            if name is None:
                raise InterpolationError(f"invalid interpolation at {at} in {text!r}")
            at = name.end()
            op = next((op for op in (":-", ":?", "-", "?") if text.startswith(op, at)), "")
            end = _closing_brace(text, at + len(op))
            out.append(_substitute(name.group(), op, text[at + len(op) : end], env))
            at = end + 1
        else:
            name = _NAME.match(text, at + 1)
            if name is None:
                raise InterpolationError(f"invalid interpolation at {at} in {text!r}")
            out.append(_substitute(name.group(), "", "", env))
            at = name.end()
    return "".join(out)


def _closing_brace(text: str, at: int) -> int:
    """The index of the `}` closing a `${`, nested `${...}` in its default included."""
    depth = 0
    while at < len(text):
        if text.startswith("${", at):
            depth, at = depth + 1, at + 2
            continue
        if text[at] == "}":
            if depth == 0:
                return at
            depth -= 1
        at += 1
    raise InterpolationError(f"unclosed ${{ in {text!r}")


def _substitute(name: str, op: str, arg: str, env: Mapping[str, str]) -> str:
    current = env.get(name)
    # The colon forms treat an empty value like an unset one.
    if current is not None and (current or op not in (":-", ":?")):
        return current
    if op in (":-", "-"):
        return interpolate(arg, env)  # a default is read only when it is used
    detail = f": {arg}" if op in (":?", "?") and arg else ""
    raise InterpolationError(f"${{{name}}} is required and has no default{detail}")


def interpolate_all(node: Any, env: Mapping[str, str]) -> Any:
    """Interpolate every string value of a loaded compose document (keys are left alone)."""
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, dict):
        return {key: interpolate_all(item, env) for key, item in node.items()}
    if isinstance(node, list):
        return [interpolate_all(item, env) for item in node]
    return node


def environment_of(service: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, str]:
    """A service's `environment`, as a dict of interpolated strings (dict or list form)."""
    block = service.get("environment", {})
    if isinstance(block, list):
        pairs = dict(item.split("=", 1) if "=" in item else (item, None) for item in block)
    else:
        pairs = dict(block)
    result: dict[str, str] = {}
    for key, raw in pairs.items():
        assert raw is not None, f"{key} is passed through from the host: give it a value"
        text = raw if isinstance(raw, str) else json.dumps(raw)
        result[key] = interpolate(text, env)
    return result


# ---- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    found = compose["services"]
    assert isinstance(found, dict)
    return found


# ---- the helper itself ---------------------------------------------------------------------


def test_interpolation_follows_compose_rules() -> None:
    env = {"SET": "value", "EMPTY": ""}
    assert interpolate("a$$b", {}) == "a$b"
    assert interpolate("${SET}/$SET", env) == "value/value"
    assert interpolate("${MISSING:-fallback}", env) == "fallback"
    assert interpolate("${EMPTY:-fallback}", env) == "fallback"
    assert interpolate("${EMPTY-fallback}", env) == ""
    assert interpolate("${SET:-fallback}", env) == "value"
    assert interpolate("${MISSING:-[]}", env) == "[]"
    with pytest.raises(InterpolationError, match="MISSING"):
        interpolate("${MISSING}", env)
    with pytest.raises(InterpolationError, match="set it"):
        interpolate("${MISSING:?set it}", env)
    with pytest.raises(InterpolationError, match="invalid"):
        interpolate("price: $5", env)
    assert interpolate("${MISSING:-${SET}}", env) == "value"
    assert interpolate("a${MISSING:-b${ALSO_MISSING:-c}d}e", env) == "abcde"
    assert interpolate("${SET:-${MISSING}}", env) == "value"  # an unused default is not read


# ---- the compose file ----------------------------------------------------------------------


def test_compose_file_matches_the_compose_specification(compose: dict[str, Any]) -> None:
    if not SCHEMA_FILE.is_file():
        pytest.fail(
            f"{SCHEMA_FILE.relative_to(ROOT)} is missing: run `bash scripts/compose-schema.sh` "
            "to fetch the Compose Specification schema",
            pytrace=False,
        )
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    # The schema compose v2 itself validates with (compose-go), a draft-07 one.
    Draft7Validator.check_schema(schema)
    validator = Draft7Validator(schema)
    errors = sorted(validator.iter_errors(compose), key=lambda error: error.json_path)
    report = "\n".join(f"{error.json_path}: {error.message}" for error in errors)
    assert not errors, f"docker-compose.yml breaks the Compose Specification:\n{report}"


def test_no_top_level_version(compose: dict[str, Any]) -> None:
    assert "version" not in compose, "the Compose Specification dropped `version:`"


# What `bash scripts/make-env.sh` writes; the only variables without a default.
SECRETS = {
    "EDITOR_TOKEN": "f1c0e2d9a8b7c6d5e4f3a2b1c0d9e8f7",
    "ADMIN_TOKEN": "0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d",
    "SIGNING_KEY": "5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b5e4d3c2b1a0f9e8d",
}


def test_every_variable_but_the_secrets_has_a_default(compose: dict[str, Any]) -> None:
    interpolate_all(compose, SECRETS)


@pytest.mark.parametrize("secret", sorted(SECRETS))
def test_up_refuses_to_start_without_each_secret_and_says_how_to_make_them(
    compose: dict[str, Any], secret: str
) -> None:
    env = {name: value for name, value in SECRETS.items() if name != secret}
    with pytest.raises(InterpolationError, match=f"{secret}.*scripts/make-env.sh"):
        interpolate_all(compose, env)
    with pytest.raises(InterpolationError, match=secret):  # set but empty is unset too
        interpolate_all(compose, {**env, secret: ""})


def test_no_secret_has_a_published_default() -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    for secret in SECRETS:
        uses = re.findall(r"\$\{" + secret + r"([^}]*)\}", text)
        assert uses, f"{secret} is not used"
        assert all(use.startswith(":?") for use in uses), f"{secret} has a default: {uses}"


def test_host_environment_sets_the_secrets(services: dict[str, Any]) -> None:
    assert environment_of(services["content"], SECRETS)["EDITOR_TOKEN"] == SECRETS["EDITOR_TOKEN"]
    notifier = environment_of(services["notifier"], SECRETS)
    assert notifier["SIGNING_KEY"] == SECRETS["SIGNING_KEY"]


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_environment_builds_the_service_settings(
    name: str, services: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_class = APP_SERVICES[name]
    env = environment_of(services[name], SECRETS)
    # Nothing from the test runner's environment may leak into the settings.
    fields = {field.upper() for field in settings_class.model_fields}
    for key in list(os.environ):
        if key.upper() in fields:
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)

    settings = settings_class()

    unknown = {key for key in env if key.lower() not in settings_class.model_fields}
    assert not unknown, f"{name}: variables its settings do not read: {sorted(unknown)}"
    assert settings.amqp_url.host == "rabbitmq"
    assert [host["host"] for host in settings.mongo_url.hosts()] == ["mongo"]
    assert settings.http_host == "0.0.0.0"
    assert settings.mongo_db == name
    if isinstance(settings, NotifierSettings):
        assert settings.smtp_host == "mailpit"
    assert settings.http_port == healthcheck_port(services[name])
    assert command_of(services[name]) == ["python", "-m", f"services.{name}"]


def healthcheck_port(service: Mapping[str, Any]) -> int:
    test = service["healthcheck"]["test"]
    text = test if isinstance(test, str) else " ".join(test)
    found = re.search(r"http://(?:127\.0\.0\.1|localhost):(\d+)/readyz", text)
    assert found, f"the healthcheck does not probe /readyz: {text!r}"
    return int(found.group(1))


def command_of(service: Mapping[str, Any]) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_app_service_is_supervised_and_scalable(name: str, services: dict[str, Any]) -> None:
    service = services[name]
    assert service.get("build") == ".", f"{name}: built from the one Dockerfile"
    assert "container_name" not in service, f"{name}: a fixed container_name blocks --scale"
    assert service.get("restart") == "unless-stopped"
    healthcheck = service.get("healthcheck")
    assert healthcheck and not healthcheck.get("disable"), f"{name}: needs a healthcheck"
    depends_on = service.get("depends_on")
    assert isinstance(depends_on, dict) and depends_on, f"{name}: depends_on with conditions"
    for dependency, spec in depends_on.items():
        assert dependency in services, f"{name}: depends on unknown service {dependency}"
        assert spec == {"condition": "service_healthy"}, f"{name} -> {dependency}: {spec}"
        assert "healthcheck" in services[dependency], f"{dependency}: needs a healthcheck"
    assert {"rabbitmq", "mongo"} <= set(depends_on)
    if name == "notifier":
        assert "mailpit" in depends_on


def test_infrastructure_has_healthchecks_and_named_volumes(
    compose: dict[str, Any], services: dict[str, Any]
) -> None:
    for name in ("rabbitmq", "mongo", "mailpit"):
        assert "healthcheck" in services[name], f"{name}: needs a healthcheck"
    volumes = compose.get("volumes") or {}
    for name in ("rabbitmq", "mongo"):
        for mount in services[name].get("volumes", []):
            source = mount.split(":", 1)[0] if isinstance(mount, str) else mount["source"]
            assert source in volumes, f"{name}: {source} is not a named volume"


# ---- the Dockerfile ------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    starts = [index for index, (keyword, _) in enumerate(instructions) if keyword == "FROM"]
    assert starts, "the Dockerfile has no FROM"
    return instructions[starts[-1] :]


def test_dockerfile_runs_as_a_non_root_user() -> None:
    users = [arguments for keyword, arguments in final_stage() if keyword == "USER"]
    assert users, "the final stage sets no USER: the services would run as root"
    user = users[-1].split(":", 1)[0]
    assert user not in {"root", "0"}, f"the final stage runs as {users[-1]!r}"


def test_dockerfile_image_holds_only_the_code_and_the_venv() -> None:
    sources: list[str] = []
    for keyword, arguments in final_stage():
        if keyword != "COPY" or arguments.startswith("--from="):
            continue
        parts = [part for part in arguments.split() if not part.startswith("--")]
        sources.extend(part.rstrip("/") for part in parts[:-1])
    assert sorted(sources) == ["services", "shared"]
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert "uv==0.13.9" in text
    assert "uv sync --frozen --no-dev" in text


# ---- the gateway ---------------------------------------------------------------------------

GATEWAY_TEMPLATE = ROOT / "gateway" / "portal.conf.template"
_LOCATION = re.compile(r"location\s+(=|~)?\s*(\S+)\s*\{(.*?)\}", re.DOTALL)


def gateway_locations() -> list[tuple[str, str, str]]:
    """(modifier, pattern, body) of each location block of the gateway template."""
    text = GATEWAY_TEMPLATE.read_text(encoding="utf-8")
    return [(m[1] or "", m[2], m[3]) for m in _LOCATION.finditer(text)]


def route(path: str) -> str:
    """The location body nginx would pick for `path`: exact, then regex, then longest prefix."""
    locations = gateway_locations()
    for modifier, pattern, body in locations:
        if modifier == "=" and pattern == path:
            return body
    for modifier, pattern, body in locations:
        if modifier == "~" and re.search(pattern, path):
            return body
    prefixes = [(p, b) for m, p, b in locations if not m and path.startswith(p)]
    assert prefixes, f"no gateway location for {path}"
    return max(prefixes, key=lambda pair: len(pair[0]))[1]


@pytest.mark.parametrize(
    ("path", "upstream"),
    [
        ("/", "content"),
        ("/articles/tin-moi", "content"),
        ("/static/0123abcd/site.css", "content"),
        ("/editor", "content"),
        ("/api/articles", "content"),
        ("/api/views", "content"),
        ("/api/editor/articles", "content"),
        ("/api/search", "content"),
        ("/api/stats", "counter"),
        ("/api/stats/stream", "counter"),
        ("/api/stats/articles/abc", "counter"),
        ("/api/subscribers", "notifier"),
        ("/api/deliveries/abc", "notifier"),
        ("/api/suppressions", "notifier"),
        ("/api/notifier/retry", "notifier"),
        ("/subscriptions/confirm", "notifier"),
        ("/docs/counter/", "counter/docs"),
        ("/docs/notifier/openapi.json", "notifier/openapi.json"),
        ("/openapi/content.json", "content/openapi.json"),
    ],
)
def test_gateway_routes_each_path_to_its_service(path: str, upstream: str) -> None:
    assert f"proxy_pass http://${upstream};" in route(path)


def test_gateway_streams_server_sent_events_unbuffered() -> None:
    body = route("/api/stats/stream")
    assert "proxy_buffering off;" in body
    assert re.search(r"proxy_read_timeout\s+\d+h;", body)


def test_gateway_is_the_only_published_port(services: dict[str, Any]) -> None:
    for name in APP_SERVICES:
        assert "ports" not in services[name], f"{name}: a host port blocks --scale"
    gateway = services["gateway"]
    assert gateway["image"].startswith("nginx:1.27")
    [published] = interpolate_all(gateway["ports"], {})
    assert published == "8080:8080"
    assert {"gateway", "mailpit", "rabbitmq"} == set(published_ports(services, {}))


def test_gateway_template_gets_every_variable_it_uses(services: dict[str, Any]) -> None:
    gateway = services["gateway"]
    template = GATEWAY_TEMPLATE.read_text(encoding="utf-8")
    mounted = {volume.split(":")[1] for volume in gateway["volumes"]}
    assert "/etc/nginx/templates/portal.conf.template" in mounted
    env = environment_of(gateway, {})
    assert template_variables(template) <= set(env)
    assert env["GATEWAY_RESOLVER"] == "127.0.0.11"  # Docker's DNS: replicas come and go
    for name in APP_SERVICES:
        port = healthcheck_port(services[name])
        assert env[f"GATEWAY_{name.upper()}"] == f"{name}:{port}"


def test_content_takes_forwarded_addresses_only_from_its_own_network(
    compose: dict[str, Any], services: dict[str, Any]
) -> None:
    """No fixed subnet or gateway address (a second stack would clash with them): content
    trusts the private ranges, which on a network where content publishes no port hold
    only this stack's containers; the gateway replaces the header clients send."""
    trusted = json.loads(environment_of(services["content"], SECRETS)["TRUSTED_PROXIES"])
    assert sorted(trusted) == sorted(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"])
    assert "ports" not in services["content"]
    assert "networks" not in compose and "networks" not in services["gateway"]
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in GATEWAY_TEMPLATE.read_text()


@pytest.mark.parametrize(
    ("env", "url"),
    [
        ({}, "http://localhost:8080"),
        ({"GATEWAY_PORT": "9000"}, "http://localhost:9000"),
        ({"PORT_PREFIX": "90"}, "http://localhost:9080"),
        (
            {"PORTAL_URL": "https://portal.example.vn", "GATEWAY_PORT": "9000"},
            "https://portal.example.vn",
        ),
    ],
)
def test_links_in_emails_and_events_follow_the_gateway_port(
    services: dict[str, Any], env: dict[str, str], url: str
) -> None:
    for name in ("content", "notifier"):
        assert environment_of(services[name], {**SECRETS, **env})["PUBLIC_URL"] == url


def published_ports(services: dict[str, Any], env: dict[str, str]) -> dict[str, set[str]]:
    """Host ports (with their address) each service publishes, as compose would read them."""
    return {
        name: {port.rsplit(":", 1)[0] for port in interpolate_all(service.get("ports", []), env)}
        for name, service in services.items()
        if service.get("ports")
    }


def test_every_host_port_is_configurable_and_a_second_copy_needs_two_settings(
    compose: dict[str, Any], services: dict[str, Any]
) -> None:
    first = published_ports(services, SECRETS)
    assert first == {
        "gateway": {"8080"},
        "mailpit": {"127.0.0.1:8025"},
        "rabbitmq": {"127.0.0.1:8072"},
    }
    second = published_ports(services, {**SECRETS, "PORT_PREFIX": "90"})
    assert second == {
        "gateway": {"9080"},
        "mailpit": {"127.0.0.1:9025"},
        "rabbitmq": {"127.0.0.1:9072"},
    }
    # The other setting is COMPOSE_PROJECT_NAME: nothing may carry a name of its own.
    for name, service in services.items():
        assert "container_name" not in service, name
    for volume in (compose.get("volumes") or {}).values():
        assert not (volume or {}).get("name"), "a fixed volume name would be shared"
    one_by_one = {"GATEWAY_PORT": "81", "MAILPIT_UI_PORT": "82", "RABBITMQ_UI_PORT": "83"}
    assert published_ports(services, {**SECRETS, **one_by_one}) == {
        "gateway": {"81"},
        "mailpit": {"127.0.0.1:82"},
        "rabbitmq": {"127.0.0.1:83"},
    }


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_replicas_are_a_setting_so_a_plain_up_keeps_them(
    name: str, services: dict[str, Any]
) -> None:
    replicas = services[name]["deploy"]["replicas"]
    assert interpolate(str(replicas), SECRETS) == "1"
    variable = f"{name.upper()}_REPLICAS"
    assert interpolate(str(replicas), {variable: "3"}) == "3"


def test_the_gateway_waits_for_the_apps_to_start_not_to_be_ready(services: dict[str, Any]) -> None:
    """After a broker outage the apps are not ready for a while: `up` must not fail for it."""
    depends_on = services["gateway"]["depends_on"]
    names = list(depends_on)
    assert sorted(names) == sorted(APP_SERVICES)
    if isinstance(depends_on, dict):
        assert all(spec.get("condition") != "service_healthy" for spec in depends_on.values())


def test_dockerfile_needs_no_frontend_image_from_docker_hub() -> None:
    """A `# syntax=` line makes BuildKit pull a frontend image: no build behind a mirror."""
    first = DOCKERFILE.read_text(encoding="utf-8").splitlines()[0]
    assert not re.match(r"#\s*syntax\s*=", first), first
