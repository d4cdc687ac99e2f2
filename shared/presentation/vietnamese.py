"""Vietnamese presentation: the date line, grouped numbers and the site's local day."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")


def date_line(moment: datetime, zone: ZoneInfo) -> str:
    """2022-04-25 16:56 +07:00 → "16:56, Thứ Hai, 25-4-2022"."""
    local = moment.astimezone(zone)
    weekday = WEEKDAYS[local.weekday()]
    return f"{local:%H:%M}, {weekday}, {local.day}-{local.month}-{local.year}"


def group_digits(number: int) -> str:
    """1628979 → "1.628.979"."""
    return f"{number:,}".replace(",", ".")


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()
