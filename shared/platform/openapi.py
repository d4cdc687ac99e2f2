"""An OpenAPI 3.1 document built from the pydantic models each route declares.

Every service lists its operations once (`spec.operation(...)`), next to the route table,
and serves `/openapi.json` plus a readable `/docs` page. Query parameters are declared as a
pydantic model too, so the same model both documents and parses them (`read_query`).
"""

import html
import json
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NotRequired, TypedDict, Unpack

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from shared.platform.memory import release_free_memory

REF_TEMPLATE = "#/components/schemas/{model}"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {},
            },
        }
    },
}


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class OperationOptions(TypedDict):
    """What `ApiSpec.operation` takes besides method, path and summary."""

    tag: str
    body: NotRequired[type[BaseModel] | None]
    query: NotRequired[type[BaseModel] | None]
    responses: NotRequired[dict[int, type[BaseModel] | str] | None]
    auth: NotRequired[bool]
    body_media_type: NotRequired[str]


@dataclass(frozen=True)
class Route:
    """One operation of a service's API: its route (when `handler` is set) and how the API
    document describes it. A service's route table is a tuple of these (`ApiSpec.add_table`)."""

    method: str
    path: str
    handler: Handler | None
    summary: str
    tag: str
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    # status -> a model, or a description for bodies that are not JSON models
    responses: dict[int, type[BaseModel] | str] = field(default_factory=dict)
    auth: bool = False
    body_media_type: str = "application/json"


