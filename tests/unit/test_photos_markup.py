"""The `<picture>` markup for bodies and covers, and what the body sanitiser keeps of it."""

import re
from datetime import UTC, datetime

import pytest

from services.content.domain.sanitize import clean_body, clean_srcset
from services.content.photos.markup import (
    ARTICLE_SIZES,
    Picture,
    cover_html,
    figure_html,
    picture_of_url,
)
from services.content.photos.model import (
    Format,
    Photo,
    StoredFile,
    clean_name,
    parse_variant_path,
    widths_for,
)

BASE = "https://so-vhttdl.example.vn"
PHOTO_ID = "0123456789abcdef0123"


def photo(
    width: int = 4000,
    height: int = 3000,
    fallback: Format = "jpg",
    caption: str = "",
    alt: str = "",
) -> Photo:
    formats: tuple[Format, ...] = ("webp", fallback)
    variants = tuple(
        StoredFile(w, round(height * w / width), fmt, 1000, f"etag{w}{fmt}")
        for w in widths_for(width)
        for fmt in formats
    )
    return Photo(
        id=PHOTO_ID,
        original_name="ảnh.jpg",
        width=width,
        height=height,
        source_format="jpeg",
        fallback=fallback,
        variants=variants,
        original=StoredFile(width, height, "jpg", 5000, "etag"),
        caption=caption,
        alt=alt,
        uploaded_by="Biên tập viên",
        uploaded_at=datetime(2026, 12, 1, tzinfo=UTC),
    )


def test_a_body_figure_offers_every_width_in_webp_and_the_fallback() -> None:
    html = figure_html(photo(caption="Lễ khai mạc", alt="Sân khấu"))
    webp = ", ".join(f"/anh/{PHOTO_ID}/{w}.webp {w}w" for w in (320, 640, 1024, 1600))
    jpeg = ", ".join(f"/anh/{PHOTO_ID}/{w}.jpg {w}w" for w in (320, 640, 1024, 1600))
    assert f'<source type="image/webp" srcset="{webp}"' in html
    assert f'srcset="{jpeg}"' in html
    assert f'src="/anh/{PHOTO_ID}/1024.jpg"' in html
    assert 'width="1024" height="768"' in html  # the src's size: no jump while it loads
    assert 'alt="Sân khấu"' in html and "<figcaption>Lễ khai mạc</figcaption>" in html
    assert html.count(f'sizes="{ARTICLE_SIZES}"') == 2


def test_a_small_photo_lists_only_the_widths_it_has() -> None:
    html = figure_html(photo(900, 600, fallback="png"))
    assert re.findall(r"/(\d+)\.png", html) == ["900", "320", "640", "900"]
    assert "1024" not in html and "1600" not in html
    assert "<figcaption>" not in html  # no caption, no empty figcaption


def test_captions_and_alt_text_are_escaped() -> None:
    html = figure_html(photo(caption='<b>"Tết" & xuân</b>', alt='a" onerror="x'))
    assert '<figcaption>&lt;b&gt;"Tết" &amp; xuân&lt;/b&gt;</figcaption>' in html
    assert 'alt="a&quot; onerror=&quot;x"' in html
    assert "<b>" not in html


@pytest.mark.parametrize(
    "text",
    [
        {"caption": "Ảnh: Nguyễn Văn A", "alt": "Người dân xếp hàng"},
        {"caption": '<script>alert(1)</script> "quoted" & \u00a0spaced', "alt": "'single'"},
        {"caption": "", "alt": ""},
    ],
)
def test_the_sanitiser_keeps_our_markup_exactly(text: dict[str, str]) -> None:
    html = figure_html(photo(caption=text["caption"], alt=text["alt"]))
    assert clean_body(html) == html


