import subprocess
import sys

import pandas as pd
import pytest

from litscope.errors import SchemaError
from litscope.schema import (COLUMNS, content_id, empty_papers, from_arrow, papers_frame,
                             split_arxiv_id, to_arrow, validate_papers)


def _frame():
    return papers_frame([
        {"id": "2512.04752", "version": 2, "title": "RLHFSpec", "authors": ["Siqi Wang"],
         "categories": ["cs.LG", "cs.CL"], "published": "2025-12-05", "source": "arxiv"},
        {"id": content_id("A title", "An abstract."), "title": "A title", "title_derived": True,
         "abstract": "An abstract.", "source": "topics:004.txt", "tags": ["LLM"]},
    ])


def test_frame_follows_schema_and_round_trips_through_arrow():
    df = _frame()
    assert list(df.columns) == list(COLUMNS)
    validate_papers(df)
    assert str(df["published"].dtype) == "datetime64[ns, UTC]"
    assert df["authors"].iloc[1] == [] and df["tags"].iloc[1] == ["LLM"]
    back = from_arrow(to_arrow(df))
    pd.testing.assert_frame_equal(back, df)


def test_empty_frame_validates():
    assert validate_papers(empty_papers()).empty


@pytest.mark.parametrize("mutate, message", [
    (lambda df: df.drop(columns=["title"]), "missing column(s) title"),
    (lambda df: df.assign(version=df["version"].astype(float)), "column 'version' has dtype"),
    (lambda df: df.assign(authors=["Siqi Wang", []]), "column 'authors' must hold lists"),
    (lambda df: df.assign(id=pd.array(["x", "x"], dtype="string")), "duplicate id 'x'"),
])
def test_validator_names_the_column(mutate, message):
    with pytest.raises(SchemaError, match=message.replace("(", r"\(").replace(")", r"\)")):
        validate_papers(mutate(_frame()))


def test_validator_rejects_missing_required_value():
    df = _frame()
    df.loc[0, "title"] = pd.NA
    with pytest.raises(SchemaError, match="column 'title' is empty in row 0"):
        validate_papers(df)


@pytest.mark.parametrize("text, expected", [
    ("2512.04752v1", ("2512.04752", 1)),
    ("https://arxiv.org/abs/2511.10618", ("2511.10618", None)),
    ("https://arxiv.org/pdf/2502.03429v3", ("2502.03429", 3)),
    ("hep-th/9901001v2", ("hep-th/9901001", 2)),
    ("arXiv:0704.0001", ("0704.0001", None)),
])
def test_split_arxiv_id(text, expected):
    assert split_arxiv_id(text) == expected


def test_split_arxiv_id_rejects_garbage():
    with pytest.raises(SchemaError, match="not an arXiv id"):
        split_arxiv_id("hello world")


def test_content_id_is_stable_and_ignores_case_and_punctuation():
    a = content_id("Know Your Limits", "Language prediction is constrained.")
    assert a == content_id("know your limits!", "language  prediction is constrained")
    assert a.startswith("h:") and len(a) == 18
    assert a != content_id("Know Your Limits", "Another abstract")


# -- take_rows: rows in a given order, in one copy -------------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402

from litscope import gather, schema  # noqa: E402
from litscope.schema import take_rows  # noqa: E402

_TEXT = st.one_of(st.none(), st.text(st.sampled_from("ab é中\n"), max_size=6))


@st.composite
def _chunked_tables(draw):
    n = draw(st.integers(0, 30))
    table = pa.table({
        "s": pa.array(draw(st.lists(_TEXT, min_size=n, max_size=n)), pa.string()),
        "big": pa.array(draw(st.lists(_TEXT, min_size=n, max_size=n)), pa.large_string()),
        "l": pa.array(draw(st.lists(st.one_of(st.none(), st.lists(_TEXT, max_size=3)),
                                    min_size=n, max_size=n)), pa.list_(pa.string())),
        # lists without null strings: copied a list at a time (the authors' path)
        "authors": pa.array(draw(st.lists(st.one_of(st.none(), st.lists(_TEXT.filter(bool), max_size=3)),
                                          min_size=n, max_size=n)), pa.large_list(pa.large_string())),
        "i": pa.array(draw(st.lists(st.one_of(st.none(), st.integers(-5, 5)), min_size=n,
                                    max_size=n)), pa.int64()),
    })
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=3)))
    pieces = [table.slice(a, b - a) for a, b in zip([0, *cuts], [*cuts, n])]
    rows = draw(st.lists(st.integers(0, n - 1), max_size=40)) if n else []
    return pa.concat_tables(pieces), np.array(rows, np.int64)


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(_chunked_tables())
def test_take_rows_equals_arrows_take_on_chunked_tables_with_nulls(case):
    table, rows = case
    want = table.take(pa.array(rows, pa.int64()))
    for take in (take_rows, gather._take_few, gather._gather):   # a few rows; many rows
        got = take(table, rows)
        got.validate(full=True)
        assert got.equals(want), take


