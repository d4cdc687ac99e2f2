"""The values search engines read: dates with the site's offset, headlines within Google's
limit, absolute image addresses."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from services.content.entrypoints.structured_data import (
    HEADLINE_LIMIT,
    absolute,
    headline,
    local_iso,
)

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def test_local_iso_is_the_local_time_with_its_offset() -> None:
    moment = datetime(2022, 4, 25, 9, 56, 30, 123456, tzinfo=UTC)
    assert local_iso(moment, ZONE) == "2022-04-25T16:56:30+07:00"
    # Across local midnight: still the same instant.
    late = datetime(2022, 4, 25, 17, 30, tzinfo=UTC)
    assert local_iso(late, ZONE) == "2022-04-26T00:30:00+07:00"
    assert datetime.fromisoformat(local_iso(late, ZONE)) == late


def test_a_cover_given_as_a_path_becomes_an_address_on_this_site() -> None:
    site = "https://portal.example.vn"
    assert absolute(site, "/static/anh.jpg") == "https://portal.example.vn/static/anh.jpg"
    assert absolute(site, "https://anh.example.vn/a.jpg") == "https://anh.example.vn/a.jpg"


@given(st.text(min_size=1, max_size=300))
def test_a_headline_is_the_title_or_its_start_within_the_limit(title: str) -> None:
    shown = headline(title)
    assert len(shown) <= HEADLINE_LIMIT
    if len(title) <= HEADLINE_LIMIT:
        assert shown == title
    else:
        assert shown.endswith("…") and title.startswith(shown[:-1])
