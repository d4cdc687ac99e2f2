"""The photo handlers: the editors' API, the library page and the public variants."""

from typing import Any
from urllib.parse import quote

from aiohttp import web

from services.content.domain.editors import Role
from services.content.entrypoints.auth import require_staff
from services.content.entrypoints.keys import SETTINGS
from services.content.entrypoints.pages import page
from services.content.photos.form import read_upload
from services.content.photos.keys import PHOTOS
from services.content.photos.model import (
    CONTENT_TYPES,
    MAX_BYTES,
    MAX_PIXELS,
    WIDTHS,
    parse_variant_path,
)
from services.content.photos.schemas import (
    DeleteQuery,
    PhotoList,
    PhotoListQuery,
    PhotoPatch,
    photo_detail,
    photo_out,
)
from shared.contracts.errors import NotFound
from shared.platform.http import json_response, read_model, read_query

# Contributors upload, list and describe photos; deleting one is an editor's decision.
UPLOADER: Role = "contributor"
REMOVER: Role = "editor"
FOREVER = "public, max-age=31536000, immutable"


def _photo_id(request: web.Request) -> str:
    return request.match_info["photo_id"]


def _base(request: web.Request) -> str:
    return request.app[SETTINGS].public_base


async def upload_photo(request: web.Request) -> web.Response:
    editor = await require_staff(request, UPLOADER)
    upload = await read_upload(request)
    photo = await request.app[PHOTOS].upload(upload.data, upload.filename, upload.text, editor.name)
    return json_response(photo_out(photo, _base(request)), status=201)


async def list_photos(request: web.Request) -> web.Response:
    await require_staff(request, UPLOADER)
    query = await read_query(request, PhotoListQuery)
    found = await request.app[PHOTOS].page(query.limit, query.cursor)
    items = [photo_out(photo, _base(request)) for photo in found.items]
    return json_response(PhotoList(items=items, next_cursor=found.next_cursor))


async def get_photo(request: web.Request) -> web.Response:
    await require_staff(request, UPLOADER)
    library = request.app[PHOTOS]
    photo = await library.get(_photo_id(request))
    uses = await library.uses(photo.id)
    return json_response(photo_detail(photo, uses, _base(request)))


async def describe_photo(request: web.Request) -> web.Response:
    await require_staff(request, UPLOADER)
    patch = await read_model(request, PhotoPatch)
    library = request.app[PHOTOS]
    photo = await library.describe(_photo_id(request), patch.caption, patch.alt)
    return json_response(photo_detail(photo, await library.uses(photo.id), _base(request)))


async def delete_photo(request: web.Request) -> web.Response:
    await require_staff(request, REMOVER)
    query = await read_query(request, DeleteQuery)
    await request.app[PHOTOS].delete(_photo_id(request), query.force)
    return web.Response(status=204)


async def photo_original(request: web.Request) -> web.Response:
    """The full-size master (stripped like the rest), as a download for editors."""
    await require_staff(request, UPLOADER)
    library = request.app[PHOTOS]
    photo = await library.get(_photo_id(request))
    data = await library.read(photo, photo.original, original=True)
    name = photo.original_name.rsplit(".", 1)[0] + "." + photo.original.format
    headers = {
        "Cache-Control": "private, no-cache",
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
    }
    return web.Response(
        body=data, content_type=CONTENT_TYPES[photo.original.format], headers=headers
    )


async def variant(request: web.Request) -> web.Response:
    """A variant at its stable address, cached anywhere for a year: it never changes."""
    ref = parse_variant_path(request.path)
    if ref is None:
        raise NotFound("no such photo or size")
    library = request.app[PHOTOS]
    photo, file = await library.variant(ref)
    # nosniff, as on every answer, comes from shared/platform/http.py's SECURITY_HEADERS.
    headers = {"Cache-Control": FOREVER, "ETag": f'"{file.etag}"'}
    if f'"{file.etag}"' in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    data = await library.read(photo, file)
    return web.Response(body=data, content_type=CONTENT_TYPES[file.format], headers=headers)


@page("photos.html")
async def library_page(request: web.Request) -> dict[str, Any]:
    return {
        "robots": "noindex",
        "max_mb": MAX_BYTES // (1024 * 1024),
        "max_megapixels": MAX_PIXELS // 1_000_000,
        "widths": WIDTHS,
    }
