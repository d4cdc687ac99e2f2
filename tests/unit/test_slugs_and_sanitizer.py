import pytest

from services.content.sanitize import clean_body
from services.content.slugs import make_slug


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Đẩy mạnh công tác dân vận", "day-manh-cong-tac-dan-van"),
        ("Đường biên giới Việt Nam", "duong-bien-gioi-viet-nam"),
        ("Đà Nẵng: hội nghị!", "da-nang-hoi-nghi"),
        ("à á ả ã ạ ă ắ ằ ẳ ẵ ặ â ấ ầ ẩ ẫ ậ", "a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a"),
        ("???", "bai-viet"),
    ],
)
def test_vietnamese_slugs(title: str, slug: str) -> None:
    assert make_slug(title) == slug


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        '<p style="background:url(javascript:alert(1))">x</p>',
        "<iframe src='https://evil.example'></iframe>",
    ],
)
def test_sanitizer_drops_script_vectors(payload: str) -> None:
    cleaned = clean_body(payload).lower()
    for danger in ("<script", "onerror", "javascript:", "style=", "<iframe"):
        assert danger not in cleaned


def test_sanitizer_keeps_newsroom_markup() -> None:
    html = (
        '<h2>Tiêu đề</h2><p>Đoạn <a href="https://x.vn">liên kết</a></p>'
        "<blockquote>Trích</blockquote><table><tr><td>1</td></tr></table>"
    )
    assert clean_body(html).startswith('<h2>Tiêu đề</h2><p>Đoạn <a href="https://x.vn"')
