"""The photo routes, described in the content API's OpenAPI document as they are added,
and the template function that shows a cover as a responsive picture."""

from functools import partial

import aiohttp_jinja2
from aiohttp import web
from markupsafe import Markup

from services.content.entrypoints.keys import SETTINGS
from services.content.photos import views
from services.content.photos.markup import ARTICLE_SIZES, CARD_SIZES, cover_html
from services.content.photos.schemas import (
    DeleteQuery,
    PhotoDetail,
    PhotoList,
    PhotoListQuery,
    PhotoOut,
    PhotoPatch,
    PhotoUpload,
)
from shared.platform.openapi import ApiSpec

TAG = "photos"
ONE = "/api/editor/photos/{photo_id}"
LIBRARY_PAGE = "/bien-tap/anh"


def add_photo_routes(app: web.Application, spec: ApiSpec) -> None:
    """The editors' photo API (documented), the library page, the public variants, and
    `photo_cover(url, alt, card=False, lazy=True)` for the page templates."""
    route = partial(spec.route, app, tag=TAG, auth=True)
    route(
        "POST",
        "/api/editor/photos",
        views.upload_photo,
        "Upload a photo: decoded, stripped of metadata, resized to WebP and JPEG/PNG",
        body=PhotoUpload,
        body_media_type="multipart/form-data",
        responses={201: PhotoOut, 413: "Over 20 MB or 40 megapixels", 422: "Not a photo"},
    )
    route(
        "GET",
        "/api/editor/photos",
        views.list_photos,
        "The photo library, newest first, a page at a time",
        query=PhotoListQuery,
        responses={200: PhotoList},
    )
    route(
        "GET",
        ONE,
        views.get_photo,
        "One photo and the articles that use it",
        responses={200: PhotoDetail},
    )
    route(
        "PATCH",
        ONE,
        views.describe_photo,
        "Change the caption or alt text",
        body=PhotoPatch,
        responses={200: PhotoDetail},
    )
    route(
        "DELETE",
        ONE,
        views.delete_photo,
        "Delete a photo and its files (editors); 409 while articles use it, unless forced",
        query=DeleteQuery,
        responses={204: "Deleted", 409: "Used by the articles in details"},
    )
    route(
        "GET",
        f"{ONE}/original",
        views.photo_original,
        "The full-size photo (metadata stripped), as a download",
        responses={200: "The image"},
    )
    app.router.add_get("/anh/{path:.*}", views.variant)
    app.router.add_get(LIBRARY_PAGE, views.library_page)
    _add_template_function(app)


def _add_template_function(app: web.Application) -> None:
    public_base = app[SETTINGS].public_base

    def photo_cover(
        url: str | None, alt: str, card: bool = False, lazy: bool = True
    ) -> Markup | None:
        sizes = CARD_SIZES if card else ARTICLE_SIZES
        html = cover_html(url, alt, public_base, sizes, lazy)
        # Markup: every value in it was escaped when it was built (markup.py).
        return None if html is None else Markup(html)  # noqa: S704

    aiohttp_jinja2.get_env(app).globals["photo_cover"] = photo_cover
