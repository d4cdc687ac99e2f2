"""How stored messages look in the inbox: a few documents, the views packed in JSON."""

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bson import Binary

from shared.db import Document
from shared.events import PageView

# 20,000 views of ~100 bytes: far under MongoDB's 16 MB document limit.
MAX_DOCUMENT_VIEWS = 20_000


@dataclass(frozen=True)
class View:
    """What the fold needs of a view; the path and referrer are not counted."""

    visitor: str
    article_id: str | None
    is_bot: bool
    agent_family: str | None
    at_ms: int

    @property
    def at(self) -> datetime:
        return datetime.fromtimestamp(self.at_ms / 1000, UTC)


def pack_views(views: list[PageView]) -> list[list[Any]]:
    return [
        [v.visitor, v.article_id, v.is_bot, v.agent_family, int(v.viewed_at.timestamp() * 1000)]
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
    return [
        (str(event_id), [View(*item) for item in views])
        for event_id, views in unpack_json(document["p"])
    ]


def pack(value: Any) -> Binary:
    return Binary(json.dumps(value, separators=(",", ":")).encode())


def unpack_json(value: bytes) -> Any:
    return json.loads(bytes(value))


def field_key(name: str) -> str:
    """An article id or agent family as a safe document key: no '.', no '$', never empty."""
    escaped = name.replace("%", "%25").replace(".", "%2E").replace("$", "%24")
    return escaped or "%00"


def from_field_key(key: str) -> str:
    if key == "%00":
        return ""
    return key.replace("%2E", ".").replace("%24", "$").replace("%25", "%")
