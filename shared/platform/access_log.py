"""The access log: one JSON line per request, the same fields as every other log line,
written to stdout in batches.

Through the logging stack (structlog's processors, a stdlib formatter, a flushed write per
record) an access line cost about a third of serving a cached article. Here a line is
built directly and buffered; the buffer is written in one call when it holds 64 KB, or
0.2 s after its first line, and at shutdown. The price: a process killed outright loses
at most its last 0.2 s of access lines. Errors and everything else still go through the
normal, unbuffered log, and `/metrics` counts every request exactly whatever is logged.

Successful probes, scrapes and beacons come by the thousand and are logged only at debug
(their counts are in `portal_http_request_seconds_count`); every other request at info.
"""

import asyncio
import json
import logging
import sys
import time
from collections.abc import Callable
from typing import BinaryIO

# JSON's own string encoders: Unicode as is (`ensure_ascii=False`), or all escaped.
_string = json.encoder.encode_basestring
_ascii = json.encoder.encode_basestring_ascii

LINGER_SECONDS = 0.2
LIMIT_BYTES = 64 * 1024


class AccessLog:
    def __init__(self, stream: BinaryIO | None = None) -> None:
        self._stream = stream
        self._service = "?"
        self._level = logging.INFO
        self._lines: list[bytes] = []
        self._size = 0
        self._flush_scheduled = False
        self._stamp_second = -1
        self._stamp = ""

    def configure(self, service: str, level: str) -> None:
        self._service = service
        self._level = logging.getLevelName(level)

    def enabled(self, quiet: bool) -> bool:
        return self._level <= (logging.DEBUG if quiet else logging.INFO)

    def request(
        self, request_id: str, method: str, path: str, status: int, ms: float, quiet: bool
    ) -> None:
        if not self.enabled(quiet):
            return
        fields = (request_id, method, path, status, ms, "debug" if quiet else "info")
        try:
            line = self._line(_string, *fields).encode()
        except UnicodeEncodeError:  # a header's undecodable bytes: escaped, still one line
            line = self._line(_ascii, *fields).encode()
        self._add(line)

    def _line(
        self,
        string: Callable[[str], str],
        request_id: str,
        method: str,
        path: str,
        status: int,
        ms: float,
        level: str,
    ) -> str:
        """The line `json.dumps` would write for these fields, each string a client chose
        through JSON's own string encoder: one C call each, not a dict dumped per request."""
        return (
            f'{{"service":{string(self._service)},"request_id":{string(request_id)},'
            f'"method":{string(method)},"path":{string(path)},"status":{status:d},'
            f'"ms":{float(ms)!r},"level":"{level}","timestamp":"{self._timestamp()}",'
            '"msg":"http.request"}\n'
        )

    def _timestamp(self) -> str:
        """ISO 8601 UTC with microseconds, the seconds part formatted once per second."""
        now = time.time()
        second = int(now)
        if second != self._stamp_second:
            self._stamp_second = second
            self._stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._stamp}.{int((now - second) * 1e6):06d}Z"

    def _add(self, line: bytes) -> None:
        self._lines.append(line)
        self._size += len(line)
        if self._size >= LIMIT_BYTES:
            self.flush()
        elif not self._flush_scheduled:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # no loop (a script): write at once
                self.flush()
                return
            self._flush_scheduled = True
            loop.call_later(LINGER_SECONDS, self.flush)

    def flush(self) -> None:
        self._flush_scheduled = False
        if not self._lines:
            return
        lines, self._lines, self._size = self._lines, [], 0
        stream = self._stream or sys.stdout.buffer
        try:
            stream.write(b"".join(lines))
            stream.flush()
        except (OSError, ValueError):  # stdout closed or gone: nothing to log to
            pass


ACCESS_LOG = AccessLog()
