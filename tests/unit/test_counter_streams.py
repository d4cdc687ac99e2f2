"""The live stream's fan-out without a network: one encoding per change, the same bytes to
every stream, nothing to a stream that left, a client that reads nothing cut off."""

from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import pytest

from services.counter.adapters.reader import StatsReader
from services.counter.domain.stats import Figures, Snapshot
from services.counter.entrypoints.streams import (
    LAST_CHUNK,
    MAX_BUFFERED_BYTES,
    PING,
    Event,
    Frame,
    Stream,
    WidgetStreams,
)
from services.counter.entrypoints.views import widget_json

START = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


class FakeTransport:
    """What a stream uses of its transport, recording what was written."""

    def __init__(self, buffered: int = 0) -> None:
        self.written: list[bytes] = []
        self.buffered = buffered
        self.closing = False
        self.aborted = False

    def is_closing(self) -> bool:
        return self.closing

    def get_write_buffer_size(self) -> int:
        return self.buffered

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def abort(self) -> None:
        self.aborted = self.closing = True

    def close(self) -> None:
        self.closing = True


def snapshot(visits: int, seconds: int = 0, online: int = 1) -> Snapshot:
    return Snapshot(
        read_at=START + timedelta(seconds=seconds),
        day=date(2026, 11, 27),
        online=online,
        today=Figures(visits=visits),
        yesterday=Figures(),
        all_time=Figures(visits=visits),
        baseline=1000,
    )


@pytest.fixture
def streams() -> WidgetStreams:
    return WidgetStreams(cast(StatsReader, None), widget_json)


def open_stream(
    streams: WidgetStreams, first: Event, chunked: bool = True, **transport: Any
) -> tuple[Stream, FakeTransport]:
    fake = FakeTransport(**transport)
    stream = Stream(streams, cast(Any, fake), chunked, first)
    streams.add(stream)
    return stream, fake


def test_a_change_is_encoded_once_and_the_same_bytes_go_to_every_stream(
    streams: WidgetStreams,
) -> None:
    first = streams.advance(snapshot(5))
    opened = [open_stream(streams, first) for _ in range(3)]
    assert all(fake.written == [] for _, fake in opened)  # they have the first event

    change = streams.advance(snapshot(6, seconds=1))
    sent = [fake.written for _, fake in opened]
    assert all(len(written) == 1 and written[0] is change.frame.chunked for written in sent)
    assert b'"today":6' in change.frame.raw and b'"total":1006' in change.frame.raw
    assert change.frame.raw.startswith(b"event: stats\r\ndata: {")


def test_no_event_without_a_change_and_never_an_older_one(streams: WidgetStreams) -> None:
    first = streams.advance(snapshot(5, seconds=10))
    _, fake = open_stream(streams, first)
    assert streams.advance(snapshot(5, seconds=11)) is first  # newer, same numbers
    assert streams.advance(snapshot(9, seconds=9)) is first  # other numbers, but older
    assert fake.written == []


def test_a_stream_that_missed_a_change_while_opening_gets_it(streams: WidgetStreams) -> None:
    first = streams.advance(snapshot(5))
    change = streams.advance(snapshot(6, seconds=1))
    _, fake = open_stream(streams, first)
    assert fake.written == [change.frame.chunked]


def test_http_1_0_streams_get_the_event_unframed(streams: WidgetStreams) -> None:
    first = streams.advance(snapshot(5))
    _, fake = open_stream(streams, first, chunked=False)
    change = streams.advance(snapshot(6, seconds=1))
    assert fake.written == [change.frame.raw]


def test_a_frame_is_one_http_chunk() -> None:
    frame = Frame.of(b"event: stats\r\ndata: {}\r\n\r\n")
    size, _, rest = frame.chunked.partition(b"\r\n")
    assert int(size, 16) == len(frame.raw)
    assert rest == frame.raw + b"\r\n"
    assert PING.raw == b": ping\r\n\r\n"


def test_a_client_that_reads_nothing_is_cut_off_and_one_that_left_is_skipped(
    streams: WidgetStreams,
) -> None:
    first = streams.advance(snapshot(5))
    _, stalled = open_stream(streams, first, buffered=MAX_BUFFERED_BYTES + 1)
    gone, left = open_stream(streams, first)
    left.closing = True
    streams.advance(snapshot(6, seconds=1))
    assert stalled.aborted and stalled.written == []
    assert left.written == []
    gone.connection_lost(None)  # asyncio says so once the socket is closed
    _, fresh = open_stream(streams, first)
    change = streams.advance(snapshot(7, seconds=2))
    assert fresh.written[-1] is change.frame.chunked
    assert left.written == []


def test_closing_ends_every_stream_with_the_last_chunk(streams: WidgetStreams) -> None:
    first = streams.advance(snapshot(5))
    opened = [open_stream(streams, first), open_stream(streams, first, chunked=False)]
    streams.close()
    (_, chunked), (_, plain) = opened
    assert chunked.written == [LAST_CHUNK] and chunked.closing
    assert plain.written == [] and plain.closing
