"""How the inbox and the fold records are stored: a few documents, their contents packed JSON."""

import json
import uuid
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from bson import Binary

from services.counter.domain.breakdowns import page_key
from services.counter.domain.visits import View
from shared.contracts.events import PageView
from shared.platform.db import Document

UTC_ZONE = ZoneInfo("UTC")
# 5,000 views of at most ~600 bytes (a 160-character page key, a 253-character referrer
# host): 3 MB at most, and small enough that a fold cut down after it outlasted its lease
# (fold/loop.py) can be small too.
MAX_DOCUMENT_VIEWS = 5_000


def pack_views(views: list[PageView]) -> list[list[Any]]:
    return [
        [
            v.visitor,
            v.article_id,
            v.is_bot,
            v.agent_family,
            int(v.viewed_at.timestamp() * 1000),
            v.view_id,
            page_key(v.path),
            v.referrer_host,
            v.device,
        ]
        for v in views
    ]


def inbox_document(messages: list[tuple[str, list[list[Any]]]]) -> Document:
    """The messages one flush stored: [event id, packed views] each.

    Packed, because FerretDB decodes every subdocument and array it reads, and cannot store
    nested arrays; the random `_id` is fine because duplicates are caught by event id later.
    """
    return {
        "_id": uuid.uuid4().hex,
        "n": sum(len(views) for _, views in messages),
        "p": pack(messages),
    }


def unpack_messages(document: Document) -> list[tuple[str, list[View]]]:
    messages, unreadable = unpack_checked(document)
    if unreadable:
        raise ValueError(unreadable[0].reason)
    return messages


@dataclass(frozen=True)
class Unreadable:
    """A stored message whose views cannot be read: set aside, never counted."""

    event_id: str
    raw: Any
    reason: str


def unpack_checked(
    document: Document, zone: ZoneInfo = UTC_ZONE
) -> tuple[list[tuple[str, list[View]]], list[Unreadable]]:
    """The messages of an inbox document, and those of its messages that cannot be read
    (a view of the wrong shape, or at a time with no local day in `zone`).

    Raises if the document itself cannot be read (then all of it is set aside)."""
    messages: list[tuple[str, list[View]]] = []
    unreadable: list[Unreadable] = []
    for event_id, views in unpack_json(document["p"]):
        try:
            messages.append((str(event_id), [_view(item, zone) for item in views]))
        except (TypeError, ValueError, OverflowError, OSError) as error:
            unreadable.append(Unreadable(str(event_id), views, repr(error)))
    return messages, unreadable


def _view(item: list[Any], zone: ZoneInfo) -> View:
    # Earlier versions stored five fields (before view ids), then six (before breakdowns).
    if not isinstance(item, list) or len(item) not in (5, 6, 9):
        raise TypeError(f"not a stored view: {item!r:.200}")
    visitor, article_id, is_bot, family, at_ms, view_id, path, referrer, device = item + [None] * (
        9 - len(item)
    )
    optional = (article_id, family, view_id, path, referrer, device)
    texts = (visitor, *(value for value in optional if value is not None))
    if not all(isinstance(text, str) for text in texts) or not isinstance(at_ms, int):
        raise TypeError(f"not a stored view: {item!r:.200}")
    view = View(visitor, article_id, bool(is_bot), family, at_ms, view_id, path, referrer, device)
    _ = view.at.astimezone(zone)  # a time out of range raises here, not mid-fold
    return view


def pack(value: Any) -> Binary:
    return Binary(json.dumps(value, separators=(",", ":")).encode())


def unpack_json(value: bytes) -> Any:
    return json.loads(bytes(value))
