"""The OpenAPI builder and query parsing that every service shares."""

from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from jsonschema import Draft202012Validator
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from shared.contracts.errors import Forbidden, Invalid, Malformed, Unauthenticated
from shared.platform.http import bearer_token, read_query, require_admin_token
from shared.platform.openapi import ApiSpec


class Page(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = None


class Draft(BaseModel):
    title: str = Field(min_length=1)


class Saved(BaseModel):
    """The saved article."""

    id: str
    title: str


def spec() -> ApiSpec:
    api = ApiSpec("Thử nghiệm", "1", "Một API để thử")
    api.operation(
        "POST", "/api/things/{thing_id}", "Sửa", tag="things", body=Draft,
        query=Page, responses={201: Saved}, auth=True,
    )  # fmt: skip
    api.operation("GET", "/api/things", "Danh sách", tag="things", query=Page)
    return api


def test_document_declares_paths_parameters_bodies_and_errors() -> None:
    document = spec().document()
    post = document["paths"]["/api/things/{thing_id}"]["post"]
    names = [(p["name"], p["in"], p["required"]) for p in post["parameters"]]
    assert names == [
        ("thing_id", "path", True),
        ("limit", "query", False),
        ("cursor", "query", False),
    ]
    assert post["security"] == [{"bearer": []}]
    body_ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body_ref.endswith("/Draft")
    assert post["responses"]["201"]["description"] == "The saved article."
    assert "4XX" in post["responses"]
    assert set(document["components"]["schemas"]) >= {"Draft", "Saved", "Error"}


def test_document_schemas_are_valid_json_schema() -> None:
    for schema in spec().document()["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


async def test_docs_page_and_json_are_served() -> None:
    app = web.Application()
    spec().add_routes(app)
    routes = {r.resource.canonical for r in app.router.routes() if r.resource is not None}
    assert {"/openapi.json", "/docs"} <= routes


def query(path: str) -> web.Request:
    return make_mocked_request("GET", path)


async def test_read_query_types_the_values() -> None:
    assert await read_query(query("/x?limit=5&cursor=abc"), Page) == Page(limit=5, cursor="abc")
    assert await read_query(query("/x"), Page) == Page()


@pytest.mark.parametrize(
    "path",
    [
        "/x?limit[$gt]=1",
        "/x?$where=1",
        "/x?cursor.$ne=1",
        "/x?limit=1&limit=2",
    ],
)
async def test_read_query_refuses_operator_like_and_repeated_keys(path: str) -> None:
    with pytest.raises(Malformed):
        await read_query(query(path), Page)


@pytest.mark.parametrize("path", ["/x?limit=0", "/x?limit=abc", "/x?unknown=1"])
async def test_read_query_refuses_values_of_the_wrong_shape(path: str) -> None:
    with pytest.raises(Invalid) as caught:
        await read_query(query(path), Page)
    details: Any = caught.value.details
    assert details and "field" in details[0]


async def test_an_operator_object_in_a_value_stays_a_plain_string() -> None:
    parsed = await read_query(query('/x?cursor={"$ne":""}'), Page)
    assert parsed.cursor == '{"$ne":""}'


def with_authorization(value: str | None) -> web.Request:
    headers = {"Authorization": value} if value is not None else {}
    return make_mocked_request("GET", "/admin", headers=headers)


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer  abc ", "abc"),
        ("Basic abc", None),
        ("Bearer ", None),
        (None, None),
    ],
)
def test_bearer_token(header: str | None, token: str | None) -> None:
    assert bearer_token(with_authorization(header)) == token


def test_admin_routes_refuse_when_disabled_and_without_the_right_token() -> None:
    secret = SecretStr("an-admin-token-for-tests")
    require_admin_token(with_authorization("Bearer an-admin-token-for-tests"), secret)
    with pytest.raises(Unauthenticated):
        require_admin_token(with_authorization("Bearer wrong"), secret)
    with pytest.raises(Unauthenticated):
        require_admin_token(with_authorization(None), secret)
    with pytest.raises(Forbidden):
        require_admin_token(with_authorization("Bearer anything"), None)
