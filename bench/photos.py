"""Photos: a 12-megapixel upload's processing and storing time, its variants' sizes, what a
phone downloads, and GridFS reads on FerretDB by `_id` against a driver's bucket.

- Processing: a generated 4000×3000 photo-like JPEG (q90, like a phone's) through the real
  path (Pillow decode, EXIF turn, sRGB, strip, resize, encode); baseline in the same run:
  Pillow only opening and decoding the same file.
- Upload: `PhotoLibrary.upload` on the local FerretDB (processing in a worker thread plus
  every GridFS write and the record), and the event loop's longest stall meanwhile (a
  ticker every 5 ms); baseline: the same processing run on the loop itself.
- GridFS on FerretDB: one 1024-px WebP read through the library's store (chunks by `_id`)
  and through PyMongo's `AsyncGridFSBucket` (chunks by `files_id`), as the bucket grows.

Run: `.venv/bin/python bench/photos.py` (BENCH_ROUNDS=3; MONGO_URL, default local).
"""

import asyncio
import io
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import PIL
from gridfs import AsyncGridFSBucket
from PIL import Image
from report import Result, publish

from services.content.photos import images
from services.content.photos.files import GridFSFiles
from services.content.photos.library import PhotoText, build_photos
from services.content.photos.markup import SRC_WIDTH
from shared.platform.db import make_client

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
RESULTS: list[Result] = []
MONGO_URL = os.environ.get("MONGO_URL", "mongodb://127.0.0.1:27017/")
FILLER_BYTES = 300_000  # a typical stored file (variants 20–400 KB, originals MBs)
BUCKET_SIZES = (0, 100, 200, 400)  # filler files in the bucket when one photo is read
# What the article page's `sizes` gives at each screen (markup.ARTICLE_SIZES), CSS px.
SCREENS = (("phone 390 px, 3x", 390 - 64, 3), ("phone 390 px, 2x", 390 - 64, 2),
           ("desktop 1280 px, 1x", 720, 1), ("desktop 1280 px, 2x", 720, 2))  # fmt: skip


