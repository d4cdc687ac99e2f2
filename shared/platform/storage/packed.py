"""Counts packed in one field, added to once per sequence number by a single writer.

FerretDB decodes and re-encodes every field of a document it reads or updates, so a `$inc`
into a map of thousands of names costs hundreds of milliseconds; the same map packed as one
JSON field costs a few. A packed map cannot take a `$inc`, so it is read, added to and
written back, guarded like every aggregate write: the document remembers the last sequence
applied (`seq`), a write replaces only the version it read, and an addition whose sequence
the document already has is not made again.
"""

import json
from collections.abc import Mapping
from typing import Any

from bson import Binary
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from shared.platform.db import Document
from shared.platform.storage.writes import Fence, no_fence, write

PACKED = "t"  # the field holding the packed counts


class ChangedMeanwhile(Exception):
    """Another writer changed the document between the read and the write."""


def pack_counts(counts: Mapping[str, Mapping[str, int]]) -> Binary:
    return Binary(json.dumps(counts, separators=(",", ":"), ensure_ascii=False).encode())


def unpack_counts(document: Mapping[str, Any] | None) -> dict[str, dict[str, int]]:
    """The counts of a document (empty when it has none)."""
    if not document or PACKED not in document:
        return {}
    counts: dict[str, dict[str, int]] = json.loads(bytes(document[PACKED]))
    return counts


async def add_packed(
    collection: AsyncCollection[Document],
    key: str,
    seq: int,
    increments: Mapping[str, Mapping[str, int]],
    fence: Fence = no_fence,
) -> bool:
    """Add `increments` ({group: {name: n}}) to the document `key` as sequence `seq`; False if
    the document already had it (applied before: nothing is added twice)."""
    found = await collection.find_one({"_id": key})
    if found is not None and int(found.get("seq", 0)) >= seq:
        return False
    counts = unpack_counts(found)
    for group, names in increments.items():
        into = counts.setdefault(group, {})
        for name, n in names.items():
            into[name] = into.get(name, 0) + n
    replacement = {"_id": key, "seq": seq, PACKED: pack_counts(counts)}
    if found is None:
        try:
            await write(lambda: collection.insert_one(replacement), fence)
        except DuplicateKeyError:
            raise ChangedMeanwhile(key) from None
        return True
    read_seq = found.get("seq")
    result = await write(
        lambda: collection.replace_one({"_id": key, "seq": read_seq}, replacement), fence
    )
    if result.matched_count == 0:
        raise ChangedMeanwhile(key)
    return True
