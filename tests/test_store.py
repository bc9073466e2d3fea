import sqlite3
import subprocess
import sys
import textwrap

from pathlib import Path

import pandas as pd
import pytest
from cli import litscope, namespaces_work, on_a_full_disk, read_only
from cuts import TOPICS, cut_positions, last_sentence_cut, seed_texts

from litscope.errors import ImportFormatError, SchemaError, StoreError
from litscope.schema import content_id, papers_frame, validate_papers
from litscope.sources.digests import parse_digest
from litscope.store import Store


def _paper(pid, version=1, **fields):
    return {"id": pid, "version": version, "title": f"Paper {pid} v{version}", "source": "test",
            "published": "2025-12-01", "updated": f"2025-12-0{version}", **fields}


def test_round_trip_and_dedupe_keeps_newest_version(store):
    counts = store.add_papers(papers_frame([_paper("2512.00001"), _paper("2512.00002")]))
    assert counts == {"added": 2, "updated": 0, "unchanged": 0, "kept_longer": 0, "cut_off": 0}
    counts = store.add_papers(papers_frame([_paper("2512.00001", 2, tldr="short")]))
    assert counts == {"added": 0, "updated": 1, "unchanged": 0, "kept_longer": 0, "cut_off": 0}
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
    assert store.add_papers(df) == {"added": 0, "updated": 0, "unchanged": 1, "kept_longer": 0, "cut_off": 0}


ABSTRACT = ("Large language models (LLMs) have demonstrated remarkable abilities.\nWe release "
            "Instella, a family of fully open models. Instella-Math reasons better.")


def test_a_copy_cut_short_never_shortens_the_stored_text(store):
    """A newer copy may add fields and a version, but a title, abstract or summary that is
    the stored one cut short (or cut and closed with "...") keeps the stored one, and says so."""
    store.add_papers(papers_frame([_paper("2511.10628", title="Instella: Fully Open Models",
                                          abstract=ABSTRACT, tldr="Open 3B models.")]))
    cut = _paper("2511.10628", 2, title="Instella: Fully Open", abstract=ABSTRACT[:50],
                 tldr="Open 3B models.", topic="LLM")
    counts = store.add_papers(papers_frame([cut]))
    assert (counts["updated"], counts["kept_longer"]) == (1, 1)
    assert counts.kept == {"2511.10628": ["title", "abstract"]}
    assert counts.notes() == ["2511.10628: kept the longer title and abstract in the store (the "
                              "new copy's is cut short)"]
    row = store.papers().iloc[0]
    assert (row["version"], row["topic"]) == (2, "LLM")                 # what it added is kept
    assert row["abstract"] == ABSTRACT and row["title"] == "Instella: Fully Open Models"
    bot = _paper("2511.10628", 2, abstract=ABSTRACT.replace("\n", " ")[:90] + " ...",
                 title="Instella: Fully Open Models", topic="LLM")
    assert store.add_papers(papers_frame([bot]))["kept_longer"] == 1    # a digest's "..." too
    assert store.papers().iloc[0]["abstract"] == ABSTRACT
    longer = _paper("2511.10628", 2, title="Instella: Fully Open Models", topic="LLM",
                    abstract=ABSTRACT + " More.")
    assert store.add_papers(papers_frame([longer]))["kept_longer"] == 0  # a longer one wins
    assert store.papers().iloc[0]["abstract"] == ABSTRACT + " More."


def test_a_content_hash_copy_cut_short_is_skipped(store):
    """A digest without ids (a topic digest) cut in its last abstract gives the paper a new
    content-hash id: it is a cut-off copy of the stored paper, not a second paper."""
    whole = {"title": "Instella", "title_derived": True, "abstract": ABSTRACT, "source": "topics:t.txt"}
    store.add_papers(papers_frame([{**whole, "id": content_id(None, ABSTRACT)}]))
    before = store.papers()
    short = ABSTRACT.split("\n")[0]
    counts = store.add_papers(papers_frame([{**whole, "id": content_id(None, short), "abstract": short},
                                            {**whole, "id": "h:0000000000000001", "abstract": "Other."}]))
    assert (counts["added"], counts["cut_off"]) == (1, 1)
    assert counts.skipped == {content_id(None, short): content_id(None, ABSTRACT)}
    assert store.count() == 2 and store.papers(ids=[before["id"][0]]).equals(before)


@pytest.mark.parametrize("name", ["000_ecb2433472e73668.txt", "001_bba050d9d3787bb2.txt",
                                  "002_baecffce6b9bd657.txt", "003_ff23a70d5ce3452c.txt", TOPICS])
@pytest.mark.slow
def test_importing_a_cut_off_digest_changes_nothing_stored(seeds_dir, store, name):
    """The store holds a digest; importing it cut off anywhere leaves the store as it was.
    For the topic digest: its last section (a digest in itself), also cut where no parser can
    see it (cuts.undetectable): the store skips what it sees to be a stored abstract cut short."""
    (text, _), *_ = seed_texts(seeds_dir, name)
    if name == TOPICS:
        text = text[text.rindex("\nLLM 预训练69 篇\n") + 1:]
    store.add_papers(parse_digest(text, name=name))
    before = store.papers()
    cuts = cut_positions(text, len(text), lines=5, spread=5, last=2)
    skipped = 0
    for cut in cuts + ([last_sentence_cut(text)] if name == TOPICS else []):
        try:
            papers = parse_digest(text[:cut], name=name)
        except ImportFormatError:
            continue                        # nothing whole in it: the import stops before the store
        counts = store.add_papers(papers)
        assert counts["added"] == counts["updated"] == 0, cut
        skipped += counts["cut_off"]
        pd.testing.assert_frame_equal(store.papers(), before)
    assert (skipped > 0) == (name == TOPICS)


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
    bad["title"] = 5                                    # a number where the title's text goes
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


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
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


