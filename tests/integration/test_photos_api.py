"""The photo API and pages on a real content app, FerretDB and RabbitMQ: upload, serve,
describe, use, delete; who may do what; bad uploads refused with nothing stored."""

import asyncio
import io
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from PIL import Image
from pymongo import AsyncMongoClient

from services.content.photos.form import MAX_REQUEST
from shared.platform.db import Document
from tests.content_support import (
    AUTH,
    BOOTSTRAP,
    Client,
    create,
    drop_topology,
    error_of,
    publish,
    replica,
    settings_for,
)
from tests.staff_support import first_admin, register_script_token
from tests.unit.test_photos_images import NOT_PHOTOS, sample, with_metadata

pytestmark = pytest.mark.integration

PHOTOS = "/api/editor/photos"
CONTRIBUTOR_TOKEN = "integration-contributor-token"
CONTRIBUTOR = {"Authorization": f"Bearer {CONTRIBUTOR_TOKEN}"}


@pytest.fixture
async def client(exchange: str, db_name: str, amqp: Any) -> AsyncIterator[Client]:
    await asyncio.to_thread(register_script_token, db_name, CONTRIBUTOR_TOKEN, "contributor")
    async with replica(settings_for(db_name, exchange)) as client:
        yield client
    await drop_topology(amqp, exchange)


def form(data: bytes, name: str = "ảnh.jpg", **text: str) -> aiohttp.FormData:
    body = aiohttp.FormData()
    body.add_field("file", data, filename=name, content_type="image/jpeg")
    for key, value in text.items():
        body.add_field(key, value)
    return body


async def upload(client: Client, data: bytes, headers: dict[str, str] = AUTH, **text: str) -> Any:
    response = await client.post(PHOTOS, data=form(data, **text), headers=headers)
    assert response.status == 201, await response.text()
    return await response.json()


async def stored(mongo: AsyncMongoClient[Document], db_name: str) -> int:
    db = mongo[db_name]
    counts = [await db[c].count_documents({}) for c in ("photos", "photos.files", "photos.chunks")]
    return sum(counts)


async def test_an_upload_is_served_at_stable_addresses_with_long_caching(client: Client) -> None:
    photo = await upload(client, with_metadata("JPEG", (1300, 900)), caption="Lễ hội", alt="Đèn")
    assert (photo["width"], photo["height"]) == (900, 1300)  # turned upright by its EXIF
    assert photo["caption"] == "Lễ hội" and photo["uploaded_by"] == "test script"
    assert photo["original_name"] == "ảnh.jpg"  # as aiohttp sends it: percent-encoded
    assert photo["cover_url"].endswith(f"/anh/{photo['id']}/900.jpg")
    assert {(v["width"], v["format"]) for v in photo["variants"]} == {
        (w, f) for w in (320, 640, 900) for f in ("webp", "jpg")
    }
    for variant in photo["variants"]:
        response = await client.get(variant["url"])
        assert response.status == 200
        body = await response.read()
        assert len(body) == variant["bytes"]
        assert (
            response.headers["Content-Type"]
            == f"image/{'jpeg' if variant['format'] == 'jpg' else 'webp'}"
        )
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert Image.open(io.BytesIO(body)).size == (variant["width"], variant["height"])
        again = await client.get(
            variant["url"], headers={"If-None-Match": response.headers["ETag"]}
        )
        assert again.status == 304
    original = await client.get(f"{PHOTOS}/{photo['id']}/original", headers=AUTH)
    assert original.status == 200 and b"secret-marker" not in await original.read()
    assert "attachment" in original.headers["Content-Disposition"]


@pytest.mark.parametrize(
    "path",
    [
        "/anh/{id}/1024.jpg",  # a width the photo does not have (it is 700 wide)
        "/anh/{id}/640.png",  # a format it does not have
        "/anh/{id}/640.gif",
        "/anh/0123456789abcdef0123/640.jpg",  # no such photo
        "/anh/{id}",
        "/anh/",
        "/anh/{id}/640.jpg/x",
    ],
)
async def test_unknown_photos_sizes_and_formats_are_404_json(client: Client, path: str) -> None:
    photo = await upload(client, sample("JPEG", (700, 500)))
    response = await client.get(path.format(id=photo["id"]))
    assert response.status == 404
    assert (await error_of(response))["code"] == "not_found"


async def test_contributors_upload_and_describe_but_only_editors_delete(client: Client) -> None:
    assert (await client.get(PHOTOS)).status == 401
    assert (await client.post(PHOTOS, data=form(sample()))).status == 401
    photo = await upload(client, sample(), headers=CONTRIBUTOR)
    assert photo["uploaded_by"] == "test script"
    listed = await (await client.get(PHOTOS, headers=CONTRIBUTOR)).json()
    assert [p["id"] for p in listed["items"]] == [photo["id"]]
    one = f"{PHOTOS}/{photo['id']}"
    patched = await client.patch(one, json={"alt": "Cầu Rồng"}, headers=CONTRIBUTOR)
    assert patched.status == 200
    assert (await patched.json())["alt"] == "Cầu Rồng"
    refused = await client.delete(one, headers=CONTRIBUTOR)
    assert refused.status == 403
    assert (await client.get(one, headers=AUTH)).status == 200
    assert (await client.delete(one, headers=AUTH)).status == 204
    assert (await client.get(one, headers=AUTH)).status == 404


