"""The upload's multipart/form-data body, read part by part with every part bounded."""

from dataclasses import dataclass
from urllib.parse import unquote

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError
from pydantic import ValidationError

from services.content.photos.library import PhotoText
from services.content.photos.model import MAX_BYTES
from services.content.photos.schemas import PhotoTextIn
from shared.contracts.errors import Invalid, Malformed, TooLarge

MAX_TEXT_PART = 4096  # bytes of a caption or alt part: 500 characters of Vietnamese fit
# The whole body: the file, two short parts and the multipart framing around them.
MAX_REQUEST = MAX_BYTES + 64 * 1024
TEXT_PARTS = ("caption", "alt")
# What aiohttp's multipart reader raises on a broken body (a missing boundary, bad headers).
BROKEN_BODY = (ValueError, RuntimeError, AssertionError, LookupError, HttpProcessingError)


@dataclass(frozen=True)
class Upload:
    data: bytes
    filename: str | None
    text: PhotoText


async def read_upload(request: web.Request) -> Upload:
    """The `file` part and the optional `caption` and `alt` parts; 400 for a body that is not
    such a form, 413 past the limits (found while reading: nothing more is read), 422 for
    a missing file or text that is not acceptable."""
    if request.content_type != "multipart/form-data":
        raise Malformed("expected Content-Type: multipart/form-data")
    if request.content_length is not None and request.content_length > MAX_REQUEST:
        raise TooLarge(f"a photo may have at most {MAX_BYTES // (1024 * 1024)} MB")
    try:
        return await _read_parts(request)
    except BROKEN_BODY:
        raise Malformed("the multipart body cannot be read") from None


async def _read_parts(request: web.Request) -> Upload:
    reader = await request.multipart()
    data: bytes | None = None
    filename: str | None = None
    texts: dict[str, str] = {}
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise Malformed("nested multipart bodies are not accepted")
        name = part.name
        if name == "file" and data is None:
            filename = _filename(part.filename)
            data = await _bounded(part, MAX_BYTES, "the photo")
        elif name in TEXT_PARTS and name not in texts:
            raw = await _bounded(part, MAX_TEXT_PART, name)
            texts[name] = _utf8(raw, name)
        else:
            raise Invalid(f"unexpected or repeated part {name!r}", [{"field": str(name)}])
    if not data:
        raise Invalid("the form needs a non-empty `file` part", [{"field": "file"}])
    return Upload(data, filename, _text(texts))


async def _bounded(part: BodyPartReader, limit: int, what: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"{what} may have at most {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _filename(name: str | None) -> str | None:
    """Browsers send a UTF-8 name as it is; some clients (aiohttp's own) percent-encode it
    inside `filename="…"`. Only shown to editors, so a name that does not decode stays."""
    if name is None or "%" not in name:
        return name
    try:
        return unquote(name, errors="strict")
    except UnicodeDecodeError:
        return name


def _utf8(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid(f"`{name}` is not UTF-8 text", [{"field": name}]) from None


def _text(texts: dict[str, str]) -> PhotoText:
    try:
        valid = PhotoTextIn.model_validate(texts)
    except ValidationError as error:
        details = [
            {"field": ".".join(str(p) for p in item["loc"]), "message": item["msg"]}
            for item in error.errors(include_url=False, include_input=False)
        ]
        raise Invalid("the caption or alt text is not acceptable", details) from None
    return PhotoText(valid.caption, valid.alt)
