"""Give the heap's free memory back to the operating system after one-off work.

Starting a service and building its OpenAPI document allocate a lot once (pydantic-core's
schemas live in the C heap) and free most of it; glibc keeps those free pages in the
process, where they count in its resident memory for ever. `malloc_trim` returns them:
measured on content, about 1 MB after the OpenAPI document alone. Nothing happens where the
C library is not glibc."""

import ctypes
import ctypes.util
import gc
from functools import cache


@cache
def _trim() -> "ctypes._NamedFuncPointer | None":
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


def release_free_memory() -> None:
    gc.collect()
    trim = _trim()
    if trim is not None:
        trim(0)
