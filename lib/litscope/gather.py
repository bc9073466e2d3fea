"""Rows of an Arrow table in a given order, in one copy, on a few threads.

A ranked frame is the papers in rank order: every string of every column moved once.
Arrow's own ``take`` first concatenates a chunked column (a second copy of it), and taking
chunk by chunk then reordering copies twice. Here each output column is allocated once at
its final size; then every input chunk copies its rows' bytes straight to their places in
it (a compiled loop that releases the GIL, chunks spread over threads), in the pool the
papers are read into (`litscope.memory.reading_pool`: faster there than in Arrow's default
pool, most of the time being first writes to fresh memory; benchmarks/RESULTS.md).
A list of strings has its strings in one run of bytes, copied at once. Strings and lists
of strings take this path; fixed-width columns go through Arrow's ``take``, and so do a
few rows (a table on screen), where the per-call overhead matters more than the copies.

`take_all` is for papers nobody else holds (read from a path for the frame): it frees
each input chunk once its rows are copied, so the input and its sorted copy are never
both in memory. Rows in rank order come from every input chunk at once, so a big string
column (the abstracts) is copied twice into one buffer laid out as the output: each input
chunk appends its rows to the stretch of `SEGMENT` ranks they go to, and is freed; then
each stretch is put in rank order in place, through a copy of it that each thread reuses.
The frame then peaks near its own size instead of twice it. Only the buffer itself is
fresh memory; copying into pieces and then into output chunks took twice as much of it
(figures: benchmarks/RESULTS.md, "Design figures").
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .compat import numba_memcpy
from .memory import BIG, reading_pool, release

#: Threads that copy chunks at once.
THREADS = min(4, os.cpu_count() or 1)
_INT32 = 2**31 - 1        # a string column this large needs 64-bit offsets: Arrow's take
_PARALLEL = 1 << 14       # rows from which the one-copy gather pays
Parts = list[tuple[np.ndarray, np.ndarray]]   # per chunk: its rows, and their places in the output
_memcpy = numba_memcpy()


@numba.njit(cache=True, nogil=True)
def _copy(src, lo, hi, dst, at):  # pragma: no cover - compiled
    """Copy src[lo[i]:hi[i]] to dst[at[i]:...] for every i."""
    for i in range(len(lo)):
        _memcpy(dst, at[i], src, lo[i], hi[i] - lo[i])


def _offsets(array: pa.Array) -> np.ndarray:
    """The offsets of a string or list array into its whole values buffer (a view)."""
    kind = np.int64 if pa.types.is_large_string(array.type) or pa.types.is_large_list(array.type) \
        else np.int32
    return np.frombuffer(array.buffers()[1], kind, len(array) + 1,
                         array.offset * np.dtype(kind).itemsize)


def _values(array: pa.Array) -> np.ndarray:
    """The whole values buffer of a string array, as bytes."""
    data = array.buffers()[2]
    return np.zeros(0, np.uint8) if data is None else np.frombuffer(data, np.uint8)


def _spans(chunks: list[pa.Array], parts: Parts, n: int) -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray]:
    """Per chunk, the value spans [start, end) of its rows in `parts`; and the offsets of
    the n gathered rows (lengths summed in output order)."""
    spans, lengths = [], np.zeros(n, np.int64)
    for chunk, (src, dst) in zip(chunks, parts):
        off = _offsets(chunk)
        start, end = off[src].astype(np.int64), off[src + 1].astype(np.int64)
        spans.append((start, end))
        lengths[dst] = end - start
    out = np.zeros(n + 1, np.int64)
    np.cumsum(lengths, out=out[1:])
    return spans, out


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The integers of the ranges [starts[i], starts[i] + lengths[i]), in order."""
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, np.int64)
    within = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(starts, lengths) + within


def _per_chunk(copy, parts: Parts) -> None:
    """Run `copy(c)` for every chunk c that gives rows, on `THREADS` threads."""
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(copy, [c for c, (src, _) in enumerate(parts) if len(src)]))


