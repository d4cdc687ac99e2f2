"""Where the counter keeps what: collection and document names, and text made into keys.

The fold writes this layout and the read side reads it; both take it from here alone.
Every hot read and write goes by `_id`:
- inbox: one document per ingest flush not yet folded (random `_id`; the messages it holds,
  each with its event id, packed);
- folded_YYYYMMDD: one tombstone per folded message (`_id` = event id), by UTC day;
- folds_NNNNNN: the record of each fold (`_id` = fold sequence), a thousand per collection:
  what it counted and what it added;
- visitors_YYYYMMDD: each visitor's visits per fold and local day, to restore the sessions;
- totals: `total` (all-time figures), `summary` (what readers serve: the widget's figures,
  written whole after each fold, with the last fold applied), `baseline`;
- days: the figures of one local day (earlier versions also kept its per-article views
  here, as fields under `a`: they are still read);
- day_tables: a day's per-article views (`a`), breakdowns (breakdowns.py) and figures per
  local hour (`h`), packed in one field (storage/packed.py): thousands of names cost
  FerretDB a few milliseconds so, and hundreds as fields;
- months: one local month's figures per day (under `f`) and a version of each of its days'
  documents (under `v`: how many folds changed it), small enough to read a year of;
- rollups: a past month's breakdowns, summed from its days by a reader and kept with the
  day versions they were summed at;
- articles: all-time views per article, in a few shard documents, packed (earlier
  versions' fields under `a` are still read);
- leases: who may fold now.
"""

import string
import zlib
from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import unquote

INBOX = "inbox"
TOTALS = "totals"
DAYS = "days"
ARTICLES = "articles"
LEASES = "leases"
MONTHS = "months"
ROLLUPS = "rollups"
DAY_TABLES = "day_tables"
# Documents whose counts are packed in one field (storage/packed.py), not one field a name.
PACKED_COLLECTIONS = frozenset({DAY_TABLES, ARTICLES})

TOTAL = "total"  # in totals: the all-time figures
SUMMARY = "summary"  # in totals: what readers serve
BASELINE = "baseline"  # in totals: the imported baseline

FIGURES = ("views", "visits", "visitors", "bot_views", "other_views")
SERIES_FIGURES = ("visitors", "visits", "views")  # per hour of a day, per day of a month
HOURS = "h"  # in a day's tables: {"07:views": n}, local hours
MONTH_DAYS = "f"  # in a month: {"25": {figure: n}}, its local days
DAY_VERSIONS = "v"  # in a month: {"25": n}, folds that changed that day's document
ARTICLE_VIEWS = "a"  # the field of per-article views, in a day or an article shard
BOT_VIEWS = "bots"  # the field of bot views by agent family, in a total or a day

FOLDS_PREFIX = "folds_"
FOLDS_PER_COLLECTION = 1000
VISITORS_PREFIX = "visitors_"
TOMBSTONES_PREFIX = "folded_"
ARTICLE_SHARDS = 2


def fold_records_name(seq: int) -> str:
    """A thousand fold records per collection, so old ones go by dropping a collection."""
    return f"{FOLDS_PREFIX}{seq // FOLDS_PER_COLLECTION:06d}"


def visitors_name(day: date) -> str:
    """The visit state of one local day: dropped whole when the day is two days old."""
    return f"{VISITORS_PREFIX}{day:%Y%m%d}"


def tombstones_name(day: date) -> str:
    """The tombstones of one UTC day: dropped whole once no duplicate is expected."""
    return f"{TOMBSTONES_PREFIX}{day:%Y%m%d}"


def article_shard(article_id: str) -> str:
    """Articles' all-time views live in a few documents, so a fold writes a few, not hundreds."""
    return f"shard-{zlib.crc32(article_id.encode()) % ARTICLE_SHARDS:02d}"


def bot_path(family: str) -> str:
    """The field path of an agent family's views in a total or a day."""
    return f"{BOT_VIEWS}.{field_key(family)}"


def packed_key(group: str, name: str) -> str:
    """A count's key in a packed delta: its group (a breakdown, the hours) and its name."""
    return f"{group}:{name}"


def grouped(increments: Mapping[str, int]) -> dict[str, dict[str, int]]:
    """A packed delta's increments by group, as `add_packed` takes them."""
    result: dict[str, dict[str, int]] = {}
    for key, n in increments.items():
        group, _, name = key.partition(":")
        result.setdefault(group, {})[name] = n
    return result


def hour_key(hour: int, figure: str) -> str:
    return packed_key(HOURS, f"{hour:02d}:{figure}")


def month_day_path(day: date, figure: str) -> str:
    return f"{MONTH_DAYS}.{day.day:02d}.{figure}"


def day_version_path(day: date) -> str:
    return f"{DAY_VERSIONS}.{day.day:02d}"


def month_key(day: date) -> str:
    """The `_id` of the month document of a local day."""
    return f"{day:%Y-%m}"


SAFE_KEY_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-_")
EMPTY_KEY = "%"  # no encoded name is a lone '%'


def field_key(name: str) -> str:
    """Any text (an article id, an agent family) as a document key: total and reversible.

    Every character but ASCII letters, digits, '-' and '_' is percent-encoded byte by byte,
    so no key holds a '.', a leading '$', a NUL or anything else a database may refuse,
    whatever a client or producer sent.
    """
    if not name:
        return EMPTY_KEY
    return "".join(
        char if char in SAFE_KEY_CHARACTERS else "".join(f"%{b:02X}" for b in char.encode())
        for char in name
    )


def from_field_key(key: str) -> str:
    """The name a key stands for; also reads the keys of earlier versions, which encoded
    only '%', '.' and '$' and wrote the empty name as "%00"."""
    if key in (EMPTY_KEY, "%00"):
        return ""
    return unquote(key, errors="replace")


def decoded_counts(counts: Mapping[str, Any]) -> dict[str, int]:
    """Counts by name from counts by key; keys an earlier version encoded otherwise add up."""
    result: dict[str, int] = {}
    for key, n in counts.items():
        name = from_field_key(key)
        result[name] = result.get(name, 0) + int(n)
    return result
