import sqlite3
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from litscope.errors import SchemaError, StoreError
from litscope.schema import papers_frame, validate_papers


def _paper(pid, version=1, **fields):
    return {"id": pid, "version": version, "title": f"Paper {pid} v{version}", "source": "test",
            "published": "2025-12-01", "updated": f"2025-12-0{version}", **fields}


def test_round_trip_and_dedupe_keeps_newest_version(store):
    counts = store.add_papers(papers_frame([_paper("2512.00001"), _paper("2512.00002")]))
    assert counts == {"added": 2, "updated": 0, "unchanged": 0}
    counts = store.add_papers(papers_frame([_paper("2512.00001", 2, tldr="short")]))
    assert counts == {"added": 0, "updated": 1, "unchanged": 0}
    # an older version arriving later neither wins nor erases what the newer copy has
    store.add_papers(papers_frame([_paper("2512.00001", 1, topic="Agents")]))
    df = validate_papers(store.papers())
    row = df.set_index("id").loc["2512.00001"]
    assert row["version"] == 2 and row["title"] == "Paper 2512.00001 v2"
    assert row["tldr"] == "short" and row["topic"] == "Agents"
    assert row["published"] == pd.Timestamp("2025-12-01", tz="UTC")
    assert list(store.versions("2512.00001")["version"]) == [1, 2]
    assert list(store.versions("2512.00001")["updated"].str[:10]) == ["2025-12-01", "2025-12-02"]


def test_same_paper_again_is_unchanged(store):
    df = papers_frame([_paper("2512.00001", tags=["a"])])
    store.add_papers(df)
    assert store.add_papers(df) == {"added": 0, "updated": 0, "unchanged": 1}


def test_labels_notes_and_curated_fields(store):
    store.add_papers(papers_frame([_paper("2512.00001")]))
    store.set_label("2512.00001", "include")
    store.set_note("2512.00001", "read the appendix")
    store.update_fields("2512.00001", tags=["rlhf", "speculative decoding"], topic="Efficiency")
    assert store.labels()[["id", "label"]].values.tolist() == [["2512.00001", "include"]]
    assert store.notes()["note"].tolist() == ["read the appendix"]
    row = store.papers().iloc[0]
    assert row["tags"] == ["rlhf", "speculative decoding"] and row["topic"] == "Efficiency"
    store.set_label("2512.00001", None)
    assert store.labels().empty


@pytest.mark.parametrize("call, message", [
    (lambda s: s.set_label("2512.00001", "love"), "label must be one of include, exclude, maybe"),
    (lambda s: s.set_label("nope", "include"), "no paper with id 'nope'"),
    (lambda s: s.update_fields("2512.00001", title="x"), "cannot set field(s) title"),
])
def test_bad_writes_are_refused(store, call, message):
    store.add_papers(papers_frame([_paper("2512.00001")]))
    with pytest.raises(StoreError) as err:
        call(store)
    assert message in str(err.value)


def test_failed_write_leaves_store_unchanged(store):
    store.add_papers(papers_frame([_paper("2512.00001")]))
    before = store.papers()
    bad = papers_frame([_paper("2512.00002")])
    bad["title"] = bad["title"].astype(object)
    with pytest.raises(SchemaError):
        store.add_papers(bad)
    with pytest.raises(RuntimeError):
        with store.transaction() as con:
            con.execute("DELETE FROM papers")
            raise RuntimeError("crash in the middle of a write")
    pd.testing.assert_frame_equal(store.papers(), before)


def test_windows_are_marked_with_the_papers(store):
    store.add_papers(papers_frame([_paper("2512.00001")]), windows=[("cat:cs.CL", "2025-12-01", 1)])
    assert store.completed_days("cat:cs.CL") == {"2025-12-01"}
    assert store.completed_days("cat:cs.LG") == set()


WRITER = textwrap.dedent("""
    import sys
    from litscope.schema import papers_frame
    from litscope.store import Store
    store = Store(sys.argv[1])
    who = sys.argv[2]
    for i in range(60):
        store.add_papers(papers_frame([
            {"id": f"{who}-{i}", "title": f"{who} {i}", "source": who},
            {"id": f"shared-{i}", "title": f"shared {i}", "source": who, "tags": [who]},
        ]))
        store.set_label(f"{who}-{i}", "include")
""")


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    from litscope.store import Store
    data = tmp_path / "data"
    Store(data)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(data), who],
                              stderr=subprocess.PIPE, text=True) for who in ("alpha", "beta")]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    store = Store(data)
    df = store.papers()
    assert len(df) == 60 * 3
    assert len(store.labels()) == 120
    shared = df[df["id"].str.startswith("shared-")]
    assert all(sorted(tags) == ["alpha", "beta"] for tags in shared["tags"])
    with sqlite3.connect(store.path) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert set(store.sources()["source"]) == {"alpha", "beta"}


# -- the Parquet mirror of a big store --------------------------------------------------------
def _from_sqlite(store):
    """The papers as the SQLite table holds them (the mirror must say the same)."""
    return store.papers(ids=[i for (i,) in store._query("SELECT id FROM papers")])


def test_parquet_mirror_follows_every_write(sample_store, monkeypatch):
    monkeypatch.setattr(type(sample_store), "MIRROR_MIN_PAPERS", 0)
    store = sample_store
    pd.testing.assert_frame_equal(store.papers(), _from_sqlite(store))   # built from SQLite
    first = store._mirrors()
    assert len(first) == 1
    ids = store.papers()["id"].tolist()
    store.tag(ids[0], add=["mirror"])
    store.update_many({ids[1]: {"topic": "Agents"}, ids[2]: {"tldr": "short"}})
    store.add_papers(papers_frame([_paper("2512.99999", tags=["new"])]))
    merged = papers_frame(store.papers(ids=[ids[3]]).assign(title="Merged title"))
    store.merge_papers(merged, {ids[4]: ids[3]})
    with store.transaction() as con:               # a write that knows nothing of the mirror
        con.execute("UPDATE papers SET title = 'Edited by hand' WHERE id = ?", (ids[5],))
    papers = store.papers()
    pd.testing.assert_frame_equal(papers, _from_sqlite(store))
    row = papers.set_index("id")
    assert row.loc[ids[0], "tags"][-1] == "mirror" and row.loc[ids[1], "topic"] == "Agents"
    assert row.loc[ids[3], "title"] == "Merged title" and ids[4] not in row.index
    assert row.loc[ids[5], "title"] == "Edited by hand" and "2512.99999" in row.index
    assert [p for _, p in store._mirrors()] != [p for _, p in first]     # written anew ...
    assert len(store._mirrors()) == 1                                    # ... replacing the old
    assert store._query("SELECT count(*) FROM papers_changes")[0][0] == 0  # log folded in
    table = store.table(["id", "title", "authors"])
    assert table.column_names == ["id", "title", "authors"] and table.num_rows == len(papers)
    assert table["id"].to_pylist() == papers["id"].tolist()


def test_parquet_mirror_is_rebuilt_when_the_change_log_is_gone(sample_store, monkeypatch):
    monkeypatch.setattr(type(sample_store), "MIRROR_MIN_PAPERS", 0)
    store = sample_store
    store.papers()
    paper = store.papers()["id"].iloc[0]
    store.tag(paper, add=["x"])
    with store.transaction() as con:             # as if another reader folded the log in
        con.execute("DELETE FROM papers_changes")
    assert store.papers().set_index("id").loc[paper, "tags"][-1] == "x"
    with pytest.raises(StoreError, match="no column 'nope'"):
        store.table(["id", "nope"])
