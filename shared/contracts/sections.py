"""The portal's sections: one catalogue that content (filing) and notifier (subscriptions) share.

A public body's portal has a small, stable set of sections, changed by a release rather
than at run time, so they live in code: the slug is the key, the name is what readers see.
"""

from typing import NamedTuple


class Section(NamedTuple):
    slug: str
    name: str


SECTIONS: tuple[Section, ...] = (
    Section("tin-tuc-su-kien", "Tin tức - Sự kiện"),
    Section("bien-gioi-bien-dao", "Biên giới, biển đảo"),
    Section("chi-dao-dieu-hanh", "Chỉ đạo, điều hành"),
    Section("van-ban-phap-luat", "Văn bản pháp luật"),
    Section("thong-bao", "Thông báo"),
    Section("dan-van", "Công tác dân vận"),
)

SECTIONS_BY_SLUG: dict[str, Section] = {section.slug: section for section in SECTIONS}


def section_name(slug: str) -> str:
    """The display name of a known section slug (KeyError for an unknown one)."""
    return SECTIONS_BY_SLUG[slug].name
