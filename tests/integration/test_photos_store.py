"""The photo library on the real FerretDB: GridFS files, records, uses, deletion, and that
a refused or failed upload leaves nothing behind (hypothesis through the real decoder)."""

import asyncio
import io
import os

import pytest
from gridfs import AsyncGridFSBucket
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from services.content.photos.catalogue import PhotoCatalogue
from services.content.photos.files import CHUNK_BYTES, GridFSFiles, PhotoFiles
from services.content.photos.library import MAX_WAITING, PhotoLibrary, PhotoText, build_photos
from services.content.photos.model import VariantRef
from shared.contracts.errors import Conflict, DomainError, NotFound, Throttled
from shared.platform.db import Document
from shared.platform.http import status_of
from tests.unit.test_photos_images import NOT_PHOTOS, TOO_BIG, png_header, sample

pytestmark = pytest.mark.integration

COLLECTIONS = ("photos", "photos.files", "photos.chunks")


@pytest.fixture
async def db(mongo: AsyncMongoClient[Document], db_name: str) -> AsyncDatabase[Document]:
    return mongo[db_name]


@pytest.fixture
async def library(db: AsyncDatabase[Document]) -> PhotoLibrary:
    return build_photos(db)


async def stored(db: AsyncDatabase[Document]) -> dict[str, int]:
    return {name: await db[name].count_documents({}) for name in COLLECTIONS}


async def test_files_are_standard_gridfs_that_a_driver_bucket_reads(
    db: AsyncDatabase[Document],
) -> None:
    files = GridFSFiles(db)
    big = os.urandom(CHUNK_BYTES * 2 + 12345)
    await files.put("abc/1600.jpg", big, "image/jpeg")
    await files.put("abc/320.webp", b"small", "image/webp")
    assert await files.get("abc/1600.jpg") == big
    assert await files.get("abc/320.webp") == b"small"
    assert await files.get("abc/640.webp") is None
    bucket = AsyncGridFSBucket(db, bucket_name="photos")
    stream = await bucket.open_download_stream("abc/1600.jpg")
    assert await stream.read() == big
    assert stream.metadata == {"contentType": "image/jpeg"}
    assert await db["photos.chunks"].count_documents({}) == 4
    await files.delete("abc/1600.jpg")
    await files.delete("abc/1600.jpg")  # twice: nothing left to do, no error
    assert await files.get("abc/1600.jpg") is None
    assert await db["photos.chunks"].count_documents({}) == 1


async def test_an_upload_stores_its_record_and_every_file(
    library: PhotoLibrary, db: AsyncDatabase[Document]
) -> None:
    photo = await library.upload(
        sample("JPEG", (1800, 1200)), "C:\\ảnh\\Lễ hội.jpg", PhotoText("Chú thích", "Mô tả"), "An"
    )
    assert photo.original_name == "Lễ hội.jpg"
    assert photo.widths == (320, 640, 1024, 1600)
    assert await stored(db) == {"photos": 1, "photos.files": 9, "photos.chunks": 9}
    again = await library.get(photo.id)
    assert again == photo
    _, file = await library.variant(VariantRef(photo.id, 640, "webp"))
    data = await library.read(photo, file)
    assert Image.open(io.BytesIO(data)).size == (640, 427)
    with pytest.raises(NotFound):
        await library.variant(VariantRef(photo.id, 700, "webp"))
    with pytest.raises(NotFound):
        await library.variant(VariantRef("0" * 20, 640, "webp"))