@pytest.mark.slow
@settings(max_examples=80, deadline=None)
@given(_chunked_tables(), st.integers(1, 5), st.randoms(use_true_random=False))
def test_take_all_equals_arrows_take_and_empties_what_it_was_handed(case, segment, rng):
    table, _ = case
    rows = np.array(rng.sample(range(len(table)), len(table)), np.int64)
    want = table.take(pa.array(rows, pa.int64()))
    handed = list(table.columns)
    with pytest.MonkeyPatch.context() as patch:   # every string column through stretches
        patch.setattr(gather, "STRETCHED", 0)
        patch.setattr(gather, "SEGMENT", segment)
        got = pa.Table.from_arrays(gather.take_all(handed, rows), schema=table.schema)
    got.validate(full=True)
    assert got.equals(want)
    assert handed == []


@pytest.mark.slow
def test_take_all_frees_the_input_as_it_copies(tmp_path):
    from litscope.memory import reading_pool
    n = 40_000
    table = pa.table({"id": [f"p{i}" for i in range(n)],
                      "abstract": [f"abstract {i} " * 30 for i in range(n)]})
    path = tmp_path / "papers.parquet"
    pq.write_table(table, path, row_group_size=5_000)
    pool = reading_pool()
    before = pool.bytes_allocated()
    with pytest.MonkeyPatch.context() as patch:   # read into the machinery's pool at any size
        patch.setattr(schema, "MACHINERY_ROWS", 0)
        read = read_parquet([path])
    size = read.nbytes
    assert read.column("abstract").nbytes > 1 << 20 and read.column(1).num_chunks == 8
    assert pool.bytes_allocated() - before > size * 0.9       # the input is in that pool
    rows = np.random.default_rng(0).permutation(n)
    handed = list(read.columns)
    del read
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(gather, "STRETCHED", 1 << 20)
        out = pa.Table.from_arrays(gather.take_all(handed, rows), names=["id", "abstract"])
    assert out.equals(table.take(pa.array(rows)))
    # The input is gone from the pool it was read into.
    assert pool.bytes_allocated() - before < size * 0.5   # the copy is NumPy's; kept, the input is ~size
    assert out.column("abstract").num_chunks == -(-n // gather.SEGMENT)


def test_take_all_needs_a_permutation():
    for rows in ([0, 0], [0], [1, 2]):
        with pytest.raises(ValueError, match="every row exactly once"):
            gather.take_all([pa.chunked_array([["a", "b"]])], np.array(rows))


def test_take_rows_refuses_positions_outside_the_table():
    with pytest.raises(IndexError):
        take_rows(pa.table({"s": ["a", "b"]}), np.array([0, 2]))


# -- read_parquet: the papers in their own pool, the default pool left as it was ----------
from litscope.schema import read_parquet  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402


def test_read_parquet_allocates_in_the_reading_pool_and_restores_the_default(tmp_path, monkeypatch):
    from litscope import schema
    from litscope.memory import reading_pool
    monkeypatch.setattr(schema, "MACHINERY_ROWS", 5000)      # a big store, as far as reading goes
    table = pa.table({"id": [f"p{i}" for i in range(5000)], "abstract": ["text " * 40] * 5000})
    path = tmp_path / "papers.parquet"
    pq.write_table(table, path, row_group_size=1000)
    before = pa.default_memory_pool().backend_name
    read = read_parquet([path])
    assert read.equals(table)
    assert pa.default_memory_pool().backend_name == before
    assert reading_pool().backend_name != before
    assert reading_pool().bytes_allocated() >= read.nbytes   # the table lives there
    seen = []

    def failing(self, *args, **kwargs):        # a row group that fails while decoding
        seen.append(pa.default_memory_pool().backend_name)
        raise OSError("corrupt page")

    monkeypatch.setattr(pq.ParquetFile, "read_row_group", failing)
    with pytest.raises(OSError, match="corrupt page"):
        read_parquet([path])
    assert seen and set(seen) == {reading_pool().backend_name}
    assert pa.default_memory_pool().backend_name == before


@pytest.mark.slow
def test_a_small_store_is_read_and_taken_without_the_machinery(tmp_path):
    """Below `MACHINERY_ROWS`: Arrow's default pool, Arrow's take, and neither numba nor
    `litscope.gather` imported (a fresh process, as a notebook starts)."""
    code = f"""
import sys
import numpy as np, pyarrow as pa, pyarrow.parquet as pq
from litscope import schema
table = pa.table({{"id": [f"p{{i}}" for i in range(5000)], "abstract": ["text " * 40] * 5000}})
pq.write_table(table, {str(tmp_path / "small.parquet")!r}, row_group_size=1000)
used = pa.default_memory_pool().bytes_allocated()
read = schema.read_parquet([{str(tmp_path / "small.parquet")!r}])
assert pa.default_memory_pool().bytes_allocated() - used >= read.nbytes, "not in the default pool"
rows = np.random.default_rng(0).permutation(len(read))
want = table.take(pa.array(rows))
assert schema.take_rows(read, rows).equals(want)
handed = list(read.columns)
assert pa.Table.from_arrays(schema.take_all(handed, rows), names=read.column_names).equals(want)
assert handed == []
print(sorted(m for m in ("numba", "litscope.gather") if m in sys.modules))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_big_store_is_taken_in_one_copy(monkeypatch):
    from litscope import schema
    calls = []
    monkeypatch.setattr(schema, "MACHINERY_ROWS", 3)
    monkeypatch.setattr(gather, "_gather", lambda table, rows: calls.append(len(rows)) or table.take(rows))
    table = pa.table({"s": ["a", "b", "c", "d"]})
    rows = np.arange(4)[::-1].copy()
    with monkeypatch.context() as patch:
        patch.setattr(gather, "_PARALLEL", 1)
        assert schema.take_rows(table, rows).column("s").to_pylist() == ["d", "c", "b", "a"]
    assert calls == [4]
    assert pa.Table.from_arrays(schema.take_all(list(table.columns), rows), names=["s"]).column(
        "s").to_pylist() == ["d", "c", "b", "a"]
    assert schema.take_rows(table.slice(0, 2), np.array([1])).column("s").to_pylist() == ["b"]


def test_release_runs_where_there_is_no_malloc_trim(monkeypatch):
    from litscope import memory
    monkeypatch.setattr(memory, "_MALLOC_TRIM", None)
    memory.release(memory.BIG)             # Arrow's pools only; no error
    assert memory._trim() is not None or not memory.sys.platform.startswith("linux")


def test_scorer_hands_memory_back_only_after_big_scans(monkeypatch):
    from litscope import memory
    from litscope.score.engine import Scorer
    from litscope.score.profile import Profile
    calls = []
    monkeypatch.setattr(memory, "_MALLOC_TRIM", lambda pad: calls.append(pad))
    papers = pa.table({"id": ["a", "b"], "title": ["LLM serving", "RL"], "abstract": ["x", "y"]})
    profile = Profile.model_validate({"terms": ["LLM", "RL"]})
    Scorer(profile, progress=False).fit(papers).add_term("serving")
    assert calls == []                               # two papers: not worth a trim
    monkeypatch.setattr(memory, "BIG", 0)
    Scorer(profile, progress=False).fit(papers).add_term("serving")
    assert len(calls) >= 3                           # per field scanned, after fit, after add


@pytest.mark.slow
def test_every_stage_takes_the_frame_score_returns_for_a_parquet_path(tmp_path):
    """The README's chain: score a Parquet file, then publish, export, show, digest, store,
    summarise and sort into topics the Arrow-backed frame it returns."""
    import pyarrow.parquet as pq

    import litscope
    from litscope.curate.topics import cluster_topics
    from litscope.publish.digest import render_digest
    from litscope.schema import conform_papers
    from litscope.store import Store

    sample = litscope.load_sample().head(120)
    pq.write_table(to_arrow(sample), tmp_path / "papers.parquet")
    profile = tmp_path / "profile.yml"
    profile.write_text("terms:\n  - agent: 2\n  - quantization: 2\nmin_score: null\n", encoding="utf-8")
    ranked = litscope.score(tmp_path / "papers.parquet", profile)
    assert isinstance(ranked["id"].dtype, pd.ArrowDtype) and isinstance(ranked["authors"].dtype, pd.ArrowDtype)
    assert validate_papers(ranked) is ranked
    plain = conform_papers(ranked)
    assert plain["id"].dtype == "string" and plain["authors"].map(type).eq(list).all()
    assert conform_papers(plain) is plain                        # already in the schema's dtypes: as it is
    pd.testing.assert_frame_equal(plain[list(COLUMNS)], conform_papers(sample.set_index("id").loc[
        plain["id"]].reset_index())[list(COLUMNS)], check_like=True)

    report = litscope.build_site(ranked, tmp_path / "site")
    assert report.n_papers == 50 and ranked["id"].iloc[0] in (tmp_path / "site" / "sections.json").read_text()
    best = ranked.head(5)
    for fmt in ("bibtex", "ris", "csv", "jsonl"):
        assert best["id"].iloc[0] in litscope.export(best, fmt)
    assert litscope.show(best)._repr_markdown_().count('class="litscope-card"') == 5
    assert best["id"].iloc[0] in render_digest(best, "daily")
    store = Store(tmp_path / "data")
    assert store.add_papers(best)["added"] == 5
    assert len(litscope.summarize(best, None, store, progress=False)) == 5
    assert len(cluster_topics(ranked, k=3)) == len(ranked)


def test_validator_checks_what_arrow_columns_hold():
    import pyarrow as pa
    df = _frame()
    arrow = pd.ArrowDtype(pa.string())
    with pytest.raises(SchemaError, match="column 'version' has dtype string\\[pyarrow\\], expected an integer"):
        validate_papers(df.assign(version=pd.Series(["1", "2"], dtype=arrow)))
    with pytest.raises(SchemaError, match="column 'tags' must hold lists of strings"):
        validate_papers(df.assign(tags=pd.Series([[1], [2]], dtype=pd.ArrowDtype(pa.list_(pa.int64())))))
    assert validate_papers(df.assign(title=df["title"].astype(arrow))) is not None
