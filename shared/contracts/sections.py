"""The portal's sections are data that content owns: administrators create, rename, reorder
and hide them (`PUT /api/editor/sections`), and content announces each new list as
`section.changed`, so the notifier keeps its own copy for the sign-up form and for routing
emails. This module holds only their shape, that event, and the list a new portal starts
with (before anyone changed it: revision 0)."""

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.contracts.events import EventData, register_event
from shared.contracts.text import ONE_LINE

SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MAX_SECTIONS = 100


class Section(BaseModel):
    """The slug is the key (in addresses, articles and subscriptions): it never changes
    while the section has articles. The name is what readers see."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    slug: str = Field(min_length=1, max_length=96, pattern=SLUG)
    name: str = Field(min_length=1, max_length=120, pattern=ONE_LINE)
    # Hidden: out of the navigation, the lists and the sign-up form; its articles and its
    # subscribers stay (nobody is emailed for it while hidden).
    hidden: bool = False


class SectionCatalogue(BaseModel):
    """The sections in the order the navigation shows them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sections: tuple[Section, ...] = Field(max_length=MAX_SECTIONS)

    @field_validator("sections")
    @classmethod
    def _one_per_slug(cls, sections: tuple[Section, ...]) -> tuple[Section, ...]:
        slugs = [section.slug for section in sections]
        repeated = sorted({slug for slug in slugs if slugs.count(slug) > 1})
        if repeated:
            raise ValueError(f"a slug may appear once: {', '.join(repeated)}")
        return sections

    @property
    def visible(self) -> tuple[Section, ...]:
        return tuple(section for section in self.sections if not section.hidden)

    def get(self, slug: str) -> Section | None:
        return next((section for section in self.sections if section.slug == slug), None)

    def resolve(self, value: str) -> str | None:
        """The slug a value names: a slug, or a section's name in any case; None if none."""
        if self.get(value) is not None:
            return value
        wanted = value.casefold()
        found = next((s for s in self.sections if s.name.casefold() == wanted), None)
        return None if found is None else found.slug

    def is_open(self, slug: str) -> bool:
        """Whether the section exists and is shown (its readers are emailed)."""
        section = self.get(slug)
        return section is not None and not section.hidden


STARTER = SectionCatalogue(
    sections=(
        Section(slug="tin-tuc-su-kien", name="Tin tức - Sự kiện"),
        Section(slug="bien-gioi-bien-dao", name="Biên giới, biển đảo"),
        Section(slug="chi-dao-dieu-hanh", name="Chỉ đạo, điều hành"),
        Section(slug="van-ban-phap-luat", name="Văn bản pháp luật"),
        Section(slug="thong-bao", name="Thông báo"),
        Section(slug="dan-van", name="Công tác dân vận"),
    )
)


@register_event
class SectionsChanged(EventData):
    """Administrators changed the sections; `revision` orders the changes."""

    TYPE: ClassVar[str] = "section.changed"
    VERSION: ClassVar[int] = 1

    revision: int = Field(ge=1)
    catalogue: SectionCatalogue
