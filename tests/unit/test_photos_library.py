"""The per-replica cache of variants: bounded by bytes, least recently read out first."""

from services.content.photos.library import ByteCache, new_photo_id
from services.content.photos.model import ID_PATTERN, parse_variant_path


def test_the_cache_keeps_the_most_recently_read_within_its_size() -> None:
    cache = ByteCache(capacity=800)
    for name in ("a", "b", "c"):
        cache.put(name, name.encode() * 100)
    assert cache.get("a") == b"a" * 100  # read: now the most recent
    for name in ("d", "e", "f", "g", "h", "i"):  # 900 bytes in all: one has to go
        cache.put(name, name.encode() * 100)
    assert cache.get("b") is None  # the least recently read, though put after "a"
    assert cache.get("c") is not None
    cache.put("j", b"j" * 100)
    assert cache.get("a") is None  # "c" was just read: "a" is now the oldest
    assert cache.get("c") is not None and cache.get("j") is not None


def test_a_file_too_big_for_the_cache_is_not_kept_and_a_dropped_one_is_gone() -> None:
    cache = ByteCache(capacity=800)
    cache.put("small", b"x" * 100)
    cache.put("big", b"x" * 101)  # over an eighth of the cache: it would empty it
    assert cache.get("big") is None
    cache.drop("small")
    cache.drop("never-there")
    assert cache.get("small") is None
    for n in range(8):
        cache.put(str(n), b"y" * 100)
    assert all(cache.get(str(n)) is not None for n in range(8))  # the drop freed its bytes


def test_photo_ids_are_server_made_and_fit_the_address_pattern() -> None:
    ids = {new_photo_id() for _ in range(100)}
    assert len(ids) == 100
    for photo_id in ids:
        assert parse_variant_path(f"/anh/{photo_id}/320.webp") is not None
    assert ID_PATTERN == "[0-9a-f]{20}"
