import unicodedata

import pytest

from services.content.domain.sanitize import clean_body
from services.content.domain.slugs import make_slug

TONES = ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # huyền, sắc, hỏi, ngã, nặng
# Each Vietnamese vowel (with its own marks: ă â ê ô ơ ư) and the letter it folds to.
VOWELS = {"a": "a", "ă": "a", "â": "a", "e": "e", "ê": "e", "i": "i", "o": "o", "ô": "o",
          "ơ": "o", "u": "u", "ư": "u", "y": "y"}  # fmt: skip


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Đẩy mạnh công tác dân vận", "day-manh-cong-tac-dan-van"),
        ("Đường biên giới Việt Nam", "duong-bien-gioi-viet-nam"),
        ("đường ĐÔNG đảo", "duong-dong-dao"),
        ("Đà Nẵng: hội nghị!", "da-nang-hoi-nghi"),
        ("Luật Đất đai (sửa đổi) năm 2024", "luat-dat-dai-sua-doi-nam-2024"),
        ("  Nghị   quyết — số 18/NQ-TW  ", "nghi-quyet-so-18-nq-tw"),
        ("???", "bai-viet"),
    ],
)
def test_vietnamese_slugs(title: str, slug: str) -> None:
    assert make_slug(title) == slug


@pytest.mark.parametrize("tone", TONES)
@pytest.mark.parametrize("vowel", VOWELS)
def test_every_tone_on_every_vowel_folds_to_its_letter(vowel: str, tone: str) -> None:
    lower = unicodedata.normalize("NFC", vowel + tone)
    upper = unicodedata.normalize("NFC", vowel.upper() + tone)
    assert len(lower) == 1  # a real precomposed letter, as editors type it
    assert make_slug(f"x {lower} {upper} x") == f"x-{VOWELS[vowel]}-{VOWELS[vowel]}-x"


def test_decomposed_input_gives_the_same_slug() -> None:
    title = "Hội nghị Đà Nẵng"
    assert make_slug(unicodedata.normalize("NFD", title)) == make_slug(title)


def test_a_long_title_is_cut_at_a_word() -> None:
    slug = make_slug("Tăng cường " * 30)
    assert len(slug) <= 96
    assert not slug.endswith("-")
    assert slug.split("-")[-1] in {"tang", "cuong"}


XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    "<img src=x onerror=alert(1)//",
    '<img src="javascript:alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    "<iframe src='https://evil.example'></iframe>",
    "<svg onload=alert(1)><circle r=1></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<body onload="alert(1)">',
    '<div onmouseover="alert(1)">x</div>',
    "<object data=javascript:alert(1)></object>",
    "<embed src=javascript:alert(1)>",
    '<form action="javascript:alert(1)"><button>x</button></form>',
    '<input autofocus onfocus="alert(1)">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    "<style>@import 'https://evil.example/x.css';</style>",
    '<base href="https://evil.example/">',
    '<details open ontoggle="alert(1)">',
    '<video><source onerror="alert(1)"></video>',
    "<<script>script>alert(1)//<</script>/script>",
    '<a href="https://x.vn" onclick="alert(1)" style="color:red">x</a>',
    '<table background="javascript:alert(1)"><tr><td>1</td></tr></table>',
]


@pytest.mark.parametrize("payload", XSS)
def test_sanitizer_drops_script_vectors(payload: str) -> None:
    cleaned = clean_body(payload).lower()
    for danger in ("<script", "onerror", "onload", "onclick", "onfocus", "ontoggle",
                   "onmouseover", "javascript:", "vbscript:", "data:", "style=", "<style",
                   "<iframe", "<svg", "<object", "<embed", "<form", "<input", "<meta",
                   "<link", "<base", "background="):  # fmt: skip
        assert danger not in cleaned, (payload, cleaned)


def test_sanitizer_keeps_newsroom_markup() -> None:
    html = (
        "<h2>Tiêu đề</h2><h3>Mục</h3>"
        '<p>Đoạn <strong>đậm</strong> <em>nghiêng</em> <a href="https://x.vn">liên kết</a></p>'
        "<ul><li>một</li></ul><ol><li>hai</li></ol>"
        '<figure><img src="https://x.vn/a.jpg" alt="Ảnh"><figcaption>Chú thích</figcaption>'
        "</figure><blockquote>Trích</blockquote>"
        "<table><caption>Bảng</caption><thead><tr><th>A</th></tr></thead>"
        '<tbody><tr><td colspan="2">1</td></tr></tbody></table>'
    )
    cleaned = clean_body(html)
    for kept in ("<h2>", "<h3>", "<strong>", "<em>", '<a href="https://x.vn"', "<ul>", "<ol>",
                 "<li>", "<figure>", '<img src="https://x.vn/a.jpg" alt="Ảnh">',
                 "<figcaption>Chú thích</figcaption>", "<blockquote>", "<caption>", "<th>",
                 '<td colspan="2">'):  # fmt: skip
        assert kept in cleaned
    assert clean_body('<a href="https://x.vn">x</a>').count("noopener") == 1