def _strings(chunks: list[pa.Array], parts: Parts, n: int, kind: pa.DataType) -> pa.Array:
    """A string array of n rows: row dst of part c is row src of chunks[c]."""
    spans, offsets = _spans(chunks, parts, n)
    buffer = pa.allocate_buffer(int(offsets[-1]), memory_pool=reading_pool())
    data = np.frombuffer(buffer, np.uint8)

    def copy(c: int) -> None:
        _copy(_values(chunks[c]), spans[c][0], spans[c][1], data, offsets[parts[c][1]])

    _per_chunk(copy, parts)
    offsets = offsets if pa.types.is_large_string(kind) else offsets.astype(np.int32)
    return pa.Array.from_buffers(kind, n, [_validity(chunks, parts, n), pa.py_buffer(offsets),
                                           buffer])


def _validity(chunks: list[pa.Array], parts: Parts, n: int) -> pa.Buffer | None:
    """The validity bitmap of the gathered rows (None: no nulls)."""
    if not any(c.null_count for c, (src, _) in zip(chunks, parts) if len(src)):
        return None
    mask = np.ones(n, bool)
    for chunk, (src, dst) in zip(chunks, parts):
        if chunk.null_count and len(src):
            mask[dst] = pc.is_valid(chunk.take(pa.array(src))).to_numpy(zero_copy_only=False)
    return pa.py_buffer(np.packbits(mask, bitorder="little"))


def _parts(lengths: tuple[int, ...], rows: np.ndarray) -> Parts:
    """Per chunk of a column with chunks of these `lengths`: which of its rows `rows` takes
    (positions in the chunk), and where they go in the output."""
    starts = np.cumsum([0, *lengths])
    which = np.searchsorted(starts, rows, side="right") - 1
    order = np.argsort(which, kind="stable")
    bounds = np.searchsorted(which[order], np.arange(len(lengths) + 1))
    return [(rows[order[lo:hi]] - starts[c], order[lo:hi])
            for c, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:]))]


@numba.njit(cache=True, nogil=True)
def _copy_lists(list_off, child_off, src, rows, dst_rows, out_elem, out_byte, out_child_off,
                out):  # pragma: no cover - compiled
    """Lists of strings: row rows[i] of a chunk becomes output row dst_rows[i], whose
    strings start at element out_elem[d] and byte out_byte[d]; a list's strings are one
    contiguous run of bytes, copied at once, and its string offsets are shifted."""
    for i in range(len(rows)):
        r, d = rows[i], dst_rows[i]
        e0, e1 = list_off[r], list_off[r + 1]
        b0, b1 = child_off[e0], child_off[e1]
        shift = out_byte[d] - b0
        at = out_elem[d]
        for k in range(e1 - e0):
            out_child_off[at + k] = child_off[e0 + k] + shift
        _memcpy(out, out_byte[d], src, b0, b1 - b0)


def _lists(chunks: list[pa.Array], parts: Parts, n: int, kind: pa.DataType) -> pa.Array:
    """A list-of-strings array of n rows (see `_strings`), its strings copied one list at
    a time; lists holding null strings take the general path (`_lists_general`)."""
    children = [c.values for c in chunks]      # the whole child: offsets are absolute
    if any(c.null_count for c in children):
        return _lists_general(chunks, parts, n, kind)
    spans, list_off = _spans(chunks, parts, n)          # element spans, output list offsets
    byte_len = np.zeros(n, np.int64)
    for child, (start, end), (_, dst) in zip(children, spans, parts):
        child_off = _offsets(child)
        byte_len[dst] = child_off[end] - child_off[start]
    out_byte = np.zeros(n + 1, np.int64)
    np.cumsum(byte_len, out=out_byte[1:])
    child_kind = kind.value_type
    wide = pa.types.is_large_string(child_kind)
    out_child_off = np.empty(int(list_off[-1]) + 1, np.int64 if wide else np.int32)
    out_child_off[-1] = out_byte[-1]
    buffer = pa.allocate_buffer(int(out_byte[-1]), memory_pool=reading_pool())
    data = np.frombuffer(buffer, np.uint8)

    def copy(c: int) -> None:
        _copy_lists(_offsets(chunks[c]), _offsets(children[c]), _values(children[c]),
                    parts[c][0], parts[c][1], list_off, out_byte, out_child_off, data)

    _per_chunk(copy, parts)
    strings_out = pa.Array.from_buffers(child_kind, len(out_child_off) - 1,
                                        [None, pa.py_buffer(out_child_off), buffer])
    return _list_array(kind, chunks, parts, list_off, strings_out)