def photo_like(width: int, height: int) -> bytes:
    """A stand-in for a phone's photo (q90, ~3.4 MB at 12 MP): smooth gradients, a fractal's
    edges, blotchy mid-scale texture (foliage, crowds) and sensor-like grain."""
    red = Image.linear_gradient("L").resize((width, height))
    green = Image.radial_gradient("L").resize((width, height))
    blue = Image.effect_mandelbrot((width, height), (-2.0, -1.2, 0.8, 1.2), 64)
    blotches = [Image.effect_noise((width // 24, height // 24), 80) for _ in range(3)]
    texture = Image.merge("RGB", blotches).resize((width, height), Image.Resampling.BICUBIC)
    grain = Image.effect_noise((width, height), 35).convert("RGB")
    scene = Image.blend(Image.merge("RGB", (red, green, blue)), texture, 0.4)
    picture = Image.blend(scene, grain, 0.14)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=90)
    return out.getvalue()


def median_seconds(work: Callable[[], object]) -> float:
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def median_async(work: Callable[[], Awaitable[object]]) -> float:
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        await work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def decode_only(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        image.load()


async def longest_stall(work: Awaitable[object]) -> tuple[float, float]:
    """(seconds the work took, the longest the event loop went without a 5 ms tick)."""
    worst = 0.0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal worst
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            worst = max(worst, now - last - 0.005)
            last = now

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(0.02)
    started = time.perf_counter()
    await work
    took = time.perf_counter() - started
    done.set()
    await ticking
    return took, worst


async def inline(data: bytes) -> None:
    images.process(data)  # on the loop: what the worker thread spares it


async def processing(data: bytes) -> images.Processed:
    print(f"source: 4000×3000 JPEG, {len(data) / 1e6:.2f} MB")
    decode = median_seconds(lambda: decode_only(data))
    made = images.process(data)
    full = median_seconds(lambda: images.process(data))
    print(f"decode only (baseline):        {decode * 1000:7.0f} ms")
    print(f"decode + strip + 8 variants + original: {full * 1000:7.0f} ms  (median of {ROUNDS})")
    print("variants (bytes):")
    for width in sorted({v.width for v in made.variants}):
        sizes = {v.format: len(v.data) for v in made.variants if v.width == width}
        row = "  ".join(f"{fmt} {size / 1024:7.1f} KB" for fmt, size in sorted(sizes.items()))
        print(f"  {width:5d} px: {row}")
    print(f"  original ({made.original.format}, metadata stripped): "
          f"{len(made.original.data) / 1e6:.2f} MB")  # fmt: skip
    RESULTS.append(Result("photo 12 MP: decode, strip, 8 variants", full * 1000, "ms",
                          decode * 1000, "Pillow decode only"))  # fmt: skip
    return made


def phone_weight(made: images.Processed) -> None:
    print("what the article page's cover costs (the browser takes the smallest width that")
    print("covers its slot × pixel density; WebP):")
    webp = {v.width: len(v.data) for v in made.variants if v.format == "webp"}
    for name, slot, density in SCREENS:
        needed = slot * density
        width = min((w for w in webp if w >= needed), default=max(webp))
        print(f"  {name:22s} needs {needed:5d} px -> {width:5d} px, {webp[width] / 1024:6.1f} KB")
    fallback = next(v for v in made.variants if v.width == SRC_WIDTH and v.format != "webp")
    print(f"  without WebP or srcset (src {SRC_WIDTH} px {fallback.format}): "
          f"{len(fallback.data) / 1024:.1f} KB")  # fmt: skip
    phone = min(w for w in webp if w >= 390 * 2)
    RESULTS.append(Result("photo 12 MP: cover on a 390 px phone at 2x (WebP)",
                          webp[phone] / 1024, "KB", len(fallback.data) / 1024,
                          f"{SRC_WIDTH} px {fallback.format} without srcset"))  # fmt: skip


async def upload(data: bytes) -> None:
    client = make_client(MONGO_URL)
    name = f"bench_photos_{uuid.uuid4().hex[:8]}"
    try:
        library = build_photos(client[name])
        text = PhotoText("Ảnh thử", "Ảnh thử")
        took = await median_async(lambda: library.upload(data, "bench.jpg", text, "bench"))
        print(f"upload (process in a thread + GridFS writes + record): {took * 1000:7.0f} ms")
        threaded = await longest_stall(library.upload(data, "bench.jpg", text, "bench"))
        blocking = await longest_stall(inline(data))
        print(f"event loop's longest stall during an upload: {threaded[1] * 1000:5.1f} ms "
              f"(baseline, processing on the loop: {blocking[1] * 1000:5.0f} ms)")  # fmt: skip
        RESULTS.append(Result("photo 12 MP: upload, processed and stored in GridFS",
                              took * 1000, "ms"))  # fmt: skip
        RESULTS.append(Result("photo 12 MP: event loop's longest stall while uploading",
                              threaded[1] * 1000, "ms", blocking[1] * 1000,
                              "processing on the loop"))  # fmt: skip
        await bucket_reads(client[name])
    finally:
        await client.drop_database(name)
        await client.close()


async def bucket_reads(db: object) -> None:
    from pymongo.asynchronous.database import AsyncDatabase

    assert isinstance(db, AsyncDatabase)
    files = GridFSFiles(db, bucket="bench")
    bucket = AsyncGridFSBucket(db, bucket_name="bench")
    payload = os.urandom(FILLER_BYTES)
    await files.put("probe", payload[:120_000], "image/webp")
    print("reading one 120 KB file from FerretDB, median ms:")
    print("  files in bucket   by _id (ours)   driver bucket (files_id)")
    stored = 0
    for size in BUCKET_SIZES:
        while stored < size:
            await files.put(f"filler-{stored}", payload, "image/jpeg")
            stored += 1

        async def driver() -> bytes:
            stream = await bucket.open_download_stream("probe")
            return await stream.read()

        ours = await median_async(lambda: files.get("probe"))
        theirs = await median_async(driver)
        print(f"  {size + 1:15d}   {ours * 1000:13.1f}   {theirs * 1000:24.1f}")


async def main() -> None:
    images.guard_decoder()
    print(f"photos benchmark, {os.cpu_count()} CPUs, Pillow {PIL.__version__}")
    data = photo_like(4000, 3000)
    made = await processing(data)
    phone_weight(made)
    await upload(data)
    publish(RESULTS)
    print("Next: docs/photos.md keeps these figures; rerun after changing images.py.")


if __name__ == "__main__":
    asyncio.run(main())
