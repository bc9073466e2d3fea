"""Every use of another library's private or process-wide machinery, in one place.

litscope reaches past public APIs where a measured gain or a guarantee needs it; each such
reach is here, named after what it gives, and `tests/test_compat.py` checks each on every
supported Python and library version, so that an upgrade that moves one fails there, by
name, rather than somewhere deep in scoring or fetching:

- `unicode_tolower`, `EXTRA_CASES`, `sre_parser`: how Python's `re` folds case and parses
  patterns (`_sre`, `re._casefix`, `re._parser`; ``sre_compile``/``sre_parse`` on 3.10), so
  that `litscope.score.tokens` matches exactly what a profile's regular expressions match;
- `build_result`: arxiv.py's private ``arxiv._feed._build_result``, which turns a feed
  entry into an ``arxiv.Result``, for answers litscope fetched itself with its bounded
  client (`litscope.sources.arxiv_api`);
- `numba_memcpy`: numba's low-level intrinsics (``numba.core.cgutils``), a ``memcpy`` for
  compiled loops (`litscope.gather`); numba is imported only when it is asked for;
- `arrow_pool`: Arrow's process-wide default memory pool, swapped for one read
  (`litscope.schema.read_parquet` of a big store);
- `replace_connection_pool`: httpx's private ``HTTPTransport._pool``, rebuilt with a network
  backend whose sockets keep a deadline (`litscope.net`).
"""
from __future__ import annotations

import functools
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import _sre

try:
    from re import _parser as sre_parser          # Python >= 3.11
    from re._casefix import _EXTRA_CASES as EXTRA_CASES
except ImportError:                               # pragma: no cover - Python 3.10
    import sre_parse as sre_parser  # type: ignore[no-redef]
    from sre_compile import _ignorecase_fixes as EXTRA_CASES  # type: ignore[attr-defined,no-redef]

#: Code point -> its simple lower case, as `re.IGNORECASE` computes it.
unicode_tolower: Callable[[int], int] = _sre.unicode_tolower

__all__ = ["EXTRA_CASES", "arrow_pool", "build_result", "numba_memcpy", "replace_connection_pool",
           "sre_parser", "unicode_tolower"]


def build_result(entry: Any) -> Any:
    """An ``arxiv.Result`` from a feedparser entry of arXiv's API, as arxiv.py builds it."""
    from arxiv._feed import _build_result
    return _build_result(entry)


@functools.cache
def numba_memcpy() -> Any:
    """A numba intrinsic ``memcpy(dst, dst_at, src, src_at, count)`` for 1-d byte arrays: a
    slice assignment compiles to a loop over the bytes, slower than memcpy on rows of an
    abstract's size (benchmarks/RESULTS.md, "Design figures")."""
    from numba.core import cgutils, types
    from numba.extending import intrinsic

    @intrinsic
    def memcpy(typingctx, dst, dst_at, src, src_at, count):  # pragma: no cover - compiled
        def codegen(context, builder, signature, args):
            kinds = signature.args
            pointers = []
            for array, at, kind, at_kind in ((args[0], args[1], kinds[0], kinds[1]),
                                             (args[2], args[3], kinds[2], kinds[3])):
                data = context.make_array(kind)(context, builder, array).data
                pointers.append(builder.gep(data, [context.cast(builder, at, at_kind, types.intp)]))
            size = context.cast(builder, args[4], kinds[4], types.intp)
            cgutils.raw_memcpy(builder, pointers[0], pointers[1], size, 1)
            return context.get_dummy_value()
        return types.void(dst, dst_at, src, src_at, count), codegen

    return memcpy


@contextmanager
def arrow_pool(pool: Any) -> Iterator[None]:
    """Arrow allocates in `pool` within the block: its default pool is process-wide, so
    other threads' Arrow work in that time goes there too."""
    import pyarrow as pa
    default = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(default)


def replace_connection_pool(transport: Any, network_backend: Any, proxy: str | None = None) -> None:
    """Rebuild an ``httpx.HTTPTransport``'s connection pool the way httpx builds it, with
    `network_backend` (httpx offers no way to pass one)."""
    import httpcore
    import httpx
    ssl_context = httpx.create_ssl_context()
    transport._pool = (httpcore.HTTPProxy(proxy_url=proxy, ssl_context=ssl_context,
                                          network_backend=network_backend) if proxy else
                       httpcore.ConnectionPool(ssl_context=ssl_context, network_backend=network_backend))