class ApiSpec:
    def __init__(self, title: str, version: str, description: str) -> None:
        self.title, self.version, self.description = title, version, description
        self.operations: list[Route] = []
        # Kept as the JSON answer's bytes, not as the document's dicts: a few hundred KB
        # instead of megabytes of Python objects for the life of the process.
        self._encoded: bytes | None = None

    def operation(
        self,
        method: str,
        path: str,
        summary: str,
        *,
        tag: str,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        responses: dict[int, type[BaseModel] | str] | None = None,
        auth: bool = False,
        body_media_type: str = "application/json",
    ) -> None:
        self.operations.append(
            Route(
                method.lower(),
                path,
                None,
                summary,
                tag,
                query,
                body,
                responses or {200: "OK"},
                auth,
                body_media_type,
            )
        )
        self._encoded = None

    def route(
        self,
        app: web.Application,
        method: str,
        path: str,
        handler: Handler,
        summary: str,
        **options: Unpack[OperationOptions],
    ) -> None:
        """Add the route and describe it in the same call, so the two cannot drift apart."""
        app.router.add_route(method, path, handler)
        self.operation(method, path, summary, **options)

    def add_table(self, app: web.Application, routes: Iterable[Route]) -> None:
        """Add and describe every route of a table."""
        for entry in routes:
            assert entry.handler is not None, f"{entry.path}: a route table entry needs a handler"
            self.route(
                app,
                entry.method,
                entry.path,
                entry.handler,
                entry.summary,
                tag=entry.tag,
                query=entry.query,
                body=entry.body,
                responses=entry.responses or None,
                auth=entry.auth,
                body_media_type=entry.body_media_type,
            )

    def document(self) -> dict[str, Any]:
        return self._build()

    def encoded(self) -> bytes:
        if self._encoded is None:
            self._encoded = _dumps(self._build()).encode()
            release_free_memory()  # building it took megabytes that are free now
        return self._encoded

    def _build(self) -> dict[str, Any]:
        models = {
            model
            for op in self.operations
            for model in (op.body, *op.responses.values())
            if isinstance(model, type) and issubclass(model, BaseModel)
        }
        keyed: list[tuple[type[BaseModel], JsonSchemaMode]] = [
            (model, "serialization") for model in models
        ] + [(op.body, "validation") for op in self.operations if op.body is not None]
        refs, definitions = models_json_schema(keyed, ref_template=REF_TEMPLATE)
        schemas: dict[str, Any] = dict(definitions.get("$defs", {}))
        schemas["Error"] = ERROR_SCHEMA
        paths: dict[str, dict[str, Any]] = {}
        for op in self.operations:
            paths.setdefault(op.path, {})[op.method] = _path_item(op, refs)
        return {
            "openapi": "3.1.0",
            "info": {"title": self.title, "version": self.version, "description": self.description},
            "paths": paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            },
        }

    def add_routes(self, app: web.Application) -> None:
        """Serve `/openapi.json` and a plain `/docs` page that lists every operation."""

        async def openapi_json(_: web.Request) -> web.Response:
            return web.Response(
                body=self.encoded(), content_type="application/json", charset="utf-8"
            )

        async def docs(_: web.Request) -> web.Response:
            return web.Response(text=self._docs_page(), content_type="text/html")

        app.router.add_get("/openapi.json", openapi_json)
        app.router.add_get("/docs", docs)

    def _docs_page(self) -> str:
        rows = []
        for op in self.operations:
            auth = " 🔒" if op.auth else ""
            body = f"<br><small>body: {html.escape(op.body.__name__)}</small>" if op.body else ""
            query = ""
            if op.query is not None:
                names = ", ".join(html.escape(name) for name in op.query.model_fields)
                query = f"<br><small>query: {names}</small>"
            rows.append(
                f"<tr><td><code>{op.method.upper()}</code></td>"
                f"<td><code>{html.escape(op.path)}</code>{auth}</td>"
                f"<td>{html.escape(op.summary)}{body}{query}</td></tr>"
            )
        return (
            '<!doctype html><html lang="vi"><meta charset="utf-8">'
            f"<title>{html.escape(self.title)} API</title>"
            "<style>body{font:16px system-ui;margin:2rem;max-width:70rem}"
            "td{padding:.3rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}</style>"
            f"<h1>{html.escape(self.title)} API {html.escape(self.version)}</h1>"
            f"<p>{html.escape(self.description)}</p>"
            '<p>Machine-readable: <a href="openapi.json">openapi.json</a>. '
            'Errors are JSON: <code>{"error": {"code", "message", "details"}}</code>.</p>'
            "<table><tr><th>Method</th><th>Path</th><th>What</th></tr>"
            + "".join(rows)
            + "</table></html>"
        )


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _operation_id(op: Route) -> str:
    words = re.findall(r"[a-zA-Z0-9]+", op.path)
    return op.method + "".join(word.capitalize() for word in words)


def _path_parameters(path: str) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", path)
    ]


def _query_parameters(query: type[BaseModel] | None) -> list[dict[str, Any]]:
    if query is None:
        return []
    schema = query.model_json_schema(ref_template=REF_TEMPLATE)
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in schema.get("properties", {}).items()
    ]


def _path_item(op: Route, refs: dict[Any, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {
        "summary": op.summary,
        "tags": [op.tag],
        "operationId": _operation_id(op),
        "parameters": _path_parameters(op.path) + _query_parameters(op.query),
        "responses": {
            str(status): _response(answer, refs) for status, answer in sorted(op.responses.items())
        },
    }
    if op.auth:
        item["security"] = [{"bearer": []}]
    if op.body is not None:
        item["requestBody"] = {
            "required": True,
            "content": {op.body_media_type: {"schema": refs[(op.body, "validation")]}},
        }
    item["responses"]["4XX"] = {
        "description": "The request was refused; the body says why.",
        "content": {"application/json": {"schema": {"$ref": REF_TEMPLATE.format(model="Error")}}},
    }
    return item


def _response(answer: Any, refs: dict[Any, Any]) -> dict[str, Any]:
    if isinstance(answer, str):
        return {"description": answer}
    doc = answer.__doc__
    return {
        "description": doc.strip().splitlines()[0] if doc else "OK",
        "content": {"application/json": {"schema": refs[(answer, "serialization")]}},
    }
