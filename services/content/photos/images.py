"""An upload turned into what is stored: decoded by Pillow (never judged by its name or
declared type), turned upright, in sRGB, stripped of metadata, resized and encoded.

Everything here is CPU-bound and synchronous; the library runs it in a worker thread
(Pillow releases the GIL while it decodes, resizes and encodes).
"""

import hashlib
import io
import struct
import zlib
from dataclasses import dataclass
from functools import cache

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from services.content.photos.model import MAX_BYTES, MAX_PIXELS, Format, widths_for
from shared.contracts.errors import Invalid, TooLarge

MAX_SIDE = 16_383  # WebP's limit: every variant of a photo within it can be encoded
# What Pillow is allowed to identify a file as; GIF, TIFF, BMP, SVG (not an image format
# to Pillow anyway) and the rest are refused however they are named or declared.
DECODERS = ("JPEG", "PNG", "WEBP")
# What a damaged or hostile file makes a decoder raise: refused as such, never a 500.
DECODER_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    TypeError,
    KeyError,
    struct.error,
    zlib.error,
)
BOMBS = (Image.DecompressionBombError, Image.DecompressionBombWarning)
WIDE_GREYS = ("I", "I;16", "I;16B", "I;16L")
JPEG_QUALITY, WEBP_QUALITY, MASTER_QUALITY = 82, 80, 92
# Fewer resampling passes over a big photo: within a factor of 3 it is as good as full
# Lanczos to the eye, and several times faster on a 12-megapixel photo.
REDUCING_GAP = 3.0


@dataclass(frozen=True)
class Encoded:
    width: int
    height: int
    format: Format
    data: bytes

    @property
    def etag(self) -> str:
        return hashlib.sha256(self.data).hexdigest()[:32]


@dataclass(frozen=True)
class Processed:
    """A decoded upload: its size and kind, the stripped original and every variant."""

    width: int
    height: int
    source_format: str
    fallback: Format
    original: Encoded
    variants: tuple[Encoded, ...]


def guard_decoder() -> None:
    """Make Pillow's own bomb check agree with our limit (it reads a global): beyond
    MAX_PIXELS it warns, beyond twice that it refuses before reading any pixel data."""
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS


def process(data: bytes) -> Processed:
    """The stored files of an upload, or Invalid / TooLarge; nothing half-made is returned."""
    image, source_format = decode(data)
    with image:
        alpha = image.mode == "RGBA"
        fallback: Format = "png" if alpha or source_format == "png" else "jpg"
        original = _encode(image, _master_format(source_format, alpha), master=True)
        variants = _variants(image, fallback)
        return Processed(image.width, image.height, source_format, fallback, original, variants)


def decode(data: bytes) -> tuple[Image.Image, str]:
    """The upload as an upright sRGB image (RGB, or RGBA if it uses transparency) with no
    metadata left, and its format ("jpeg", "png" or "webp")."""
    if len(data) > MAX_BYTES:
        raise TooLarge(f"a photo may have at most {MAX_BYTES // (1024 * 1024)} MB")
    try:
        opened = Image.open(io.BytesIO(data), formats=DECODERS)
    except BOMBS:
        raise _too_many_pixels() from None
    except UnidentifiedImageError:
        raise Invalid("the file is not a JPEG, PNG or WebP image") from None
    except DECODER_ERRORS:
        raise Invalid("the file is not a readable JPEG, PNG or WebP image") from None
    with opened:
        source_format = "jpeg" if opened.format in ("JPEG", "MPO") else str(opened.format).lower()
        _check_size(opened)
        # A camera's MPO (a JPEG with a depth map or preview) is its first frame; an
        # animation is not a photo.
        if opened.format != "MPO" and getattr(opened, "is_animated", False):
            raise Invalid("animated images are not accepted; upload a still photo")
        try:
            opened.load()
            return _normalised(opened), source_format
        except BOMBS:
            raise _too_many_pixels() from None
        except DECODER_ERRORS:
            raise Invalid("the image is damaged or cut short") from None


def _too_many_pixels() -> TooLarge:
    return TooLarge(f"a photo may have at most {MAX_PIXELS // 1_000_000} megapixels")


def _check_size(image: Image.Image) -> None:
    """Refuse by the header's size, before a single pixel is decoded."""
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise _too_many_pixels()
    if width > MAX_SIDE or height > MAX_SIDE:
        raise TooLarge(f"a photo may be at most {MAX_SIDE} pixels wide or high")
    if width < 1 or height < 1:
        raise Invalid("the image has no pixels")


def _normalised(image: Image.Image) -> Image.Image:
    icc = image.info.get("icc_profile")
    upright = ImageOps.exif_transpose(image)
    colour = _srgb(upright, icc if isinstance(icc, bytes) else None)
    if colour.mode == "RGBA" and colour.getchannel("A").getextrema()[0] == 255:
        colour = colour.convert("RGB")  # an alpha channel nothing uses: a plain photo
    # Whatever a conversion carried over (EXIF with GPS, XMP, ICC, comments, DPI) goes:
    # encoders write what the image's info holds.
    colour.info.clear()
    colour.getexif().clear()
    return colour


def _srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """The image in sRGB: a photo from a phone in Display P3 or a print file in CMYK would
    look wrong once its profile is stripped, so the colours are converted, not relabelled."""
    if image.mode in WIDE_GREYS:
        # 16-bit grey: scaled to 8 bits (a plain conversion clips everything above 255).
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    target = "RGBA" if image.has_transparency_data else "RGB"
    if icc and image.mode in ("RGB", "RGBA", "CMYK", "L"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(image, source, _srgb_profile(), outputMode=target)
        except (ImageCms.PyCMSError, *DECODER_ERRORS):
            converted = None  # a broken or mismatched profile: read the pixels as sRGB
        if converted is not None:
            return converted
    return image.convert(target)


@cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _master_format(source_format: str, alpha: bool) -> Format:
    if source_format == "webp":
        return "webp"
    return "png" if alpha or source_format == "png" else "jpg"


def _variants(image: Image.Image, fallback: Format) -> tuple[Encoded, ...]:
    """Each width in WebP and the fallback; the smaller ones are made from the largest."""
    widths = sorted(widths_for(image.width), reverse=True)
    largest = _resized(image, widths[0])
    made: list[Encoded] = []
    for width in widths:
        resized = largest if width == widths[0] else _resized(largest, width)
        made += [_encode(resized, "webp"), _encode(resized, fallback)]
    return tuple(sorted(made, key=lambda e: (e.width, e.format)))


def _resized(image: Image.Image, width: int) -> Image.Image:
    if width >= image.width:
        return image
    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=REDUCING_GAP)


def _encode(image: Image.Image, fmt: Format, master: bool = False) -> Encoded:
    out = io.BytesIO()
    if fmt == "jpg" and master:
        # Baseline: Pillow's JPEG encoder holds the GIL while it optimises or makes a
        # progressive file, which stalled the event loop 160 ms on a 12-megapixel master.
        image.save(out, "JPEG", quality=MASTER_QUALITY)
    elif fmt == "jpg":
        # Progressive and optimised: 7% smaller, and a reader on a slow line sees the
        # whole picture early; at 1600 px the GIL is held ~20 ms, an acceptable stall.
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    elif fmt == "webp":
        image.save(out, "WEBP", quality=MASTER_QUALITY if master else WEBP_QUALITY, method=4)
    else:
        image.save(out, "PNG", compress_level=6)
    return Encoded(image.width, image.height, fmt, out.getvalue())
