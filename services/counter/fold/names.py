"""Read the breakdown names a day's or a month's document holds, before a fold counts into it."""

from services.counter.adapters.store import Collections
from services.counter.domain import layout
from services.counter.domain.breakdowns import BREAKDOWNS, KnownNames, Scope


async def load_names(collections: Collections, known: KnownNames, scopes: set[Scope]) -> None:
    """Fill `known` for the documents of `scopes` it does not know yet (one read each)."""
    projection = {breakdown.field: 1 for breakdown in BREAKDOWNS}
    for scope in sorted(scopes):
        if known.is_loaded(scope):
            continue
        collection, key = scope
        document = await collections.named(collection).find_one({"_id": key}, projection) or {}
        known.load(
            scope,
            {
                breakdown.field: {
                    layout.from_field_key(name) for name in document.get(breakdown.field, {})
                }
                for breakdown in BREAKDOWNS
            },
        )
