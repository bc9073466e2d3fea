"""The store's schema, as numbered migrations kept in SQLite's ``PRAGMA user_version``.

Contract: `MIGRATIONS` is the ordered history of the store's tables; the store's
``user_version`` is the number of migrations applied to it, and `SCHEMA_VERSION` is how many
this litscope knows. `migrate` applies the missing ones in one transaction when a store
opens (all of them or none); `schema_version` refuses a store made by a newer litscope, in
one line that names the file and both versions. A change to the tables is a new function
appended here, never an edit to an old one: each one is what some shipped litscope wrote.

Stores made before the numbering say 0 (or the schema hash litscope wrote for a while,
`LEGACY_STAMPS`) whatever tables they hold, so migrations 1 to 6 are also idempotent: they
create what is missing and leave what is there. The tests build a store as each shipped
schema looked (``tests/fixtures/store_schemas/``) and open it.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Callable

from ..errors import StoreError

Migration = Callable[[sqlite3.Connection], None]


def _run(*statements: str) -> Migration:
    """A migration that runs `statements` in order (one statement each: a trigger's body
    holds semicolons, so a script is not split)."""
    def migration(con: sqlite3.Connection) -> None:
        for statement in statements:
            con.execute(statement)
    return migration


def _add_column(table: str, column: str, definition: str) -> Migration:
    """A migration that adds `column` to `table` unless it is there."""
    def migration(con: sqlite3.Connection) -> None:
        if column not in {row[1] for row in con.execute(f"PRAGMA table_info({table})")}:
            con.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
    return migration


def _steps(*migrations: Migration) -> Migration:
    def migration(con: sqlite3.Connection) -> None:
        for step in migrations:
            step(con)
    return migration


#: 1. Papers, their versions and sources, fetch windows, labels, notes and cached summaries.
_PAPERS = _run(
    """CREATE TABLE IF NOT EXISTS papers (
    id TEXT PRIMARY KEY, version INTEGER, title TEXT, title_derived INTEGER, authors TEXT,
    abstract TEXT, primary_category TEXT, categories TEXT, published TEXT, updated TEXT,
    abs_url TEXT, pdf_url TEXT, comment TEXT, journal_ref TEXT, doi TEXT, source TEXT,
    tldr TEXT, motivation TEXT, problem TEXT, analysis TEXT, method TEXT, result TEXT,
    conclusion TEXT, contribution TEXT, summary TEXT, summary_source TEXT, title_zh TEXT,
    abstract_zh TEXT, topic TEXT, subtopic TEXT, tags TEXT, external_score REAL,
    added_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS paper_versions (
    id TEXT NOT NULL, version INTEGER NOT NULL, updated TEXT, source TEXT,
    PRIMARY KEY (id, version))""",
    """CREATE TABLE IF NOT EXISTS paper_sources (
    id TEXT NOT NULL, source TEXT NOT NULL, first_seen TEXT NOT NULL,
    PRIMARY KEY (id, source))""",
    """CREATE TABLE IF NOT EXISTS fetch_windows (
    query_key TEXT NOT NULL, day TEXT NOT NULL, n_papers INTEGER NOT NULL, fetched_at TEXT NOT NULL,
    PRIMARY KEY (query_key, day))""",
    """CREATE TABLE IF NOT EXISTS labels (
    paper_id TEXT PRIMARY KEY,
    label TEXT NOT NULL CHECK (label IN ('include', 'exclude', 'maybe')),
    updated_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS notes (
    paper_id TEXT PRIMARY KEY, text TEXT NOT NULL, updated_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS summaries (
    paper_id TEXT NOT NULL, version INTEGER NOT NULL, model TEXT NOT NULL,
    prompt_version TEXT NOT NULL, kind TEXT NOT NULL, language TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    payload TEXT, error TEXT, created_at TEXT NOT NULL,
    PRIMARY KEY (paper_id, version, model, prompt_version, kind, language))""",
)

#: 2. Ids merged by ``litscope dedupe``: importing such a copy again folds it into the kept paper.
_MERGED_IDS = _run(
    """CREATE TABLE IF NOT EXISTS merged_ids (
    id TEXT PRIMARY KEY, into_id TEXT NOT NULL, merged_at TEXT NOT NULL)""",
)

#: 3. Fetch windows that may still change; the listing feeds' announcements; OAI-PMH checkpoints.
_ANNOUNCEMENTS = _steps(
    _add_column("fetch_windows", "complete", "INTEGER NOT NULL DEFAULT 1"),
    _run("""CREATE TABLE IF NOT EXISTS announcements (
    id TEXT NOT NULL, day TEXT NOT NULL, type TEXT NOT NULL, version INTEGER,
    categories TEXT NOT NULL, fetched_at TEXT NOT NULL,
    PRIMARY KEY (id, day))""",
         """CREATE TABLE IF NOT EXISTS harvests (
    harvest_key TEXT PRIMARY KEY, token TEXT, pages INTEGER NOT NULL, records INTEGER NOT NULL,
    complete_size INTEGER, done INTEGER NOT NULL, started_at TEXT NOT NULL, updated_at TEXT NOT NULL)"""),
)

#: 4. The log of changed papers that keeps the Parquet mirror (`litscope.store.mirror`) fresh.
_CHANGES = _run(
    """CREATE TABLE IF NOT EXISTS papers_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL)""",
    """CREATE TRIGGER IF NOT EXISTS papers_inserted AFTER INSERT ON papers
    BEGIN INSERT INTO papers_changes (id) VALUES (NEW.id); END""",
    """CREATE TRIGGER IF NOT EXISTS papers_updated AFTER UPDATE ON papers
    BEGIN INSERT INTO papers_changes (id) VALUES (OLD.id), (NEW.id); END""",
    """CREATE TRIGGER IF NOT EXISTS papers_deleted AFTER DELETE ON papers
    BEGIN INSERT INTO papers_changes (id) VALUES (OLD.id); END""",
)

#: 5. The corpus version, cached vectors and the person's library. A paper's text changing
#: (or the paper going) bumps the corpus version, which keys the cached tf-idf features,
#: and drops its cached vectors; INSERT OR REPLACE only fires the insert trigger, so that
#: one drops vectors too.
_CACHES = _run(
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    "INSERT OR IGNORE INTO meta VALUES ('corpus_version', 0)",
    """CREATE TABLE IF NOT EXISTS vectors (
    paper_id TEXT NOT NULL, version INTEGER NOT NULL, model TEXT NOT NULL, vector BLOB NOT NULL,
    PRIMARY KEY (model, paper_id))""",
    """CREATE TABLE IF NOT EXISTS library (
    collection TEXT NOT NULL, item_key TEXT NOT NULL, paper_id TEXT, arxiv_id TEXT, doi TEXT,
    title TEXT NOT NULL, abstract TEXT, authors TEXT NOT NULL, year INTEGER, added TEXT,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (collection, item_key))""",
    """CREATE TRIGGER IF NOT EXISTS corpus_version_on_insert AFTER INSERT ON papers BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'corpus_version';
    DELETE FROM vectors WHERE paper_id = NEW.id;
END""",
    """CREATE TRIGGER IF NOT EXISTS corpus_version_on_text AFTER UPDATE OF title, title_derived, abstract
ON papers BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'corpus_version';
    DELETE FROM vectors WHERE paper_id = OLD.id;
END""",
    """CREATE TRIGGER IF NOT EXISTS corpus_version_on_delete AFTER DELETE ON papers BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'corpus_version';
    DELETE FROM vectors WHERE paper_id = OLD.id;
END""",
)

#: 6. The reason given with a label.
_LABEL_REASON = _add_column("labels", "reason", "TEXT")

#: The store's schema history: migration n (1-based) takes a store from version n - 1 to n.
MIGRATIONS: tuple[Migration, ...] = (_PAPERS, _MERGED_IDS, _ANNOUNCEMENTS, _CHANGES, _CACHES, _LABEL_REASON)
#: The version a store has once every migration this litscope knows is applied.
SCHEMA_VERSION = len(MIGRATIONS)
#: ``user_version`` stamps of stores made before the numbering (a hash of the schema's
#: text, written by litscope 2db5a5f), and the version each one is.
LEGACY_STAMPS = {620316437: 6}


def stamp(con: sqlite3.Connection) -> int:
    """The store's ``user_version`` as written: `SCHEMA_VERSION` when it needs no migration."""
    return con.execute("PRAGMA user_version").fetchone()[0]


def schema_version(con: sqlite3.Connection, path: Path) -> int:
    """The store's schema version; `StoreError` for one made by a newer litscope."""
    version = LEGACY_STAMPS.get(stamp(con), stamp(con))
    if version > SCHEMA_VERSION:
        raise StoreError(f"{path}: the store has schema version {version}, newer than this litscope's "
                         f"{SCHEMA_VERSION}; upgrade litscope to open it")
    return version


def migrate(con: sqlite3.Connection, path: Path) -> int:
    """Apply the migrations the store lacks, in one transaction; returns how many ran. Each
    process that opens an old store at once waits for the first, which does the work."""
    if schema_version(con, path) == SCHEMA_VERSION and stamp(con) == SCHEMA_VERSION:
        return 0
    con.execute("BEGIN IMMEDIATE")
    try:
        version = schema_version(con, path)   # another process may have migrated it meanwhile
        for migration in MIGRATIONS[version:]:
            migration(con)
        con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    return SCHEMA_VERSION - version
