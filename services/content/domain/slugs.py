"""Vietnamese-safe slugs: "Đẩy mạnh công tác dân vận" → "day-manh-cong-tac-dan-van"."""

from slugify import slugify

MAX_LENGTH = 96


def make_slug(title: str) -> str:
    # Unidecode maps đ/Đ to d/D (plain NFKD drops it), so "Đường" stays "duong".
    return slugify(title, max_length=MAX_LENGTH, word_boundary=True) or "bai-viet"
