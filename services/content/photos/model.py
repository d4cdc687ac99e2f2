"""A stored photo, its variants and the names and addresses they go by (pure types)."""

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

# The widths a layout asks for: a phone's column (320, 640 at 2x), a tablet or a desktop
# column (1024) and a wide desktop or 2x column (1600). Never more than the photo has.
WIDTHS = (320, 640, 1024, 1600)
# An upload's limits (the edge checks the bytes; images.py the pixels, once decoding).
MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000
ID_LENGTH = 20  # hex digits: 80 random bits, made by the server
ID_PATTERN = rf"[0-9a-f]{{{ID_LENGTH}}}"

Format = Literal["webp", "jpg", "png"]
FORMATS: tuple[Format, ...] = ("webp", "jpg", "png")
CONTENT_TYPES: dict[str, str] = {"webp": "image/webp", "jpg": "image/jpeg", "png": "image/png"}
ORIGINAL = "goc"  # the file name of the full-size master ("gốc": the original)
MAX_NAME = 120

_PATH = re.compile(rf"^/anh/({ID_PATTERN})/([1-9][0-9]{{0,4}})\.(webp|jpg|png)$")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")


def widths_for(width: int) -> tuple[int, ...]:
    """The variant widths of a photo `width` pixels wide: the standard ones below it, and
    its own width capped at the largest, so nothing is ever enlarged."""
    largest = min(width, WIDTHS[-1])
    return tuple(sorted({w for w in WIDTHS if w < largest} | {largest}))


def variant_path(photo_id: str, width: int, fmt: str) -> str:
    return f"/anh/{photo_id}/{width}.{fmt}"


@dataclass(frozen=True)
class VariantRef:
    """What a variant's address says: the photo, a width and a format."""

    photo_id: str
    width: int
    format: Format


def parse_variant_path(path: str) -> VariantRef | None:
    found = _PATH.match(path)
    if found is None:
        return None
    fmt: Format = "webp" if found[3] == "webp" else "jpg" if found[3] == "jpg" else "png"
    return VariantRef(found[1], int(found[2]), fmt)


def clean_name(name: str | None) -> str:
    """The uploaded file's name as shown to editors: its last path segment, NFC, without
    control or invisible characters, at most MAX_NAME characters. Never used as a key."""
    base = re.split(r"[/\\]", name or "")[-1]
    text = _UNPRINTABLE.sub("", unicodedata.normalize("NFC", base))
    return " ".join(text.split())[:MAX_NAME] or "anh"


@dataclass(frozen=True)
class StoredFile:
    """One stored encoding of the photo (a variant or the original)."""

    width: int
    height: int
    format: Format
    size: int  # bytes
    etag: str  # of the bytes, so a revalidation is answered without reading them

    def name(self, photo_id: str, original: bool = False) -> str:
        return f"{photo_id}/{ORIGINAL if original else self.width}.{self.format}"


@dataclass(frozen=True)
class Photo:
    id: str
    original_name: str
    width: int
    height: int
    source_format: str  # what the upload decoded as: "jpeg", "png" or "webp"
    # Every width has a WebP and one fallback for browsers and mail readers without WebP:
    # JPEG for photographs, PNG for pictures with transparency or from a PNG (charts, logos).
    fallback: Format
    variants: tuple[StoredFile, ...]
    original: StoredFile
    caption: str
    alt: str
    uploaded_by: str
    uploaded_at: datetime

    @property
    def widths(self) -> tuple[int, ...]:
        return tuple(sorted({v.width for v in self.variants}))

    def variant(self, width: int, fmt: str) -> StoredFile | None:
        return next((v for v in self.variants if v.width == width and v.format == fmt), None)

    def files(self) -> list[str]:
        """The names of every file stored for the photo."""
        return [v.name(self.id) for v in self.variants] + [self.original.name(self.id, True)]

    @property
    def cover_path(self) -> str:
        """The largest fallback variant: the address an article's cover takes."""
        return variant_path(self.id, self.widths[-1], self.fallback)


@dataclass(frozen=True)
class PhotoUse:
    """An article that shows the photo, as its cover, in its body, or both."""

    article_id: str
    title: str
    status: str
    as_cover: bool
    in_body: bool


@dataclass(frozen=True)
class PhotoPage:
    items: tuple[Photo, ...]
    next_cursor: str | None
