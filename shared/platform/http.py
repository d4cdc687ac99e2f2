"""aiohttp helpers every service uses: JSON errors, request ids, body parsing, ops routes."""

import asyncio
import hmac
import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, SecretStr, ValidationError

from shared.contracts.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    Malformed,
    NotFound,
    Throttled,
    TooLarge,
    Unauthenticated,
    Unavailable,
)
from shared.contracts.text import ID_PATTERN
from shared.platform.access_log import ACCESS_LOG
from shared.platform.metrics import HTTP_REQUESTS

log = structlog.get_logger(__name__)

ModelT = TypeVar("ModelT", bound=BaseModel)
ReadinessCheck = Callable[[], Awaitable[None]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

MAX_BODY_BYTES = 256 * 1024

# Successful requests that come by the thousand (page-view beacons, probes, scrapes) are
# logged at debug: an info line each would cost more than the request and bury the rest.
QUIET_PATHS = frozenset({"/api/views", "/healthz", "/readyz", "/metrics"})
# The latency histogram's child per (method, route, status), looked up once.
_TIMERS: dict[tuple[str, str, int], Any] = {}

# The errors of a dependency that mean "down, try again" (the database driver's).
TRANSIENT = web.AppKey("transient_errors", tuple)

# The request's id: the gateway's X-Request-Id (the same on each attempt it makes), or new.
REQUEST_ID = web.RequestKey("request_id", str)
# A request id sent to us is kept only if it is an id as every contract has them (nginx's
# are 32 hex digits): anything else, up to the 8 KB a header may take, would be echoed in
# the answer and written to every log line.
_PLAIN_ID = re.compile(ID_PATTERN)

# The status recorded (metrics, log) for a request whose client went away before the answer:
# nginx's convention. It is not a server error, so it never counts as a 5xx.
CLIENT_GONE = 499

# Sent on every answer of every service (JSON, HTML, docs, streams). A page that needs more
# (content's pages load their own scripts and styles) sets its own Content-Security-Policy;
# the default allows no script at all and inline styles only (the docs and notifier pages).
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
DEFAULT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


# Each kind of domain error, answered with its status and the code the JSON body names.
STATUSES: dict[type[DomainError], tuple[int, str]] = {
    Malformed: (400, "bad_request"),
    Unauthenticated: (401, "unauthorized"),
    Forbidden: (403, "forbidden"),
    NotFound: (404, "not_found"),
    Conflict: (409, "conflict"),
    TooLarge: (413, "payload_too_large"),
    Invalid: (422, "validation_error"),
    Throttled: (429, "too_many_requests"),
    Unavailable: (503, "unavailable"),
}


def status_of(error: DomainError) -> tuple[int, str]:
    """The HTTP status and error code that answer a domain error."""
    for kind in type(error).__mro__:
        if kind in STATUSES:
            return STATUSES[kind]
    return 400, "bad_request"


def json_error(status: int, code: str, message: str, details: object = None) -> web.Response:
    error: dict[str, object] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return web.json_response({"error": error}, status=status)


def json_response(model: BaseModel | list[Any] | dict[str, Any], status: int = 200) -> web.Response:
    if isinstance(model, BaseModel):
        text = model.model_dump_json()
    else:
        text = json.dumps(model, ensure_ascii=False, default=str)
    return web.Response(text=text, status=status, content_type="application/json")


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure leaves as JSON; every response carries the request id."""
    request_id = request_id_of(request)
    request[REQUEST_ID] = request_id
    structlog.contextvars.bind_contextvars(request_id=request_id)
    started = time.perf_counter()
    try:
        response = await _answer(request, handler)
    finally:
        structlog.contextvars.unbind_contextvars("request_id")
    if not response.prepared:
        response.headers["X-Request-Id"] = request_id
    _record(request, response, request_id, time.perf_counter() - started)
    return response


async def _answer(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The handler's response, or the JSON error its failure maps to."""
    try:
        return await handler(request)
    except DomainError as error:
        status, code = status_of(error)
        return json_error(status, code, error.message, error.details)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        code = (error.reason or "error").lower().replace(" ", "_")
        return json_error(error.status, code, error.reason or "error")
    except asyncio.CancelledError:
        raise
    except ConnectionResetError:
        # The client closed the connection (a stream left, a beacon cut mid-body): nothing
        # failed here, and there is nobody to answer. aiohttp drops the answer quietly.
        return web.Response(status=CLIENT_GONE)
    except request.app[TRANSIENT]:
        log.exception("http.database_unavailable", path=request.path)
        return json_error(503, "unavailable", "the database is unavailable; try again")
    except Exception:
        log.exception("http.unhandled", path=request.path)
        return json_error(500, "internal", "internal error")


def request_id_of(request: web.BaseRequest) -> str:
    """The id the gateway (or a client) gave the request if it is a plain token, else new."""
    sent = request.headers.get("X-Request-Id", "")
    return sent if _PLAIN_ID.fullmatch(sent) else uuid.uuid4().hex


def route_name(request: web.Request) -> str:
    """The route a request matched, as the latency metric labels it."""
    route = request.match_info.route.resource
    return route.canonical if route else "unmatched"


def _record(
    request: web.Request, response: web.StreamResponse, request_id: str, elapsed: float
) -> None:
    _count(request, route_name(request), response.status, request_id, elapsed)


def _count(
    request: web.BaseRequest, route: str, status: int, request_id: str, elapsed: float
) -> None:
    """The request's metric and access log line (shared/platform/access_log.py)."""
    key = (request.method, route, status)
    timer = _TIMERS.get(key)
    if timer is None:  # labels() looks the child up under a lock: once per key is enough
        timer = _TIMERS[key] = HTTP_REQUESTS.labels(*key)
    timer.observe(elapsed)
    quiet = status < 400 and request.path in QUIET_PATHS
    ACCESS_LOG.request(
        request_id, request.method, request.path, status, round(elapsed * 1000, 1), quiet
    )


@dataclass(frozen=True)
class FrontAnswer:
    """An answer given before routing, and the route it stands for (the metric's label)."""

    response: web.Response
    route: str


# Answers a request before routing, middleware and handler, or None to let them run.
Front = Callable[[web.BaseRequest], FrontAnswer | None]
FRONT: web.AppKey[Front] = web.AppKey("front")


def install_front(app: web.Application, server: web.Server) -> None:
    """Let the app's FRONT, if it has one, answer first on this server.

    Content's response cache answers a current cached read this way (entrypoints/
    http_cache.py): routing, the middleware and the handler were a third of the CPU of such
    a read (py-spy), and none of them decides anything for it. What they add to every
    answer is added here the same way: the request id, the security headers, the metric
    and the access line. Anything else (a miss, a stale entry, any other request) takes
    the normal path, so a test server without this answers the same, only slower.
    """
    front = app.get(FRONT)
    if front is None:
        return
    handler = server.request_handler

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        started = time.perf_counter()
        answer = front(request)
        if answer is None:
            return await handler(request)
        request_id = request_id_of(request)
        answer.response.headers["X-Request-Id"] = request_id
        _secure(answer.response)
        status = answer.response.status
        _count(request, answer.route, status, request_id, time.perf_counter() - started)
        return answer.response

    server.request_handler = handle


async def add_security_headers(_: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: the headers go on every answer, streams and errors included."""
    _secure(response)


def _secure(response: web.StreamResponse) -> None:
    response.headers.update(SECURITY_HEADERS)
    response.headers.setdefault("Content-Security-Policy", DEFAULT_CSP)


async def read_body(request: web.Request, max_bytes: int) -> bytes:
    """The body, refused with 413 past `max_bytes` before more than that is read."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise TooLarge(f"the body may have at most {max_bytes} bytes")
    body = await request.content.read(max_bytes + 1)
    while len(body) <= max_bytes and not request.content.at_eof():
        more = await request.content.read(max_bytes + 1 - len(body))
        if not more:
            break
        body += more
    if len(body) > max_bytes:
        raise TooLarge(f"the body may have at most {max_bytes} bytes")
    return body


async def read_model(
    request: web.Request,
    model: type[ModelT],
    *,
    require_json_type: bool = True,
    max_bytes: int = MAX_BODY_BYTES,
) -> ModelT:
    """Parse the JSON body into `model`, or fail with 400 (not JSON), 413 (more than
    `max_bytes`) or 422 (wrong shape)."""
    if require_json_type and request.content_type != "application/json":
        raise Malformed("expected Content-Type: application/json")
    raw = await read_body(request, max_bytes)
    try:
        return model.model_validate_json(raw)
    except ValidationError as error:
        if any(item["type"] == "json_invalid" for item in error.errors()):
            raise Malformed("body is not valid JSON") from None
        details = [
            {"field": ".".join(str(p) for p in item["loc"]), "message": item["msg"]}
            for item in error.errors(include_url=False, include_input=False)
        ]
        raise Invalid("request body does not match the schema", details) from None


async def read_query(request: web.Request, model: type[ModelT]) -> ModelT:
    """Parse query parameters into `model`: 400 for operator-like or repeated keys, 422 for
    values of the wrong shape. Values stay plain strings until the model types them, so
    `?id[$ne]=x` or `?id={"$gt": ""}` can never reach a MongoDB filter as an operator."""
    query = request.query
    for key in query:
        if "$" in key or "[" in key or "]" in key or "." in key:
            raise Malformed(f"query parameter {key!r} is not allowed")
        if len(query.getall(key)) > 1:
            raise Malformed(f"query parameter {key!r} is given more than once")
    try:
        return model.model_validate(dict(query))
    except ValidationError as error:
        details = [
            {"field": ".".join(str(p) for p in item["loc"]), "message": item["msg"]}
            for item in error.errors(include_url=False, include_input=False)
        ]
        raise Invalid("query parameters do not match the schema", details) from None


def bearer_token(request: web.Request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def require_admin_token(request: web.Request, secret: SecretStr | None) -> None:
    """Admin routes: 403 while no admin token is configured, 401 without the right one."""
    if secret is None:
        raise Forbidden("admin endpoints are disabled: ADMIN_TOKEN is not set")
    given = bearer_token(request) or ""
    if not hmac.compare_digest(given.encode(), secret.get_secret_value().encode()):
        raise Unauthenticated("a valid admin bearer token is required")


# Set when the process was told to stop: /readyz then says so (shared/platform/runner.py drains).
DRAINING = web.AppKey("draining", asyncio.Event)


def make_app(transient: tuple[type[BaseException], ...] = ()) -> web.Application:
    """The service's application. `transient`: the database driver's errors that mean "down,
    try again" (shared/platform/db.py), answered 503 instead of 500."""
    app = web.Application(middlewares=[error_middleware], client_max_size=MAX_BODY_BYTES)
    app.on_response_prepare.append(add_security_headers)
    app[DRAINING] = asyncio.Event()
    app[TRANSIENT] = transient
    return app


def add_ops_routes(app: web.Application, checks: Mapping[str, ReadinessCheck]) -> None:
    """/healthz: the process answers. /readyz: its dependencies answer. /metrics: Prometheus."""

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(request: web.Request) -> web.Response:
        if request.app[DRAINING].is_set():  # stopping: send nothing new here
            return web.json_response({"status": "draining", "checks": {}}, status=503)
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                await asyncio.wait_for(check(), timeout=2)
                results[name] = "ok"
            except Exception as error:
                results[name] = f"failing: {error!r}"
        ready = all(value == "ok" for value in results.values())
        return web.json_response(
            {"status": "ready" if ready else "not_ready", "checks": results},
            status=200 if ready else 503,
        )

    async def metrics(_: web.Request) -> web.Response:
        response = web.Response(body=generate_latest())
        response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
        return response

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