async def test_the_library_lists_newest_first_a_page_at_a_time(library: PhotoLibrary) -> None:
    made = [await library.upload(sample("PNG"), f"{n}.png", PhotoText(), "An") for n in range(5)]
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        page = await library.page(2, cursor)
        seen += [p.id for p in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [p.id for p in reversed(made)]


async def test_captions_change_and_uses_are_found_in_covers_and_bodies(
    library: PhotoLibrary, db: AsyncDatabase[Document]
) -> None:
    photo = await library.upload(sample(), "a.jpg", PhotoText(), "An")
    other = await library.upload(sample(), "b.jpg", PhotoText(), "An")
    changed = await library.describe(photo.id, "Chú thích mới", None)
    assert (changed.caption, changed.alt) == ("Chú thích mới", "")
    assert (await library.get(photo.id)).caption == "Chú thích mới"
    await db["articles"].insert_many(
        [
            {"_id": "a1", "title": "Bìa", "status": "published",
             "cover_image_url": f"https://x.vn/anh/{photo.id}/1600.jpg", "body": ""},
            {"_id": "a2", "title": "Thân", "status": "draft",
             "body": f'<figure><img src="/anh/{photo.id}/640.jpg"></figure>'},
            {"_id": "a3", "title": "Khác", "status": "draft",
             "cover_image_url": f"https://x.vn/anh/{other.id}/64.jpg", "body": "anh"},
        ]
    )  # fmt: skip
    uses = {u.article_id: (u.as_cover, u.in_body) for u in await library.uses(photo.id)}
    assert uses == {"a1": (True, False), "a2": (False, True)}

    with pytest.raises(Conflict) as refused:
        await library.delete(photo.id, force=False)
    details = refused.value.details
    assert isinstance(details, list)
    assert {d["article_id"] for d in details} == {"a1", "a2"}
    await library.delete(photo.id, force=True)
    await library.delete(other.id, force=True)
    assert await stored(db) == {"photos": 0, "photos.files": 0, "photos.chunks": 0}
    with pytest.raises(NotFound):
        await library.get(photo.id)


class FailingFiles:
    """Real GridFS files that fail at the `fail_at`-th write, as a database going away would."""

    def __init__(self, files: PhotoFiles, fail_at: int) -> None:
        self._files, self._left = files, fail_at

    async def put(self, name: str, data: bytes, content_type: str) -> None:
        self._left -= 1
        if self._left == 0:
            raise ConnectionError("the database went away")
        await self._files.put(name, data, content_type)

    async def get(self, name: str) -> bytes | None:
        return await self._files.get(name)

    async def delete(self, name: str) -> None:
        await self._files.delete(name)


async def test_an_upload_that_fails_halfway_leaves_no_file(db: AsyncDatabase[Document]) -> None:
    library = PhotoLibrary(PhotoCatalogue(db), FailingFiles(GridFSFiles(db), fail_at=4))
    with pytest.raises(ConnectionError):
        await library.upload(sample("JPEG", (700, 500)), "a.jpg", PhotoText(), "An")
    assert await stored(db) == {"photos": 0, "photos.files": 0, "photos.chunks": 0}


async def test_uploads_queue_one_at_a_time_and_past_the_queue_are_told_to_retry(
    library: PhotoLibrary, db: AsyncDatabase[Document]
) -> None:
    tries = [
        library.upload(sample(), f"{n}.jpg", PhotoText(), "An") for n in range(MAX_WAITING + 2)
    ]
    results = await asyncio.gather(*tries, return_exceptions=True)
    refused = [r for r in results if isinstance(r, Throttled)]
    assert len(refused) == 2 and status_of(refused[0]) == (429, "too_many_requests")
    assert await db["photos"].count_documents({}) == MAX_WAITING
    # The queue drained: the next one is taken.
    await library.upload(sample(), "next.jpg", PhotoText(), "An")


def _truncated(data: bytes) -> st.SearchStrategy[bytes]:
    # Cut within the first 90%: inside the pixel data. (A PNG that lost only its last
    # chunks still holds every pixel, and decodes; that is not a damaged photo.)
    return st.integers(0, len(data) * 9 // 10).map(lambda cut: data[:cut])


HOSTILE = st.one_of(
    st.binary(max_size=2048),
    st.binary(max_size=64).map(lambda tail: b"\x89PNG\r\n\x1a\n" + tail),
    st.binary(max_size=64).map(lambda tail: b"\xff\xd8\xff\xe0" + tail),
    st.binary(max_size=64).map(lambda tail: b"RIFF\x00\x00\x00\x00WEBPVP8 " + tail),
    _truncated(sample("JPEG")),
    _truncated(sample("PNG")),
    _truncated(sample("WEBP")),
    st.tuples(st.integers(1, 2**31 - 1), st.integers(1, 2**31 - 1))
    .filter(lambda size: size[0] * size[1] > 40_000_000 or max(size) > 16_383)
    .map(lambda size: png_header(*size)),
    st.sampled_from([*NOT_PHOTOS.values(), *TOO_BIG.values()]),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=HOSTILE)
async def test_hostile_bytes_are_refused_with_a_4xx_and_nothing_is_stored(
    library: PhotoLibrary, db: AsyncDatabase[Document], data: bytes
) -> None:
    with pytest.raises(DomainError) as refused:
        await library.upload(data, "x.jpg", PhotoText(), "An")
    assert 400 <= status_of(refused.value)[0] < 500
    assert await stored(db) == {"photos": 0, "photos.files": 0, "photos.chunks": 0}
