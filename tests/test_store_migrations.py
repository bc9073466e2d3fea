"""Numbered schema migrations: every store an earlier litscope shipped opens with its data
intact; a store from a newer litscope is refused in one line; a failed migration changes
nothing. The fixtures are the tables each shipped schema had, as SQLite reports them for a
store made by that commit (``tests/fixtures/store_schemas/schema_<n>.sql``)."""
import json
import sqlite3
from pathlib import Path

import pytest
from cli import litscope, namespaces_work, read_only

from litscope.errors import StoreError
from litscope.schema import COLUMNS, papers_frame
from litscope.store import SCHEMA_VERSION, Store, migrations

SCHEMAS = Path(__file__).parent / "fixtures" / "store_schemas"
SHIPPED = sorted(int(p.stem.removeprefix("schema_")) for p in SCHEMAS.glob("schema_*.sql"))
PAPER = "2401.00001"
needs_namespaces = pytest.mark.skipif(not namespaces_work(), reason="unshare -Urm is not allowed here")


def _old_store(folder: Path, schema: int, stamp: int = 0) -> Path:
    """A store as litscope wrote it at `schema`, holding one of everything that schema keeps."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "litscope.sqlite"
    con = sqlite3.connect(path)
    con.executescript((SCHEMAS / f"schema_{schema}.sql").read_text())
    values = {c: None for c in COLUMNS} | {
        "id": PAPER, "version": 2, "title": "An old paper", "title_derived": 0, "authors": '["Ada"]',
        "abstract": "Stored before the numbering.", "categories": '["cs.CL"]', "tags": '["kept"]',
        "published": "2024-01-01T00:00:00+00:00", "source": "arxiv", "topic": "Agents"}
    con.execute(f"INSERT INTO papers ({', '.join(values)}, added_at) VALUES "
                f"({', '.join('?' * len(values))}, '2024-01-02T00:00:00+00:00')", list(values.values()))
    con.execute("INSERT INTO paper_versions VALUES (?, 2, '2024-01-01', 'arxiv')", (PAPER,))
    con.execute("INSERT INTO paper_sources VALUES (?, 'arxiv', '2024-01-02')", (PAPER,))
    con.execute("INSERT INTO fetch_windows (query_key, day, n_papers, fetched_at) "
                "VALUES ('q', '2024-01-01', 1, '2024-01-02T00:00:00+00:00')")
    con.execute("INSERT INTO labels (paper_id, label, updated_at) VALUES (?, 'include', '2024-01-03')", (PAPER,))
    con.execute("INSERT INTO notes VALUES (?, 'read it', '2024-01-03')", (PAPER,))
    con.execute("INSERT INTO summaries VALUES (?, 2, 'm', 'p1', 'summary', 'en', 'ok', ?, NULL, '2024-01-03')",
                (PAPER, json.dumps({"tldr": "short"})))
    if schema >= 2:
        con.execute("INSERT INTO merged_ids VALUES ('2401.00009', ?, '2024-01-04')", (PAPER,))
    if schema >= 3:
        con.execute("INSERT INTO announcements VALUES (?, '2024-01-01', 'new', 2, '[\"cs.CL\"]', '2024-01-02')",
                    (PAPER,))
        con.execute("INSERT INTO harvests VALUES ('h', 'tok', 1, 1, NULL, 0, '2024-01-02', '2024-01-02')")
    if schema >= 5:
        con.execute("INSERT INTO library VALUES ('mine', 'k1', ?, ?, NULL, 'An old paper', NULL, '[]', 2024, "
                    "NULL, '2024-01-05')", (PAPER, PAPER))
    if schema >= 6:
        con.execute("UPDATE labels SET reason = 'on topic'")
    con.execute(f"PRAGMA user_version = {stamp}")
    con.commit()
    con.close()
    return path


def _shape(path: Path) -> dict[str, object]:
    """Every table's columns and every trigger's name: what a schema is made of."""
    con = sqlite3.connect(path)
    try:
        tables = [n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                            "AND name NOT LIKE 'sqlite_%'")]
        return {"tables": {t: sorted(r[1] for r in con.execute(f"PRAGMA table_info({t})")) for t in tables},
                "triggers": sorted(n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"))}
    finally:
        con.close()


def _version(path: Path) -> int:
    con = sqlite3.connect(path)
    try:
        return con.execute("PRAGMA user_version").fetchone()[0]
    finally:
        con.close()


def test_the_fixtures_are_every_shipped_schema_and_the_last_is_todays(tmp_path):
    assert SHIPPED == list(range(1, SCHEMA_VERSION + 1))
    fresh = Store(tmp_path / "fresh")
    assert _version(fresh.path) == SCHEMA_VERSION
    assert _shape(fresh.path) == _shape(_old_store(tmp_path / "last", SCHEMA_VERSION))
    # a new paper column needs a migration: the store must hold every column of the schema
    assert set(_shape(fresh.path)["tables"]["papers"]) == {*COLUMNS, "added_at"}


@pytest.mark.parametrize("schema", SHIPPED)
@pytest.mark.slow
def test_a_store_of_every_shipped_schema_opens_migrated_with_its_data(tmp_path, schema):
    path = _old_store(tmp_path / "data", schema)
    store = Store(path)
    assert _version(path) == SCHEMA_VERSION
    assert _shape(path) == _shape(Store(tmp_path / "fresh").path)
    papers = store.papers()
    paper = papers.set_index("id").loc[PAPER]
    assert (paper["title"], paper["authors"], paper["tags"], paper["topic"]) == \
        ("An old paper", ["Ada"], ["kept"], "Agents")
    assert store.labels()[["id", "label", "reason"]].values.tolist() == \
        [[PAPER, "include", "on topic" if schema >= 6 else None]]
    assert store.notes()["note"].tolist() == ["read it"]
    assert store.cached_result((PAPER, 2, "m", "p1", "summary", "en"))["payload"] == {"tldr": "short"}
    assert store.completed_days("q") == {"2024-01-01"}            # old windows were all complete
    assert list(store.versions(PAPER)["version"]) == [2]
    if schema >= 3:
        assert store.harvest("h")["token"] == "tok"
        assert store.announcements()["id"].tolist() == [PAPER]
    if schema >= 5:
        assert store.library()["paper_id"].tolist() == [PAPER]
    # and it works as a store of today: the mirror, the corpus version, reasons, merges
    version = store.corpus_version()
    store.add_papers(papers_frame([{"id": "2401.00002", "title": "A new paper", "source": "arxiv"}]))
    assert store.corpus_version() > version
    assert sorted(store.table(["id"])["id"].to_pylist()) == [PAPER, "2401.00002"]
    store.set_label("2401.00002", "exclude", reason="off topic")
    assert store.labels().set_index("id").loc["2401.00002", "reason"] == "off topic"
    if schema >= 2:   # a copy merged away before still folds into the kept paper
        store.add_papers(papers_frame([{"id": "2401.00009", "title": "An old paper", "source": "digest"}]))
        assert "2401.00009" not in set(store.papers()["id"])


def test_opening_a_migrated_store_again_writes_nothing(tmp_path):
    path = _old_store(tmp_path / "data", 1)
    Store(path)
    files = [path, path.with_name(path.name + "-wal")]
    before = [f.read_bytes() if f.exists() else None for f in files]
    Store(path)
    assert [f.read_bytes() if f.exists() else None for f in files] == before


def test_a_store_stamped_with_the_old_schema_hash_is_the_last_shipped_schema(tmp_path):
    (stamp, version), = migrations.LEGACY_STAMPS.items()
    path = _old_store(tmp_path / "data", version, stamp=stamp)
    store = Store(path)
    assert _version(path) == SCHEMA_VERSION
    assert store.labels()["reason"].tolist() == ["on topic"]


@pytest.mark.slow
def test_a_store_from_a_newer_litscope_is_refused_in_one_line(tmp_path):
    path = _old_store(tmp_path / "data", SCHEMA_VERSION, stamp=SCHEMA_VERSION + 1)
    message = (f"{path}: the store has schema version {SCHEMA_VERSION + 1}, newer than this litscope's "
               f"{SCHEMA_VERSION}; upgrade litscope to open it")
    with pytest.raises(StoreError) as raised:
        Store(path)
    assert str(raised.value) == message
    assert _version(path) == SCHEMA_VERSION + 1                   # left as it was
    listed = litscope("list", "--data", path.parent, cwd=tmp_path)
    assert (listed.returncode, listed.error, listed.stdout) == (2, f"litscope: error: {message}", "")


@needs_namespaces
@pytest.mark.slow
def test_a_store_from_a_newer_litscope_is_refused_read_only_too(tmp_path):
    path = _old_store(tmp_path / "data", SCHEMA_VERSION, stamp=SCHEMA_VERSION + 1)
    listed = litscope("list", "--data", path.parent, cwd=tmp_path, prefix=read_only(path.parent))
    assert listed.failed_cleanly() and f"schema version {SCHEMA_VERSION + 1}, newer" in listed.error


@needs_namespaces
@pytest.mark.slow
def test_an_old_store_on_a_read_only_disk_is_read_as_it_is(tmp_path):
    path = _old_store(tmp_path / "data", SCHEMA_VERSION)
    listed = litscope("list", "--data", path.parent, cwd=tmp_path, prefix=read_only(path.parent))
    assert listed.returncode == 0 and "An old paper" in listed.stdout
    assert _version(path) == 0                                   # nothing written


def test_a_failed_migration_leaves_the_store_as_it_was(tmp_path, monkeypatch):
    path = _old_store(tmp_path / "data", 1)

    def failing(con):
        con.execute("CREATE TABLE half_done (x)")
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS, failing))
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    before = _shape(path)
    con = sqlite3.connect(path, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError):
        migrations.migrate(con, path)
    con.close()
    assert _version(path) == 0 and _shape(path) == before          # not even migration 2 stays


def test_only_the_missing_migrations_run(tmp_path, monkeypatch):
    path = _old_store(tmp_path / "data", 3)
    Store(path)
    ran = []
    monkeypatch.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS, lambda con: ran.append(7)))
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    con = sqlite3.connect(path, isolation_level=None)
    assert migrations.migrate(con, path) == 1 and ran == [7]
    assert migrations.migrate(con, path) == 0 and ran == [7]
    con.close()
    assert _version(path) == SCHEMA_VERSION + 1
