"""Decoding and encoding uploads with the real Pillow: what is accepted, what is refused,
what is stripped, what each variant is. The sample builders are shared with the
integration tests."""

import io
import struct
import zlib

import pytest
from PIL import ExifTags, Image, ImageCms

from services.content.photos.images import process
from services.content.photos.model import MAX_BYTES, widths_for
from shared.contracts.errors import Invalid, TooLarge

SECRET = b"secret-marker"


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def photo_like(width: int, height: int) -> Image.Image:
    """Smooth gradients with fine texture: compresses like a photograph, made fast."""
    red = Image.linear_gradient("L").resize((width, height))
    green = Image.radial_gradient("L").resize((width, height))
    blue = Image.effect_mandelbrot((width, height), (-2.0, -1.2, 0.8, 1.2), 64)
    noise = Image.effect_noise((width, height), 24).convert("RGB")
    return Image.blend(Image.merge("RGB", (red, green, blue)), noise, 0.12)


def sample(fmt: str = "JPEG", size: tuple[int, int] = (64, 48)) -> bytes:
    return encode(photo_like(*size), fmt)


def with_metadata(fmt: str, size: tuple[int, int] = (120, 80)) -> bytes:
    """A picture carrying every kind of metadata the format holds, with SECRET in each."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = SECRET.decode()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N"}
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">' + SECRET + b"</x:xmpmeta>"
    image = photo_like(*size)
    if fmt == "JPEG":
        return encode(image, fmt, exif=exif, icc_profile=icc, xmp=xmp, comment=SECRET)
    if fmt == "PNG":
        from PIL.PngImagePlugin import PngInfo

        text = PngInfo()
        text.add_text("Comment", SECRET.decode())
        text.add_itxt("XML:com.adobe.xmp", xmp.decode())
        return encode(image, fmt, exif=exif, icc_profile=icc, pnginfo=text)
    return encode(image, fmt, exif=exif, icc_profile=icc, xmp=xmp)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header(width: int, height: int, pixels: bytes = b"\0" * 16) -> bytes:
    """A PNG that claims `width`×`height` and carries almost nothing: a bomb's shape."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(pixels))
    return b"\x89PNG\r\n\x1a\n" + body + _chunk(b"IEND", b"")


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ \0\0\0\0" + _s15(x) + _s15(y) + _s15(z)


