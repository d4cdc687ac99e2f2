from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from shared.presentation.vietnamese import date_line, group_digits, local_day

SAIGON = ZoneInfo("Asia/Ho_Chi_Minh")


def test_the_portal_date_line() -> None:
    moment = datetime(2022, 4, 25, 16, 56, tzinfo=timezone(timedelta(hours=7)))
    assert date_line(moment, SAIGON) == "16:56, Thứ Hai, 25-4-2022"


@pytest.mark.parametrize(
    ("day", "weekday"),
    [
        (25, "Thứ Hai"),
        (26, "Thứ Ba"),
        (27, "Thứ Tư"),
        (28, "Thứ Năm"),
        (29, "Thứ Sáu"),
        (30, "Thứ Bảy"),
        (1, "Chủ Nhật"),
    ],
)
def test_every_weekday(day: int, weekday: str) -> None:
    month = 5 if day == 1 else 4
    moment = datetime(2022, month, day, 8, 5, tzinfo=SAIGON)
    assert date_line(moment, SAIGON) == f"08:05, {weekday}, {day}-{month}-2022"


def test_utc_input_is_shown_in_local_time() -> None:
    assert date_line(datetime(2022, 4, 25, 17, 30, tzinfo=UTC), SAIGON) == (
        "00:30, Thứ Ba, 26-4-2022"
    )


@pytest.mark.parametrize(
    ("number", "text"),
    [(0, "0"), (999, "999"), (1000, "1.000"), (1628979, "1.628.979"), (10**9, "1.000.000.000")],
)
def test_grouped_digits(number: int, text: str) -> None:
    assert group_digits(number) == text


def test_local_day_turns_at_local_midnight() -> None:
    before = datetime(2022, 4, 25, 16, 59, tzinfo=UTC)  # 23:59 in Hồ Chí Minh City
    after = datetime(2022, 4, 25, 17, 0, tzinfo=UTC)  # 00:00 the next day
    assert local_day(before, SAIGON).day == 25
    assert local_day(after, SAIGON).day == 26
