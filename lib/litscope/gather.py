"""Rows of an Arrow table in a given order, in one copy, on a few threads.

A ranked frame is the papers in rank order: every string of every column moved once.
Arrow's own ``take`` first concatenates a chunked column (a second copy of it), and taking
chunk by chunk then reordering copies twice. Here each output column is allocated once at
its final size; then every input chunk copies its rows' bytes straight to their places in
it (a compiled loop that releases the GIL, chunks spread over threads). Strings and lists
of strings take this path; fixed-width columns go through Arrow's ``take``.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Threads that copy chunks at once.
THREADS = min(4, os.cpu_count() or 1)
_INT32 = 2**31 - 1        # a string column this large needs 64-bit offsets: Arrow's take


@numba.njit(cache=True, nogil=True)
def _copy(src, src_off, src_rows, dst, dst_off, dst_rows):  # pragma: no cover - compiled
    """Copy string src_rows[i] of (src, src_off) to the place of row dst_rows[i] in (dst, dst_off)."""
    for i in range(len(src_rows)):
        lo, hi = src_off[src_rows[i]], src_off[src_rows[i] + 1]
        at = dst_off[dst_rows[i]]
        dst[at:at + hi - lo] = src[lo:hi]


def _offsets(array: pa.Array) -> np.ndarray:
    """The offsets of a string or list array (64-bit), into its whole values buffer."""
    kind = np.int64 if pa.types.is_large_string(array.type) or pa.types.is_large_list(array.type) \
        else np.int32
    buffer = array.buffers()[1]
    off = np.frombuffer(buffer, kind, len(array) + 1, array.offset * np.dtype(kind).itemsize)
    return off.astype(np.int64)


def _values(array: pa.Array) -> np.ndarray:
    """The whole values buffer of a string array, as bytes."""
    data = array.buffers()[2]
    return np.zeros(0, np.uint8) if data is None else np.frombuffer(data, np.uint8)


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The integers of the ranges [starts[i], starts[i] + lengths[i]), in order."""
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, np.int64)
    within = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(starts, lengths) + within


def _strings(chunks: list[pa.Array], parts: list[tuple[np.ndarray, np.ndarray]], n: int,
             kind: pa.DataType) -> pa.Array:
    """A string array of n rows: row dst of part c is row src of chunks[c]."""
    offsets = [_offsets(c) for c in chunks]
    lengths = np.zeros(n, np.int64)
    for off, (src, dst) in zip(offsets, parts):
        lengths[dst] = off[src + 1] - off[src]
    dst_off = np.zeros(n + 1, np.int64)
    np.cumsum(lengths, out=dst_off[1:])
    data = np.empty(int(dst_off[-1]), np.uint8)

    def copy(c: int) -> None:
        _copy(_values(chunks[c]), offsets[c], parts[c][0], data, dst_off, parts[c][1])

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(copy, range(len(chunks))))
    offsets_out = dst_off if pa.types.is_large_string(kind) else dst_off.astype(np.int32)
    return pa.Array.from_buffers(kind, n, [_validity(chunks, parts, n), pa.py_buffer(offsets_out),
                                           pa.py_buffer(data)])


def _validity(chunks: list[pa.Array], parts: list[tuple[np.ndarray, np.ndarray]],
              n: int) -> pa.Buffer | None:
    """The validity bitmap of the gathered rows (None: no nulls)."""
    if not any(c.null_count for c in chunks):
        return None
    mask = np.empty(n, bool)
    for chunk, (src, dst) in zip(chunks, parts):
        mask[dst] = pc.is_valid(chunk).to_numpy(zero_copy_only=False)[src]
    return pa.py_buffer(np.packbits(mask, bitorder="little"))


def _column(column: pa.ChunkedArray, rows: np.ndarray) -> pa.Array | pa.ChunkedArray:
    """`column.take(rows)` in one copy for strings and lists of strings."""
    kind = column.type
    strings = pa.types.is_string(kind) or pa.types.is_large_string(kind)
    lists = (pa.types.is_list(kind) or pa.types.is_large_list(kind)) and \
        (pa.types.is_string(kind.value_type) or pa.types.is_large_string(kind.value_type))
    if not (strings or lists) or not column.num_chunks or column.nbytes >= _INT32:
        return column.take(pa.array(rows, pa.int64()))     # fixed width, or 2 GB and more
    chunks = column.chunks
    starts = np.cumsum([0] + [len(c) for c in chunks])
    which = np.searchsorted(starts, rows, side="right") - 1
    parts = [(rows[which == c] - starts[c], np.flatnonzero(which == c)) for c in range(len(chunks))]
    if strings:
        return _strings(chunks, parts, len(rows), kind)
    # lists of strings: the lists' lengths, then their strings as one string column
    offsets = [_offsets(c) for c in chunks]
    lengths = np.zeros(len(rows), np.int64)
    for off, (src, dst) in zip(offsets, parts):
        lengths[dst] = off[src + 1] - off[src]
    list_off = np.zeros(len(rows) + 1, np.int64)
    np.cumsum(lengths, out=list_off[1:])
    values = [pc.list_flatten(c) for c in chunks]
    child = [(_ranges(off[src] - off[0], lengths[dst]), _ranges(list_off[dst], lengths[dst]))
             for off, (src, dst) in zip(offsets, parts)]
    strings_out = _strings(values, child, int(list_off[-1]), kind.value_type)
    list_off = list_off if pa.types.is_large_list(kind) else list_off.astype(np.int32)
    return pa.Array.from_buffers(kind, len(rows), [_validity(chunks, parts, len(rows)),
                                                   pa.py_buffer(list_off)], children=[strings_out])


def take_rows(table: pa.Table, rows: np.ndarray) -> pa.Table:
    """The rows of `table` at positions `rows`, in that order (`Table.take`, in one copy)."""
    rows = np.asarray(rows, np.int64)
    if len(rows) and (rows.min() < 0 or rows.max() >= table.num_rows):
        raise IndexError(f"row positions must lie in [0, {table.num_rows})")
    return pa.Table.from_arrays([_column(table.column(i), rows) for i in range(table.num_columns)],
                                schema=table.schema)