# -- new, damaged, full and read-only stores: through the command line ------------------------
SAMPLE_DIGEST = "002_baecffce6b9bd657.txt"
needs_namespaces = pytest.mark.skipif(not namespaces_work(), reason="unshare -Urm is not allowed here")


def files_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.slow
def test_score_and_dedupe_on_a_new_store_give_an_empty_answer_with_a_hint(tmp_path):
    """Both used to end in a traceback (pyarrow's 'Must pass at least one table', sklearn's
    'Found array with 0 sample(s)')."""
    (tmp_path / "profile.yml").write_text("terms:\n  - decoding: 1\n", encoding="utf-8")
    score = litscope("score", "--data", "data", cwd=tmp_path)
    assert score.returncode == 0 and score.stderr == "", score.stderr
    assert "(no papers: import a digest with 'litscope import' or fetch with 'litscope fetch')" in score.stdout
    dedupe = litscope("dedupe", "--data", "data", cwd=tmp_path)
    assert dedupe.returncode == 0 and dedupe.stderr == ""
    assert dedupe.stdout.startswith(f"No papers in {tmp_path / 'data' / 'litscope.sqlite'}: import a digest")


@pytest.mark.slow
def test_a_damaged_store_is_refused_for_reading_and_writing(seeds_dir, tmp_path):
    """It used to print 'database disk image is malformed' as a traceback, and 'import'
    wrote into it and exited 0."""
    assert litscope("import", seeds_dir / SAMPLE_DIGEST, "--data", "data", cwd=tmp_path).returncode == 0
    store = tmp_path / "data" / "litscope.sqlite"
    with open(store, "r+b") as damage:
        damage.seek(store.stat().st_size // 2)
        damage.write(bytes(range(256)) * 96)
    before = store.read_bytes()
    for command in (["list"], ["import", seeds_dir / "000_ecb2433472e73668.txt"]):
        done = litscope(*command, "--data", "data", cwd=tmp_path)
        assert done.failed_cleanly(), done.stderr
        assert done.error == (f"litscope: error: {store}: the store is damaged (database disk image is "
                              f"malformed); see what is wrong with sqlite3 '{store}' 'PRAGMA integrity_check', "
                              f"then restore it from a backup, or move it away and fetch and import again")
    assert store.read_bytes() == before


@needs_namespaces
@pytest.mark.slow
def test_a_full_disk_is_one_line_and_leaves_no_temporary_file(seeds_dir, tmp_path):
    """It used to end in OperationalError and OSError tracebacks and leave a 0-byte
    temporary file in the mirror folder."""
    folder, seed = tmp_path / "review", tmp_path / "review.before"
    folder.mkdir()
    assert litscope("import", seeds_dir / "000_ecb2433472e73668.txt", "--data", seed / "data",
                    cwd=tmp_path).returncode == 0
    (seed / "profile.yml").write_text("terms:\n  - language: 1\n", encoding="utf-8")
    runs = {}
    for name, command in (("import", ["import", seeds_dir / "004_a3708f861c8db2d6.txt"]),
                          ("score", ["score"]), ("export", ["export", "--format", "csv", "--out", "all.csv"])):
        runs[name] = litscope(*command, "--data", "data", cwd=tmp_path, prefix=on_a_full_disk(folder))
        after = folder.with_name("review.after")
        assert not [f for f in files_in(after) if f.endswith(".tmp") or "/." in f or f.startswith(".")], \
            files_in(after)
    assert runs["import"].failed_cleanly(), runs["import"].stderr
    assert runs["import"].error == (f"litscope: error: {folder / 'data' / 'litscope.sqlite'}: the disk is full: "
                                    f"nothing was written; free some space and run the command again")
    assert runs["score"].returncode == 0 and "6 papers" in runs["score"].stdout, runs["score"].stderr
    assert runs["export"].failed_cleanly() and "all.csv: cannot write the export (No space left" in \
        runs["export"].error
    assert not (folder.with_name("review.after") / "all.csv").exists()


@needs_namespaces
@pytest.mark.slow
def test_a_read_only_store_can_be_read(seeds_dir, tmp_path):
    """It used to say 'unable to open database file' for every command."""
    assert litscope("import", seeds_dir / SAMPLE_DIGEST, "--data", "data", cwd=tmp_path).returncode == 0
    (tmp_path / "profile.yml").write_text("terms:\n  - language: 1\n", encoding="utf-8")
    data = tmp_path / "data"
    listed = litscope("list", "--data", data, cwd=tmp_path, prefix=read_only(data))
    assert listed.returncode == 0 and listed.stdout.count("\n") == 22, listed.stderr   # 20 and a note
    scored = litscope("score", "--data", data, cwd=tmp_path, prefix=read_only(data))
    assert scored.returncode == 0 and "of 30 papers listed" in scored.stdout, scored.stderr
    paper = Store(data).papers()["id"].iloc[0]
    tagged = litscope("tag", paper, "x", "--data", data, cwd=tmp_path, prefix=read_only(data))
    assert tagged.failed_cleanly()
    assert tagged.error == (f"litscope: error: {data / 'litscope.sqlite'}: the store is read-only here: it can "
                            f"be read but not written")
