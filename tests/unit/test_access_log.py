"""The buffered access log: every request a JSON line, written in batches, none lost at exit."""

import io
import json

from hypothesis import given
from hypothesis import strategies as st

from shared.platform.access_log import LIMIT_BYTES, AccessLog
from tests.support import eventually


def log_at(level: str) -> tuple[AccessLog, io.BytesIO]:
    out = io.BytesIO()
    access = AccessLog(out)
    access.configure("content", level)
    return access, out


def lines(out: io.BytesIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


async def test_lines_wait_for_the_batch_and_are_written_whole() -> None:
    access, out = log_at("INFO")
    access.request("r1", "GET", "/api/articles/tin-moi", 200, 1.2, quiet=False)
    access.request("r2", "POST", "/api/articles", 422, 0.8, quiet=False)
    assert out.getvalue() == b""  # buffered: no write per request
    written = await eventually(lambda: lines(out), what="the batch written")
    assert [(line["request_id"], line["status"]) for line in written] == [("r1", 200), ("r2", 422)]
    first = written[0]
    assert first["msg"] == "http.request" and first["service"] == "content"
    assert first["level"] == "info" and first["method"] == "GET" and first["ms"] == 1.2
    assert str(first["timestamp"]).endswith("Z") and "T" in str(first["timestamp"])


async def test_a_full_buffer_is_written_at_once_and_flush_writes_the_rest() -> None:
    access, out = log_at("INFO")
    path = "/articles/" + "x" * 200
    count = LIMIT_BYTES // 250 + 10
    for n in range(count):
        access.request(f"r{n}", "GET", path, 200, 1.0, quiet=False)
    assert 0 < len(lines(out)) < count  # the limit forced a write before the linger
    access.flush()  # what the runner does at exit
    assert [line["request_id"] for line in lines(out)] == [f"r{n}" for n in range(count)]


def test_quiet_requests_only_at_debug_and_nothing_above_info() -> None:
    # Without a running loop, a line is written at once (a script, the shutdown path).
    access, out = log_at("INFO")
    access.request("beacon", "POST", "/api/views", 204, 0.3, quiet=True)
    access.request("page", "GET", "/", 200, 2.0, quiet=False)
    assert [line["request_id"] for line in lines(out)] == ["page"]

    access, out = log_at("DEBUG")
    access.request("beacon", "POST", "/api/views", 204, 0.3, quiet=True)
    assert [(line["request_id"], line["level"]) for line in lines(out)] == [("beacon", "debug")]

    access, out = log_at("WARNING")
    access.request("page", "GET", "/", 200, 2.0, quiet=False)
    assert out.getvalue() == b""


def test_hostile_paths_stay_one_json_line() -> None:
    access, out = log_at("INFO")
    access.request("r", "GET", '/a"b\nc\x00đ', 404, 0.1, quiet=False)
    [line] = lines(out)
    assert line["path"] == '/a"b\nc\x00đ'


@given(
    request_id=st.text(st.characters(blacklist_categories=()), max_size=80),
    method=st.sampled_from(["GET", "POST", "PATCH", "DELETE"]),
    path=st.text(st.characters(blacklist_categories=()), max_size=300),
    status=st.integers(min_value=100, max_value=599),
    ms=st.floats(min_value=0, max_value=1e6, allow_nan=False).map(lambda ms: round(ms, 1)),
)
def test_any_path_or_request_id_gives_one_line_of_valid_json(
    request_id: str, method: str, path: str, status: int, ms: float
) -> None:
    """A client chooses the path and may choose the request id (quotes, control characters,
    line breaks, lone surrogates): the line is still one JSON object holding them as sent."""
    access, out = log_at("INFO")
    access.request(request_id, method, path, status, ms, quiet=False)
    written = out.getvalue()
    assert written.endswith(b"\n") and written.count(b"\n") == 1
    line = json.loads(written)
    assert (line["request_id"], line["method"], line["path"]) == (request_id, method, path)
    assert (line["status"], line["ms"]) == (status, ms)
