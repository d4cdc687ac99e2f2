"""The widget's live stream: each change encoded once and written to every open stream."""

import asyncio
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import structlog
from aiohttp import web
from aiohttp.http import HttpVersion11

from services.counter.adapters.reader import StatsReader
from services.counter.domain.stats import Snapshot, widget_numbers
from services.counter.metrics import STREAMS_OPEN

log = structlog.get_logger(__name__)

STREAM_HEADERS = {
    # The widget is on the portal's pages, which may be served from another origin.
    "Access-Control-Allow-Origin": "*",
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "Connection": "keep-alive",
    "X-Accel-Buffering": "no",  # a proxy passes each event on at once
}
PING_SECONDS = 15.0
# A client that reads nothing holds the events written to it in this process: past this many
# bytes it is cut off (an event is ~0.5 KB; a client that reads holds none).
MAX_BUFFERED_BYTES = 256 * 1024
# The kernel aborts a connection whose sent data stays unacknowledged this long: a peer that
# vanished without a FIN or RST is noticed within minutes, not after a day of retransmits.
SEND_TIMEOUT_MS = 120_000


@dataclass(frozen=True, slots=True)
class Frame:
    """Bytes for every stream, encoded once: as they go on an HTTP/1.0 response, and framed
    as one chunk of a chunked HTTP/1.1 response (what aiohttp makes of a write)."""

    raw: bytes
    chunked: bytes

    @classmethod
    def of(cls, raw: bytes) -> "Frame":
        return cls(raw, b"%x\r\n%s\r\n" % (len(raw), raw))


PING = Frame.of(b": ping\r\n\r\n")
LAST_CHUNK = b"0\r\n\r\n"  # ends a chunked response properly: not a broken one


@dataclass(frozen=True, slots=True)
class Event:
    """One "stats" event: the widget's numbers as of `read_at`."""

    numbers: tuple[int, int, int]
    read_at: datetime
    frame: Frame


class Stream(asyncio.Protocol):
    """One open stream once its headers and first event are sent: the connection's protocol
    from then on, so the connection costs this object, its transport and its socket."""

    __slots__ = ("_streams", "chunked", "last", "opened", "transport")

    def __init__(
        self, streams: "WidgetStreams", transport: asyncio.Transport, chunked: bool, last: Event
    ) -> None:
        self._streams = streams
        self.transport = transport
        self.chunked = chunked
        self.last = last
        self.opened = time.monotonic()

    def send(self, frame: Frame) -> None:
        transport = self.transport
        if transport.is_closing():
            return
        if transport.get_write_buffer_size() > MAX_BUFFERED_BYTES:
            log.info("stream.too_slow", seconds=round(time.monotonic() - self.opened))
            transport.abort()  # a graceful close would wait for the client to read
        else:
            transport.write(frame.chunked if self.chunked else frame.raw)

    def end(self) -> None:
        if not self.transport.is_closing():
            if self.chunked:
                self.transport.write(LAST_CHUNK)
            self.transport.close()  # once what is buffered is sent

    def data_received(self, data: bytes) -> None:
        """An event stream's client has nothing more to say; whatever it sends is dropped."""

    def connection_lost(self, exc: Exception | None) -> None:
        self._streams.forget(self)


class WidgetStreams:
    """Every open `GET /api/stats/stream`: the widget on connect, then each change, written by
    one task to all streams, and a ping every 15 s.

    aiohttp keeps ~13 KB for a request in progress (its parser and buffers, the request and
    response, two tasks and the middleware's frames): 130 MB for 10,000 streams. So once a
    stream's headers and first event are out, the stream takes the connection over
    (`_take_over`) and aiohttp finishes the request as if the client had left: it frees all
    that, and the stream goes on with ~2 KB (the socket, its transport and a `Stream`)."""

    def __init__(self, reader: StatsReader, encode: Callable[[Snapshot], str]) -> None:
        self._reader = reader
        self._encode = encode
        self._streams: set[Stream] = set()
        self._event: Event | None = None
        self._closing = False

    async def serve(self, request: web.Request) -> web.StreamResponse:
        # Read first: without figures (the database down since the start) the answer is a
        # JSON error, which a response already prepared could no longer be.
        snapshot = await self._reader.current()
        response = web.StreamResponse(headers=STREAM_HEADERS)
        chunked = request.version >= HttpVersion11
        if chunked:
            response.enable_chunked_encoding()
        await response.prepare(request)
        event = self.advance(snapshot)
        # aiohttp's writer sends the headers with the first event.
        await response.write(event.frame.raw)
        transport = request.transport
        if self._closing or transport is None or transport.is_closing():
            # When the client went away this raises ConnectionResetError: logged as 499.
            await response.write_eof()
            return response
        stream = Stream(self, transport, chunked, event)
        _take_over(request, stream)
        self.add(stream)
        # The request is logged now, as 200; the stream goes on without aiohttp.
        return response

    def add(self, stream: Stream) -> None:
        """From now on `stream` gets every change (and the current event, if it missed it)."""
        self._streams.add(stream)
        STREAMS_OPEN.set(len(self._streams))
        if (latest := self._event) is not None:
            self._send(stream, latest)

    def advance(self, snapshot: Snapshot) -> Event:
        """The current event; a snapshot newer than it with other numbers becomes the current
        event and is sent to every stream at once."""
        current = self._event
        if current is not None and snapshot.read_at <= current.read_at:
            return current
        numbers = widget_numbers(snapshot)
        if current is not None and numbers == current.numbers:
            return current
        data = f"event: stats\r\ndata: {self._encode(snapshot)}\r\n\r\n".encode()
        event = Event(numbers, snapshot.read_at, Frame.of(data))
        self._event = event
        for stream in list(self._streams):
            self._send(stream, event)
        return event

    async def run(self) -> None:
        """Send each change the reader sees as soon as it sees it; ping every 15 s."""
        loop = asyncio.get_running_loop()
        next_ping = loop.time() + PING_SECONDS
        while True:
            await self._reader.wait_for_change(max(0.0, next_ping - loop.time()))
            if (snapshot := self._reader.latest) is not None:
                self.advance(snapshot)
            if loop.time() >= next_ping:
                next_ping = loop.time() + PING_SECONDS
                for stream in list(self._streams):
                    stream.send(PING)

    def forget(self, stream: Stream) -> None:
        self._streams.discard(stream)
        STREAMS_OPEN.set(len(self._streams))

    def close(self) -> None:
        """The server is stopping: every stream ends properly (its client reconnects to
        another replica), and new ones end after their first event."""
        self._closing = True
        for stream in list(self._streams):
            stream.end()

    @staticmethod
    def _send(stream: Stream, event: Event) -> None:
        if stream.last is not event:
            stream.last = event
            stream.send(event.frame)


def _take_over(request: web.Request, stream: Stream) -> None:
    """Make `stream` the connection's protocol and have aiohttp let go of the connection.

    aiohttp is told the connection is lost, its own path for a client that left: it frees the
    request's state and its task ends. Its transport is unset first, so it closes nothing and
    writes nothing more (the final chunk it would write finds no transport: a reset it
    expects). The request can have no successor on this connection: the response never ends.
    """
    transport = stream.transport
    transport.set_protocol(stream)
    _set_send_timeout(transport)
    protocol = request.protocol
    protocol.transport = None
    protocol.connection_lost(None)
    if not transport.is_reading():
        transport.resume_reading()  # reading is how a client's leaving is noticed


def _set_send_timeout(transport: asyncio.Transport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, SEND_TIMEOUT_MS)
