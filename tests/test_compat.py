"""litscope.compat: each private or process-wide API litscope uses, checked for what
litscope relies on, so that a Python or library upgrade that moves one fails here by name."""
from __future__ import annotations

import re

import numpy as np
import pytest

from litscope import compat


def test_sre_unicode_tolower_is_res_simple_lower_case():
    assert compat.unicode_tolower(ord("A")) == ord("a")
    assert compat.unicode_tolower(ord("Σ")) == ord("σ")
    assert compat.unicode_tolower(ord("ß")) == ord("ß")          # simple case mapping only
    for char in "AÉΣİK":
        assert re.fullmatch(re.escape(chr(compat.unicode_tolower(ord(char)))), char, re.IGNORECASE)


def test_casefix_extra_cases_hold_the_equivalences_re_ignorecase_adds():
    assert ord("ſ") in compat.EXTRA_CASES[ord("s")]             # long s matches s
    assert ord("ς") in compat.EXTRA_CASES[ord("σ")]             # final sigma matches sigma
    for lower, extra in compat.EXTRA_CASES.items():
        for other in extra:
            assert re.fullmatch(re.escape(chr(other)), chr(lower), re.IGNORECASE)


def test_sre_parser_parses_into_the_items_tokens_reads():
    p = compat.sre_parser
    items = list(p.parse(r"\befficien(t|cy)\b(?!\w)", re.IGNORECASE))
    assert items[0] == (p.AT, p.AT_BOUNDARY)
    assert items[1] == (p.LITERAL, ord("e"))
    subpattern = next(arg for op, arg in items if op == p.SUBPATTERN)
    assert subpattern[3][0][0] == p.BRANCH
    assert items[-1][0] == p.ASSERT_NOT and list(items[-1][1][1]) == \
        [(p.IN, [(p.CATEGORY, p.CATEGORY_WORD)])]
    assert p.parse(r"(?a)x").state.flags & re.ASCII


def test_arxiv_feed_builds_a_result_from_an_atom_entry():
    import arxiv
    from lxml import etree
    entry = etree.fromstring(
        b'<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">'
        b"<entry><id>http://arxiv.org/abs/2512.04752v2</id><updated>2025-12-05T10:00:00Z</updated>"
        b"<published>2025-12-04T10:00:00Z</published><title>RLHFSpec</title><summary>An abstract.</summary>"
        b"<author><name>Siqi Wang</name></author>"
        b'<link href="http://arxiv.org/abs/2512.04752v2" rel="alternate" type="text/html"/>'
        b'<arxiv:primary_category term="cs.LG"/><category term="cs.LG"/></entry></feed>')[0]
    result = compat.build_result(entry)
    assert isinstance(result, arxiv.Result)
    assert result.entry_id == "http://arxiv.org/abs/2512.04752v2" and result.title == "RLHFSpec"
    assert [a.name for a in result.authors] == ["Siqi Wang"] and result.primary_category == "cs.LG"
    assert result.published.year == 2025


@pytest.mark.slow
def test_numba_memcpy_copies_bytes_between_arrays():
    import numba
    memcpy = compat.numba_memcpy()

    @numba.njit
    def copy(dst, at, src, lo, n):
        memcpy(dst, at, src, lo, n)

    src, dst = np.frombuffer(b"abcdefgh", np.uint8).copy(), np.zeros(6, np.uint8)
    copy(dst, np.int64(1), src, np.int64(2), np.int64(4))
    assert bytes(dst) == b"\0cdef\0"
    assert compat.numba_memcpy() is memcpy


def test_arrow_pool_swaps_the_process_wide_pool_and_restores_it():
    import pyarrow as pa
    before = pa.default_memory_pool().backend_name
    other = pa.system_memory_pool()
    with compat.arrow_pool(other):
        assert pa.default_memory_pool().backend_name == other.backend_name
        used = other.bytes_allocated()
        array = pa.array(["x" * 1000] * 100)
        assert other.bytes_allocated() > used
    assert pa.default_memory_pool().backend_name == before
    with pytest.raises(RuntimeError), compat.arrow_pool(other):
        raise RuntimeError
    assert pa.default_memory_pool().backend_name == before
    del array


@pytest.mark.parametrize("proxy", [None, "http://127.0.0.1:9"])
def test_httpx_transport_pool_is_replaced_by_one_on_our_backend(proxy):
    import httpcore
    import httpx
    backend = httpcore.SyncBackend()
    transport = httpx.HTTPTransport(proxy=proxy)
    compat.replace_connection_pool(transport, backend, proxy)
    pool = transport._pool
    assert isinstance(pool, httpcore.HTTPProxy if proxy else httpcore.ConnectionPool)
    assert pool._network_backend is backend


def test_the_http_clients_sockets_keep_the_deadline(arxiv_server):
    """End to end: a transport whose pool compat rebuilt still answers over real HTTP."""
    from litscope.net import BoundedTransport, Limits
    import httpx
    transport = BoundedTransport(Limits(deadline=10, max_bytes=1 << 20, read_timeout=5))
    with httpx.Client(transport=transport) as client:
        answer = client.get(arxiv_server.url, params={"search_query": "all:x"})
        assert answer.status_code == 200 and b"<feed" in answer.content
    assert type(transport._pool._network_backend).__name__ == "_DeadlineBackend"
