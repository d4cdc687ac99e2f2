"""The email's shape: MIME structure, both parts, headers, escaping, no tracking."""

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from services.notifier.config import NotifierSettings
from services.notifier.domain.compose import Composer
from services.notifier.domain.tokens import verify
from shared.contracts.events import ArticlePublished

KEY = "unit-signing-key-0123456789abcdef0123"


@pytest.fixture
def composer() -> Composer:
    settings = NotifierSettings(
        mongo_db="unit", signing_key=KEY, public_url="https://tin.example.vn"
    )
    return Composer(settings)


def article(**changes: object) -> ArticlePublished:
    facts: dict[str, object] = {
        "article_id": "a-1",
        "slug": "day-manh-cong-tac-dan-van",
        "title": "Đẩy mạnh công tác dân vận trong tình hình mới",
        "lead": "Hội nghị tổng kết công tác dân vận năm 2022.",
        "section": "Công tác dân vận",
        "section_slug": "dan-van",
        "url": "https://tin.example.vn/bai-viet/day-manh-cong-tac-dan-van",
        "published_at": datetime(2022, 4, 25, 9, 56, tzinfo=UTC),
    }
    facts.update(changes)
    return ArticlePublished.model_validate(facts)


def parse(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def parts(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(preferencelist=("plain",))
    rich = message.get_body(preferencelist=("html",))
    assert plain is not None and rich is not None
    return plain.get_content(), rich.get_content()


def test_article_email_has_both_parts_and_the_required_headers(composer: Composer) -> None:
    raw = composer.article(composer.prepare_article(article()), "a-1", "ban.doc@example.vn")
    message = parse(raw)

    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    assert message["Subject"] == "Đẩy mạnh công tác dân vận trong tình hình mới"
    assert message["To"] == "ban.doc@example.vn"
    assert message["From"].addresses[0].display_name == "Cổng thông tin điện tử"
    assert message["From"].addresses[0].addr_spec == "tin-moi@portal.example"
    assert message["Date"].datetime.tzinfo is not None
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith(">")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = message["List-Unsubscribe"]
    assert unsubscribe.startswith("<https://tin.example.vn/subscriptions/unsubscribe?token=")
    token = unsubscribe[1:-1].split("token=")[1]
    assert verify(KEY.encode(), "unsubscribe", token.replace("%3D", "=")) == "ban.doc@example.vn"
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert raw.isascii()

    text, page = parts(message)
    for content in (text, page):
        assert "Đẩy mạnh công tác dân vận trong tình hình mới" in content
        assert "Hội nghị tổng kết công tác dân vận năm 2022." in content
        assert "Công tác dân vận" in content
        assert "16:56, Thứ Hai, 25-4-2022" in content
        assert "https://tin.example.vn/bai-viet/day-manh-cong-tac-dan-van" in content
        assert "/subscriptions/unsubscribe?token=" in content
        assert "/subscriptions/preferences?token=" in content
        assert "UNSUBSCRIBE-" not in content and "PREFERENCES-" not in content


def test_message_id_is_stable_per_reader_and_article(composer: Composer) -> None:
    prepared = composer.prepare_article(article())
    first = parse(composer.article(prepared, "a-1", "x@example.vn"))["Message-ID"]
    again = parse(composer.article(prepared, "a-1", "x@example.vn"))["Message-ID"]
    other = parse(composer.article(prepared, "a-1", "y@example.vn"))["Message-ID"]
    assert first == again != other


def test_event_content_is_escaped_in_html_and_no_tracking_pixel(composer: Composer) -> None:
    hostile = article(
        title='<script>alert("x")</script> Tin',
        lead='<img src="https://tracker.example/p.gif"> tóm tắt',
    )
    text, page = parts(parse(composer.article(composer.prepare_article(hostile), "a", "z@x.vn")))
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<img" not in page
    assert '<script>alert("x")</script> Tin' in text  # plain text stays plain


def test_a_long_title_is_folded_and_decodes_back(composer: Composer) -> None:
    title = "Thông báo " * 30
    message = parse(composer.article(composer.prepare_article(article(title=title)), "a", "q@x.vn"))
    assert message["Subject"] == title.strip()


def test_english_readers_get_english_around_the_article(composer: Composer) -> None:
    prepared = composer.prepare_article(article(), "en")
    text, page = parts(parse(composer.article(prepared, "a-1", "reader@example.com")))
    for content in (text, page):
        assert "Read the full article" in content
        assert "16:56, Monday, 25 April 2022" in content
        assert "Đẩy mạnh công tác dân vận trong tình hình mới" in content
    confirmation = parse(composer.confirmation("reader@example.com", "en"))
    assert confirmation["Subject"] == "Confirm your subscription"


def test_confirmation_has_the_unsubscribe_headers_and_a_confirm_link(composer: Composer) -> None:
    message = parse(composer.confirmation("moi@example.vn"))
    assert message["Subject"] == "Xác nhận đăng ký nhận tin"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Unsubscribe"].startswith("<https://tin.example.vn/subscriptions/unsub")
    text, page = parts(message)
    assert "https://tin.example.vn/subscriptions/confirm?token=" in text
    assert "/subscriptions/confirm?token=" in page


@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_line_ends_in_crlf_so_the_smtp_size_is_the_length(
    composer: Composer, language: str
) -> None:
    # The sender declares SIZE=len(message) without normalising line ends first.
    long_title = "Thông báo " * 30
    for facts in (article(), article(title=long_title, lead="Dòng một\nDòng hai\r\nba")):
        raw = composer.article(composer.prepare_article(facts, language), "a-1", "q@x.vn")
        assert raw.count(b"\n") == raw.count(b"\r\n")
        assert b"\r" not in raw.replace(b"\r\n", b"")
    confirmation = composer.confirmation("q@x.vn", language)
    assert confirmation.count(b"\n") == confirmation.count(b"\r\n")