def _lists_general(chunks: list[pa.Array], parts: Parts, n: int, kind: pa.DataType) -> pa.Array:
    """Lists of strings, some null: the lists' offsets, then their strings as one string
    column (element by element)."""
    spans, list_off = _spans(chunks, parts, n)
    values = [pc.list_flatten(c) for c in chunks]
    child = [(_ranges(start - _offsets(c)[0], end - start), _ranges(list_off[dst], end - start))
             for c, (start, end), (_, dst) in zip(chunks, spans, parts)]
    strings_out = _strings(values, child, int(list_off[-1]), kind.value_type)
    return _list_array(kind, chunks, parts, list_off, strings_out)


def _list_array(kind: pa.DataType, chunks: list[pa.Array], parts: Parts, list_off: np.ndarray,
                strings: pa.Array) -> pa.Array:
    """The gathered lists: their offsets (`_spans`), validity and strings."""
    n = len(list_off) - 1
    list_off = list_off if pa.types.is_large_list(kind) else list_off.astype(np.int32)
    return pa.Array.from_buffers(kind, n, [_validity(chunks, parts, n), pa.py_buffer(list_off)],
                                 children=[strings])


def _column(column: pa.ChunkedArray, rows: np.ndarray, parts: dict) -> pa.Array | pa.ChunkedArray:
    """`column.take(rows)` in one copy for strings and lists of strings; `parts` caches
    `_parts` per chunk layout (a table's columns usually share one)."""
    kind = column.type
    strings = pa.types.is_string(kind) or pa.types.is_large_string(kind)
    lists = (pa.types.is_list(kind) or pa.types.is_large_list(kind)) and \
        (pa.types.is_string(kind.value_type) or pa.types.is_large_string(kind.value_type))
    if not (strings or lists) or not column.num_chunks or column.nbytes >= _INT32:
        return column.take(pa.array(rows, pa.int64()))     # fixed width, or 2 GB and more
    chunks = column.chunks
    layout = tuple(len(c) for c in chunks)
    if layout not in parts:
        parts[layout] = _parts(layout, rows)
    return (_strings if strings else _lists)(chunks, parts[layout], len(rows), kind)


def _take_few(table: pa.Table, rows: np.ndarray) -> pa.Table:
    """A few rows: Arrow's take per chunk, joined and put in order (two copies of a few
    rows, and the least overhead per call)."""
    batches = table.to_batches()
    parts = [(c, src, dst) for c, (src, dst) in
             enumerate(_parts(tuple(b.num_rows for b in batches), rows)) if len(src)]
    picked = pa.Table.from_batches([batches[c].take(pa.array(src)) for c, src, _ in parts],
                                   schema=table.schema).combine_chunks()
    places = np.concatenate([np.zeros(0, np.int64), *(dst for _, _, dst in parts)])
    return picked.take(pa.array(np.argsort(places)))


def take_rows(table: pa.Table, rows: np.ndarray) -> pa.Table:
    """The rows of `table` at positions `rows`, in that order (`Table.take`, in one copy)."""
    rows = np.asarray(rows, np.int64)
    if len(rows) and (rows.min() < 0 or rows.max() >= table.num_rows):
        raise IndexError(f"row positions must lie in [0, {table.num_rows})")
    return _take_few(table, rows) if len(rows) < _PARALLEL else _gather(table, rows)


def _gather(table: pa.Table, rows: np.ndarray) -> pa.Table:
    """Many rows: each column in one copy (`_column`)."""
    parts: dict = {}
    return pa.Table.from_arrays([_column(table.column(i), rows, parts)
                                 for i in range(table.num_columns)], schema=table.schema)