def test_our_cover_addresses_become_pictures_and_others_stay_as_they_are() -> None:
    picture = picture_of_url(f"{BASE}/anh/{PHOTO_ID}/1600.jpg", BASE)
    assert picture == Picture(PHOTO_ID, (320, 640, 1024, 1600), "jpg")
    assert picture_of_url(f"/anh/{PHOTO_ID}/900.png", BASE) == Picture(
        PHOTO_ID, (320, 640, 900), "png"
    )
    for foreign in (
        f"https://other.example/anh/{PHOTO_ID}/1600.jpg",  # the same path on another site
        f"http://so-vhttdl.example.vn/anh/{PHOTO_ID}/1600.jpg",  # another scheme
        f"{BASE}/anh/{PHOTO_ID}/1600.webp",  # a cover is the fallback, never the WebP
        f"{BASE}/anh/{PHOTO_ID}/1600.jpg?x=1",
        f"{BASE}/anh/not-an-id/1600.jpg",
        f"{BASE}/static/x/1600.jpg",
        "https://cdn.example/photo.jpg",
    ):
        assert picture_of_url(foreign, BASE) is None, foreign
    assert cover_html(None, "x", BASE) is None
    html = cover_html(f"{BASE}/anh/{PHOTO_ID}/1024.jpg", "Ảnh bìa", BASE, lazy=False)
    assert html is not None and 'loading="eager"' in html and "1600" not in html


def test_variant_addresses_are_parsed_strictly() -> None:
    found = parse_variant_path(f"/anh/{PHOTO_ID}/640.webp")
    assert found is not None and (found.width, found.format) == (640, "webp")
    for bad in (
        f"/anh/{PHOTO_ID}/640.gif",
        f"/anh/{PHOTO_ID}/0640.jpg",
        f"/anh/{PHOTO_ID}/640.jpg/x",
        f"/anh/{PHOTO_ID.upper()}/640.jpg",
        f"/anh/{PHOTO_ID}/999999.jpg",
        "/anh/../api/640.jpg",
    ):
        assert parse_variant_path(bad) is None, bad


def test_uploaded_names_are_shown_without_paths_or_invisible_characters() -> None:
    assert clean_name("C:\\Users\\a\\Ảnh lễ hội.JPG") == "Ảnh lễ hội.JPG"
    assert clean_name("../../etc/passwd") == "passwd"
    assert clean_name("a\u202eb\x00c\n d.png") == "abc d.png"
    assert clean_name(None) == clean_name("") == "anh"
    assert len(clean_name("x" * 500)) == 120


@pytest.mark.parametrize(
    ("srcset", "kept"),
    [
        (
            "/anh/a/320.webp 320w, /anh/a/640.webp 640w",
            "/anh/a/320.webp 320w, /anh/a/640.webp 640w",
        ),
        (
            "https://x.vn/a.jpg 1x,https://x.vn/b.jpg   2x",
            "https://x.vn/a.jpg 1x, https://x.vn/b.jpg 2x",
        ),
        ("/anh/a/320.webp", "/anh/a/320.webp"),
        ("javascript:alert(1) 1x", None),
        ("/anh/a.jpg 1x, data:image/png;base64,AAAA 2x", None),
        ("//evil.example/a.jpg 1x", None),
        ("/api/editor/photos 1x", None),
        ("/anh/a.jpg 1x 2x", None),
        ("/anh/a.jpg onerror", None),
        ('/anh/a".jpg 1x', None),
        ("", None),
        (", ".join(["/anh/a.jpg 1x"] * 17), None),
    ],
)
def test_srcset_candidates_must_be_our_photos_or_http(srcset: str, kept: str | None) -> None:
    assert clean_srcset(srcset) == kept


def test_the_sanitiser_drops_what_a_picture_must_not_carry() -> None:
    cleaned = clean_body(
        '<picture><source type="text/html" srcset="javascript:alert(1) 1x" media="print"'
        ' onerror="alert(1)"><img src="/anh/a.jpg" srcset="data:x 1x" sizes="100vw;}"'
        ' loading="soon" decoding="async" style="x"></picture>'
    )
    assert cleaned == '<picture><source><img src="/anh/a.jpg" decoding="async"></picture>'


def test_the_sanitiser_keeps_srcset_sizes_loading_and_decoding_on_a_plain_img() -> None:
    html = (
        '<img src="https://x.vn/a.jpg" srcset="https://x.vn/a.jpg 480w, /anh/b/960.jpg 960w"'
        ' sizes="(min-width: 40rem) 50vw, 100vw" alt="" loading="lazy" decoding="async">'
    )
    assert clean_body(html) == html
