import json
import uuid
from datetime import UTC, datetime
from typing import ClassVar

import pytest

from shared.contracts.events import (
    ArticlePublished,
    ArticleUnpublished,
    ArticleUpdated,
    EventData,
    PageView,
    PageViewed,
    UnreadableEvent,
    decode,
    encode,
    new_envelope,
    register_event,
)


def article() -> ArticlePublished:
    return ArticlePublished(
        article_id="a1",
        slug="day-manh-cong-tac-dan-van",
        title="Đẩy mạnh công tác dân vận",
        lead="Tóm tắt",
        section="Biên giới, biển đảo",
        section_slug="bien-gioi-bien-dao",
        authors=["Nguyễn Văn A"],
        url="https://portal.example/articles/day-manh-cong-tac-dan-van",
        published_at=datetime(2022, 4, 25, 9, 56, tzinfo=UTC),
    )


def test_round_trip_keeps_every_field() -> None:
    envelope = new_envelope(article(), "content")
    decoded = decode(encode(envelope))
    assert decoded == envelope
    assert isinstance(decoded.data, ArticlePublished)
    assert decoded.data.title == "Đẩy mạnh công tác dân vận"


def test_a_decoded_event_encodes_to_the_same_bytes() -> None:
    # The outbox relay re-sends decoded events: nothing may be lost on the way.
    body = encode(new_envelope(article(), "content"))
    assert encode(decode(body)) == body


def test_page_viewed_round_trip() -> None:
    view = PageView(visitor="f" * 32, path="/", viewed_at=datetime.now(UTC))
    envelope = new_envelope(PageViewed(views=[view, view]), "content")
    decoded = decode(encode(envelope))
    assert isinstance(decoded.data, PageViewed)
    assert len(decoded.data.views) == 2


def raw(**changes: object) -> bytes:
    body = json.loads(encode(new_envelope(article(), "content")))
    body.update(changes)
    return json.dumps(body).encode()


def test_unknown_data_field_is_ignored_because_additions_keep_the_version() -> None:
    body = json.loads(raw())
    body["data"]["subtitle"] = "mới"
    decoded = decode(json.dumps(body).encode())
    assert not hasattr(decoded.data, "subtitle")


def test_unknown_envelope_field_is_refused() -> None:
    with pytest.raises(UnreadableEvent, match="invalid envelope"):
        decode(raw(priority="high"))


def test_higher_version_than_understood_is_refused() -> None:
    with pytest.raises(UnreadableEvent, match="version 2 is newer"):
        decode(raw(version=2))


def test_unknown_type_is_refused() -> None:
    with pytest.raises(UnreadableEvent, match="unknown event type"):
        decode(raw(type="article.exploded"))


def test_wrong_data_shape_is_refused() -> None:
    body = json.loads(raw())
    del body["data"]["title"]
    with pytest.raises(UnreadableEvent, match=r"invalid article\.published data"):
        decode(json.dumps(body).encode())


@pytest.mark.parametrize("body", [b"not json", b"[]", b"", b'{"event_id": 1}'])
def test_garbage_is_refused(body: bytes) -> None:
    with pytest.raises(UnreadableEvent):
        decode(body)


def test_naive_timestamp_is_refused() -> None:
    with pytest.raises(UnreadableEvent):
        decode(raw(occurred_at="2022-04-25T09:56:00", event_id=str(uuid.uuid4())))


def test_article_updated_and_unpublished_round_trip() -> None:
    facts = article().model_dump()
    updated = ArticleUpdated(**facts, previous_slug="old-slug")
    unpublished = ArticleUnpublished(article_id="a1", revision=3, slug="day-manh")
    for data in (updated, unpublished):
        decoded = decode(encode(new_envelope(data, "content")))
        assert decoded.data == data
        assert decoded.type == data.TYPE


def test_a_private_event_type_becomes_decodable_once_registered() -> None:
    class Ping(EventData):
        TYPE: ClassVar[str] = f"test.ping.{uuid.uuid4().hex}"
        VERSION: ClassVar[int] = 1
        n: int

    body = encode(new_envelope(Ping(n=1), "test"))
    with pytest.raises(UnreadableEvent, match="unknown event type"):
        decode(body)
    register_event(Ping)
    assert decode(body).data == Ping(n=1)
    register_event(Ping)  # registering the same class again is harmless

    class Impostor(EventData):
        TYPE: ClassVar[str] = Ping.TYPE
        VERSION: ClassVar[int] = 1

    with pytest.raises(ValueError, match="already registered"):
        register_event(Impostor)