async def test_a_cookie_upload_needs_the_csrf_header_as_the_page_sends_it(
    client: Client, mongo: AsyncMongoClient[Document], db_name: str
) -> None:
    session = await first_admin(client.session, str(client.make_url("")).rstrip("/"), BOOTSTRAP)
    url = str(client.make_url(PHOTOS))
    async with session.http.post(url, data=form(sample())) as refused:
        assert refused.status == 403
    assert await stored(mongo, db_name) == 0
    async with session.http.post(url, data=form(sample()), headers=session.csrf) as accepted:
        assert accepted.status == 201, await accepted.text()


async def test_photos_in_covers_and_bodies_are_listed_and_guard_their_deletion(
    client: Client, mongo: AsyncMongoClient[Document], db_name: str
) -> None:
    photo = await upload(client, sample("JPEG", (1800, 1200)), caption="Ảnh & chú thích")
    cover = await publish(client, "Bài có ảnh bìa", cover_image_url=photo["cover_url"])
    body = await create(client, "Bài có ảnh trong thân", body=f"<p>Mở đầu</p>{photo['markup']}")
    # The body kept the markup whole through the sanitiser.
    assert photo["markup"] in body["body"]
    detail = await (await client.get(f"{PHOTOS}/{photo['id']}", headers=AUTH)).json()
    uses = {u["article_id"]: (u["as_cover"], u["in_body"]) for u in detail["used_in"]}
    assert uses == {cover["id"]: (True, False), body["id"]: (False, True)}

    page = await (await client.get(f"/articles/{cover['slug']}")).text()
    figure = re.search(r"<picture>.*?</picture>", page, re.S)
    assert figure is not None
    assert f"/anh/{photo['id']}/1600.webp 1600w" in figure.group(0)
    assert f"/anh/{photo['id']}/320.jpg 320w" in figure.group(0)
    home = await (await client.get("/")).text()
    assert f"/anh/{photo['id']}/640.webp 640w" in home  # the card

    one = f"{PHOTOS}/{photo['id']}"
    refused = await client.delete(one, headers=AUTH)
    assert refused.status == 409
    assert {d["article_id"] for d in (await error_of(refused))["details"]} == set(uses)
    assert (await client.delete(f"{one}?force=true", headers=AUTH)).status == 204
    assert await stored(mongo, db_name) == 0
    assert (await client.get(photo["variants"][0]["url"])).status == 404


async def test_bad_uploads_are_refused_with_the_right_status_and_nothing_stored(
    client: Client, mongo: AsyncMongoClient[Document], db_name: str
) -> None:
    cases: list[tuple[int, Any, dict[str, str]]] = [
        (400, b"not a form", {"Content-Type": "application/octet-stream"}),
        (400, b"--x\r\nbroken", {"Content-Type": "multipart/form-data; boundary=y"}),
        (
            400,
            b'--b\r\nContent-Disposition: form-data; name="\x0c"\r\n\r\nx\r\n--b--\r\n',
            {"Content-Type": "multipart/form-data; boundary=b"},
        ),  # a part's header is not one
        (422, form(NOT_PHOTOS["gif"], "a.jpg"), {}),  # a GIF named and declared as a JPEG
        (422, form(NOT_PHOTOS["html"], "a.jpg"), {}),
        (422, form(NOT_PHOTOS["svg"], "a.png"), {}),
        (422, form(NOT_PHOTOS["jpeg cut in half"]), {}),
        (422, form(sample(), caption="x" * 501), {}),
        (422, form(sample(), caption="dòng một\ndòng hai"), {}),
        (422, form(sample(), extra="x"), {}),
    ]
    no_file = aiohttp.FormData(default_to_multipart=True)
    no_file.add_field("caption", "chỉ có chú thích")
    cases.append((422, no_file, {}))
    for status, data, headers in cases:
        response = await client.post(PHOTOS, data=data, headers={**AUTH, **headers})
        assert response.status == status, (status, await response.text())
        assert "error" in await response.json()
    declared = {**AUTH, "Content-Type": "multipart/form-data; boundary=x"}
    # Refused by its Content-Length, before any of it is read.
    too_long = await client.post(
        PHOTOS, data=io.BytesIO(b"x" * (MAX_REQUEST + 1)), headers=declared
    )
    assert too_long.status == 413
    assert await stored(mongo, db_name) == 0


async def test_a_part_over_its_limit_is_refused_while_it_is_read(
    client: Client, mongo: AsyncMongoClient[Document], db_name: str
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n'
        for _ in range(21):
            yield b"\xff" * (1024 * 1024)
        yield b"\r\n--b--\r\n"

    headers = {**AUTH, "Content-Type": "multipart/form-data; boundary=b"}
    response = await client.post(PHOTOS, data=chunks(), headers=headers)  # no Content-Length
    assert response.status == 413
    assert await stored(mongo, db_name) == 0


async def test_the_library_page_loads_only_its_own_scripts_and_styles(client: Client) -> None:
    response = await client.get("/bien-tap/anh")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    page = await response.text()
    assert re.search(r"<script(?![^>]*\bsrc=)", page) is None  # no inline script
    assert " style=" not in page and "<style" not in page
    for asset in ("photos.js", "photos.css"):
        found = re.search(rf'"(/static/[0-9a-f]+/{asset})"', page)
        assert found is not None
        assert (await client.get(found.group(1))).status == 200


async def test_the_api_document_describes_the_upload_as_multipart(client: Client) -> None:
    document = await (await client.get("/openapi.json")).json()
    upload_op = document["paths"][PHOTOS]["post"]
    assert "multipart/form-data" in upload_op["requestBody"]["content"]
    assert {"get", "patch", "delete"} <= set(document["paths"][f"{PHOTOS}/{{photo_id}}"])
