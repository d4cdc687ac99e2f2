"""Administrators change the sections: create, rename, reorder, hide, remove, all as one new
list (usecases/announced.py saves and announces it). A slug is an address, an article's
filing and readers' subscriptions: a section that has articles keeps its slug and cannot be
removed (hide it instead); the check counts the articles filed under it."""

from services.content.adapters.store import ArticleStore
from services.content.usecases.announced import Announced
from shared.contracts.errors import Conflict
from shared.contracts.sections import SectionCatalogue


async def replace_sections(
    sections: Announced[SectionCatalogue],
    store: ArticleStore,
    new: SectionCatalogue,
    expected: int | None,
    by: str,
) -> int:
    """Save `new` as the sections; Conflict if it drops (or re-slugs) one with articles."""
    dropped = [s.slug for s in sections.current.sections if new.get(s.slug) is None]
    in_use = [slug for slug in dropped if await store.count_in_section(slug)]
    if in_use:
        raise Conflict(
            "a section with articles keeps its slug and cannot be removed; hide it instead: "
            + ", ".join(in_use),
            details=in_use,
        )
    return await sections.save(new, expected, by)