def take_all(columns: list[pa.ChunkedArray], rows: np.ndarray) -> list[pa.ChunkedArray | pa.Array]:
    """Every row of `columns`, in the order `rows` (a permutation of them), freeing the
    input as it goes: `columns` must hold the only references to it, and is emptied."""
    rows = np.asarray(rows, np.int64)
    n = len(columns[0]) if columns else 0
    if len(rows) != n or (n and (rows.min() < 0 or rows.max() >= n
                                 or np.bincount(rows, minlength=n).max() > 1)):
        raise ValueError("take_all needs every row exactly once")
    parts: dict = {}
    out: list = [None] * len(columns)
    # Largest first: the abstracts are copied while the least else is held.
    for i in sorted(range(len(columns)), key=lambda i: -columns[i].nbytes):
        column, columns[i] = columns[i], None
        size = column.nbytes
        if _in_stretches(column):
            chunks = column.chunks
            del column
            out[i] = _strings_in_stretches(chunks, rows)
        else:
            out[i] = _column(column, rows, parts)
            del column
        release(size)
    columns.clear()
    return out


#: Rank positions per stretch (and output chunk) of `_strings_in_stretches`.
SEGMENT = 1 << 15


#: Bytes from which a string column is ordered through stretches; a smaller one is copied in
#: one pass, holding it and its copy at once for a moment (at 1M papers: the titles).
STRETCHED = 4 * BIG


def _in_stretches(column: pa.ChunkedArray) -> bool:
    """Whether a column is a string column big enough for the second copy to pay."""
    kind = column.type
    return (pa.types.is_string(kind) or pa.types.is_large_string(kind)) and \
        column.num_chunks > 1 and column.nbytes >= STRETCHED


def _strings_in_stretches(chunks: list[pa.Array], rows: np.ndarray) -> pa.ChunkedArray:
    """A string column's rows in the order `rows`, in chunks of `SEGMENT` ranks, in one
    buffer laid out as the output: each input chunk's rows are first appended to the
    stretch of ranks they go to (the chunk is then freed), then each stretch is put in rank
    order in place, through a copy of it (see the module docstring)."""
    kind, n = chunks[0].type, len(rows)
    starts = np.cumsum([0, *(len(c) for c in chunks)])
    lengths = np.concatenate([np.diff(_offsets(c)) for c in chunks]).astype(np.int64)
    valid = None
    if any(c.null_count for c in chunks):
        valid = np.concatenate([pc.is_valid(c).to_numpy(zero_copy_only=False) for c in chunks])
    where = np.empty(n, np.int64)
    where[rows] = np.arange(n)
    offsets = np.zeros(n + 1, np.int64)                 # of the output, over all chunks
    np.cumsum(lengths[rows], out=offsets[1:])
    bounds = offsets[np.minimum(np.arange(0, n + SEGMENT, SEGMENT), n)]   # of the stretches
    if not pa.types.is_large_string(kind) and np.diff(bounds).max(initial=0) >= _INT32:
        return _column(pa.chunked_array(chunks, kind), rows, {})
    # Where each row lands first: its stretch's rows in input order, stretch after stretch.
    grouped = np.argsort(where // SEGMENT, kind="stable")
    at = np.empty(n, np.int64)
    at[grouped] = np.cumsum(lengths[grouped]) - lengths[grouped]
    data = np.empty(int(offsets[-1]), np.uint8)
    spare: dict[int, np.ndarray] = {}                   # a stretch's copy, per thread

    def append(c: int) -> None:
        off = _offsets(chunks[c])
        _copy(_values(chunks[c]), off[:-1], off[1:], data, at[starts[c]:starts[c + 1]])
        del off
        chunks[c] = None      # the last reference: freed, and jemalloc hands it back at once

    def order(b: int) -> pa.Array:
        first, lo, hi = b * SEGMENT, int(bounds[b]), int(bounds[b + 1])
        src = rows[first:first + SEGMENT]
        copy = spare.get(threading.get_ident())
        if copy is None:
            copy = spare[threading.get_ident()] = np.empty(int(np.diff(bounds).max()), np.uint8)
        copy[:hi - lo] = data[lo:hi]
        out = offsets[first:first + len(src) + 1] - lo
        _copy(copy, at[src] - lo, at[src] - lo + lengths[src], data[lo:hi], out)
        mask = None if valid is None else pa.py_buffer(np.packbits(valid[src], bitorder="little"))
        out = out if pa.types.is_large_string(kind) else out.astype(np.int32)
        return pa.Array.from_buffers(kind, len(src), [mask, pa.py_buffer(out),
                                                      pa.py_buffer(data[lo:hi])])

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(append, range(len(chunks))))
        ordered = list(pool.map(order, range(len(bounds) - 1)))
    return pa.chunked_array(ordered, kind)
