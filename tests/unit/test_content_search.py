import pytest

from services.content.domain.search import Searchable, article_tokens, fold, score, tokens


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Đà Nẵng", "da nang"),
        ("DÂN VẬN", "dan van"),
        ("Thừa Thiên Huế", "thua thien hue"),
        ("Quảng Ngãi, Bình Định", "quang ngai, binh dinh"),
        ("người dân", "nguoi dan"),
        ("ƯU TIÊN", "uu tien"),
    ],
)
def test_fold_removes_case_and_diacritics(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_tokens_split_on_anything_but_letters_and_digits() -> None:
    expected = ["nghi", "quyet", "so", "18", "nq", "tw", "2024"]
    assert tokens("Nghị quyết số 18-NQ/TW (2024)") == expected
    assert tokens("") == []
    assert tokens("—…!") == []


def test_article_tokens_are_distinct_and_skip_markup() -> None:
    found = article_tokens(
        "Dân vận", "dân vận khéo", "<p class='x'>Khéo <b>léo</b></p>", ["Dân"], []
    )
    assert found == ["dan", "van", "kheo", "leo"]
    assert "class" not in found
    assert "p" not in found
    # Entities are text, not words: sanitised bodies are full of "&amp;" and "&nbsp;".
    assert article_tokens("A", "", "<p>Tom &amp; Jerry&nbsp;&#272;&agrave;</p>", [], []) == [
        "a",
        "tom",
        "jerry",
        "da",
    ]


def item(title: str, lead: str = "", body: str = "") -> Searchable:
    return Searchable.of(title, lead, article_tokens(title, lead, body, [], []))


def test_ranking_prefers_the_phrase_in_the_title() -> None:
    query = tokens("dan van")
    phrase = item("Công tác dân vận")
    both_words = item("Vận động người dân")
    in_lead = item("Hội nghị", lead="Bàn về dân vận")
    in_body = item("Hội nghị", body="<p>dân và vận</p>")
    ranks = [score(query, one) for one in (phrase, both_words, in_lead, in_body)]
    assert ranks == [4, 3, 2, 1]
    assert score(query, item("Dân số")) == 0
    assert score([], phrase) == 0


def test_the_last_word_may_be_a_prefix_while_typing() -> None:
    assert score(tokens("da na"), item("Đà Nẵng hôm nay")) > 0
    assert score(tokens("na da"), item("Đà Nẵng hôm nay")) == 0
