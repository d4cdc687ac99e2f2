"""The photo API's request and response bodies (and so its OpenAPI schemas)."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.content.photos.markup import figure_html
from services.content.photos.model import Photo, PhotoUse, variant_path
from shared.contracts.text import ONE_LINE

MAX_CAPTION, MAX_ALT = 500, 300
Caption = Field(default="", max_length=MAX_CAPTION, pattern=ONE_LINE)
Alt = Field(default="", max_length=MAX_ALT, pattern=ONE_LINE)


class PhotoTextIn(BaseModel):
    """The caption and alt text parts of an upload."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    caption: str = Caption
    alt: str = Alt


class PhotoUpload(PhotoTextIn):
    """multipart/form-data: one `file` part (JPEG, PNG or WebP, at most 20 MB and 40
    megapixels) and optional `caption` and `alt` parts."""

    file: bytes


class PhotoPatch(BaseModel):
    """Change the caption and/or the alt text; a missing field stays as it is."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    caption: str | None = Field(default=None, max_length=MAX_CAPTION, pattern=ONE_LINE)
    alt: str | None = Field(default=None, max_length=MAX_ALT, pattern=ONE_LINE)


class PhotoListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=30, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=40, description="next_cursor of a page")


class DeleteQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    force: bool = Field(default=False, description="delete even while articles use it")


class VariantOut(BaseModel):
    width: int
    height: int
    format: str
    bytes: int
    url: str


class PhotoUseOut(BaseModel):
    article_id: str
    title: str
    status: str
    as_cover: bool
    in_body: bool


class PhotoOut(BaseModel):
    """A photo in the library."""

    id: str
    original_name: str
    width: int
    height: int
    source_format: str
    caption: str
    alt: str
    uploaded_by: str
    uploaded_at: datetime
    variants: list[VariantOut]
    original_bytes: int
    cover_url: str = Field(description="the largest JPEG (PNG) variant, for an article's cover")
    markup: str = Field(description="a <figure> with srcset and caption for an article's body")


class PhotoDetail(PhotoOut):
    """A photo and the articles that use it."""

    used_in: list[PhotoUseOut]


class PhotoList(BaseModel):
    """Photos, newest first, a page at a time."""

    items: list[PhotoOut]
    next_cursor: str | None


def photo_out(photo: Photo, public_base: str) -> PhotoOut:
    return PhotoOut(
        id=photo.id,
        original_name=photo.original_name,
        width=photo.width,
        height=photo.height,
        source_format=photo.source_format,
        caption=photo.caption,
        alt=photo.alt,
        uploaded_by=photo.uploaded_by,
        uploaded_at=photo.uploaded_at,
        variants=[
            VariantOut(
                width=v.width,
                height=v.height,
                format=v.format,
                bytes=v.size,
                url=variant_path(photo.id, v.width, v.format),
            )
            for v in photo.variants
        ],
        original_bytes=photo.original.size,
        cover_url=public_base + photo.cover_path,
        markup=figure_html(photo),
    )


def photo_detail(photo: Photo, uses: list[PhotoUse], public_base: str) -> PhotoDetail:
    used = [
        PhotoUseOut(
            article_id=u.article_id,
            title=u.title,
            status=u.status,
            as_cover=u.as_cover,
            in_body=u.in_body,
        )
        for u in uses
    ]
    return PhotoDetail(**photo_out(photo, public_base).model_dump(), used_in=used)
