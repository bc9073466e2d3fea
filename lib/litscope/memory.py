"""Where the papers' columns are allocated, and handing memory that big steps freed back
to the operating system.

Reading a million papers or scanning their text frees hundreds of MiB of decoding and
matching buffers. Both allocators keep freed memory for reuse: Arrow's pool (mimalloc) and
glibc's malloc (NumPy's arrays, numba's), which returns the top of its heaps only. What
they keep counts in the process's resident size, and the next big step adds to it instead
of reusing it when the sizes do not fit. `release()` returns it after such a step, for a
few milliseconds (it does nothing after small steps, see `BIG`); what it saves on a big
store is in benchmarks/RESULTS.md, "Design figures".
"""
from __future__ import annotations

import ctypes
import ctypes.util
import sys

import pyarrow as pa


def _trim():
    """glibc's malloc_trim, or None elsewhere (macOS, Windows, musl)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):
        return None


_MALLOC_TRIM = _trim()
#: Bytes of data a step must have handled before `release` is worth its few milliseconds.
BIG = 64 << 20


def reading_pool() -> pa.MemoryPool:
    """The pool the papers are read into (`litscope.schema.read_parquet`): jemalloc where
    pyarrow has it (Linux and macOS wheels), else the system allocator. On a big store
    jemalloc reads faster, peaks lower and keeps less after the read than the system
    allocator and Arrow's default mimalloc (benchmarks/RESULTS.md, "Design figures")."""
    global _JEMALLOC_TOLD
    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:          # pragma: no cover - pyarrow built without jemalloc
        return pa.system_memory_pool()
    if not _JEMALLOC_TOLD:
        pa.jemalloc_set_decay_ms(0)
        _JEMALLOC_TOLD = True
    return pool


#: Whether jemalloc was told to hand freed pages back at once. pyarrow's jemalloc keeps
#: them (and its `release_unused` did not hand them back: see benchmarks/RESULTS.md,
#: "Design figures"); `litscope.gather.take_all` frees the papers
#: chunk by chunk while their sorted copy grows, and needs the room at once.
_JEMALLOC_TOLD = False


def release(handled: int) -> None:
    """Return the memory the allocators hold unused to the operating system, after a step
    that handled `handled` bytes of data; nothing after a small one (under `BIG`)."""
    if handled < BIG:
        return
    pa.default_memory_pool().release_unused()
    if _JEMALLOC_TOLD:                   # the reading pool was used
        reading_pool().release_unused()
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)
