"""Read the breakdown names a day's tables hold, before a fold counts into them."""

from services.counter.adapters.store import Collections
from services.counter.domain.breakdowns import BREAKDOWNS, KnownNames, Scope
from shared.platform.storage.packed import unpack_counts


async def load_names(collections: Collections, known: KnownNames, scopes: set[Scope]) -> None:
    """Fill `known` for the documents of `scopes` it does not know yet (one read each)."""
    for scope in sorted(scopes):
        if known.is_loaded(scope):
            continue
        collection, key = scope
        counts = unpack_counts(await collections.named(collection).find_one({"_id": key}))
        known.load(scope, {b.field: set(counts.get(b.field, {})) for b in BREAKDOWNS})