def swapped_profile() -> bytes:
    """An ICC RGB profile whose red and green primaries are sRGB's green and red: a pixel
    (255, 0, 0) in it is green. A stripped-but-not-converted photo would show it red."""
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, 0x0233) + b"\0\0"
    name = b"swapped\0"
    desc = b"desc\0\0\0\0" + struct.pack(">I", len(name)) + name + b"\0" * 78
    tags = [
        (b"desc", desc),
        (b"wtpt", _xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", _xyz(0.3851, 0.7169, 0.0971)),
        (b"gXYZ", _xyz(0.4361, 0.2225, 0.0139)),
        (b"bXYZ", _xyz(0.1431, 0.0606, 0.7141)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
    ]
    start = 128 + 4 + 12 * len(tags)
    table = body = b""
    for signature, data in tags:
        data += b"\0" * (-len(data) % 4)
        table += signature + struct.pack(">II", start + len(body), len(data))
        body += data
    header = (
        struct.pack(">I", start + len(body))
        + b"\0" * 4
        + struct.pack(">I", 0x02100000)
        + b"mntrRGB XYZ "
        + b"\0" * 12
        + b"acsp"
        + b"\0" * 28
        + _s15(0.9642)
        + _s15(1.0)
        + _s15(0.8249)
        + b"\0" * 48
    )
    return header + struct.pack(">I", len(tags)) + table + body


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_each_format_gives_webp_and_a_fallback_at_every_width_up_to_its_own(fmt: str) -> None:
    made = process(sample(fmt, (700, 500)))
    assert (made.width, made.height) == (700, 500)
    assert made.source_format == fmt.lower()
    assert made.fallback == ("png" if fmt == "PNG" else "jpg")
    expected = {(w, f) for w in (320, 640, 700) for f in ("webp", made.fallback)}
    assert {(v.width, v.format) for v in made.variants} == expected
    pillow_name = {"webp": "WEBP", "jpg": "JPEG", "png": "PNG"}
    for variant in made.variants:
        image = opened(variant.data)
        assert image.format == pillow_name[variant.format]
        assert image.size == (variant.width, variant.height)
        assert variant.height == round(500 * variant.width / 700)
    assert opened(made.original.data).size == (700, 500)


def test_a_big_photo_stops_at_the_largest_width_and_a_small_one_is_never_enlarged() -> None:
    assert widths_for(4000) == (320, 640, 1024, 1600)
    assert widths_for(1600) == (320, 640, 1024, 1600)
    assert widths_for(900) == (320, 640, 900)
    assert widths_for(120) == (120,)
    tiny = process(sample("PNG", (120, 90)))
    assert {v.width for v in tiny.variants} == {120}


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_no_metadata_survives_in_any_stored_file(fmt: str) -> None:
    data = with_metadata(fmt)
    assert SECRET in data and opened(data).getexif()  # the sample does carry it all
    made = process(data)
    for stored in (made.original, *made.variants):
        image = opened(stored.data)
        assert SECRET not in stored.data
        assert b"Exif" not in stored.data
        assert not image.getexif()
        for key in ("exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment", "Comment"):
            assert key not in image.info, (stored.format, key)


def test_the_exif_orientation_is_applied_before_it_is_dropped() -> None:
    image = Image.new("RGB", (300, 200), (220, 20, 20))
    image.paste((20, 20, 220), (150, 0, 300, 200))  # left red, right blue
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # shown turned 90° clockwise: left becomes top
    made = process(encode(image, "JPEG", exif=exif))
    assert (made.width, made.height) == (200, 300)
    upright = opened(made.original.data).convert("RGB")
    top, bottom = upright.getpixel((100, 40)), upright.getpixel((100, 260))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] > 150 > top[2] and bottom[2] > 150 > bottom[0]


def test_colours_are_converted_to_srgb_not_just_relabelled() -> None:
    red_in_swapped = encode(
        Image.new("RGB", (40, 30), (255, 0, 0)), "PNG", icc_profile=swapped_profile()
    )
    made = process(red_in_swapped)
    pixel = opened(made.original.data).convert("RGB").getpixel((5, 5))
    assert isinstance(pixel, tuple)
    assert pixel[1] > 200 and pixel[0] < 60, pixel


def test_a_broken_colour_profile_is_ignored_not_refused() -> None:
    data = encode(Image.new("RGB", (40, 30), (10, 200, 10)), "PNG", icc_profile=b"not a profile")
    pixel = opened(process(data).original.data).convert("RGB").getpixel((1, 1))
    assert pixel == (10, 200, 10)


def test_transparency_keeps_png_and_an_unused_alpha_channel_does_not() -> None:
    see_through = Image.new("RGBA", (200, 100), (0, 0, 255, 90))
    made = process(encode(see_through, "WEBP", lossless=True))
    assert made.fallback == "png"
    assert all(opened(v.data).mode == "RGBA" for v in made.variants)
    opaque = Image.new("RGBA", (200, 100), (0, 0, 255, 255))
    plain = process(encode(opaque, "WEBP"))
    assert plain.fallback == "jpg"
    assert all(opened(v.data).mode == "RGB" for v in plain.variants)


@pytest.mark.parametrize(
    ("mode", "colour", "shade"),
    [("I;16", 30000, 117), ("L", 117, 117), ("CMYK", (0, 0, 0, 138), 117), ("P", 0, 0)],
)
def test_other_colour_modes_become_plain_rgb(mode: str, colour: object, shade: int) -> None:
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    made = process(encode(Image.new(mode, (30, 20), colour), fmt))  # type: ignore[arg-type]
    pixel = opened(made.original.data).getpixel((3, 3))
    assert isinstance(pixel, tuple) and len(pixel) == 3
    assert all(abs(channel - shade) <= 6 for channel in pixel), pixel


def test_a_camera_mpo_is_its_first_frame() -> None:
    first, second = Image.new("RGB", (60, 40), "red"), Image.new("RGB", (60, 40), "blue")
    made = process(encode(first, "MPO", save_all=True, append_images=[second]))
    assert made.source_format == "jpeg"
    pixel = opened(made.original.data).getpixel((5, 5))
    assert isinstance(pixel, tuple) and pixel[0] > 200 > pixel[2]


def _animated(fmt: str) -> bytes:
    frames = [Image.new("RGB", (30, 20), "red"), Image.new("RGB", (30, 20), "blue")]
    return encode(frames[0], fmt, save_all=True, append_images=frames[1:])


NOT_PHOTOS = {
    "empty": b"",
    "text": "Ảnh đại diện".encode(),
    "html": b"<!doctype html><script>alert(1)</script>",
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj",
    "gif": encode(Image.new("RGB", (30, 20), "red"), "GIF"),
    "tiff": encode(Image.new("RGB", (30, 20), "red"), "TIFF"),
    "bmp": encode(Image.new("RGB", (30, 20), "red"), "BMP"),
    "ico": encode(Image.new("RGB", (32, 32), "red"), "ICO"),
    "animated png": _animated("PNG"),
    "animated webp": _animated("WEBP"),
    "jpeg cut in half": sample("JPEG")[: len(sample("JPEG")) // 2],
    "png cut in half": sample("PNG")[: len(sample("PNG")) // 2],
    "jpeg header only": sample("JPEG")[:200],
    "png with a broken pixel stream": png_header(40, 30, pixels=b"")[:-20] + b"\0" * 20,
}


@pytest.mark.parametrize("name", NOT_PHOTOS)
def test_what_is_not_a_readable_still_photo_is_refused_as_invalid(name: str) -> None:
    with pytest.raises(Invalid):
        process(NOT_PHOTOS[name])


TOO_BIG = {
    "more than 40 megapixels (Pillow warns)": png_header(7000, 7000),
    "far more than 40 megapixels (Pillow refuses)": png_header(100_000, 100_000),
    "a side over 16,383 px": png_header(20_000, 100),
    "a tall side over 16,383 px": png_header(100, 20_000),
}


@pytest.mark.parametrize("name", TOO_BIG)
def test_a_bomb_is_refused_by_its_header_before_any_pixel_is_decoded(name: str) -> None:
    with pytest.raises(TooLarge):
        process(TOO_BIG[name])


def test_more_bytes_than_the_limit_are_refused_unread() -> None:
    with pytest.raises(TooLarge):
        process(sample("JPEG") + b"\0" * MAX_BYTES)
