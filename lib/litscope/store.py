"""The local store: one SQLite file per review, transactional and safe for several processes.

Why SQLite and not DuckDB: the store takes many tiny writes (a label per click in the
Explorer, a window mark per fetch) from several processes at once (a notebook kernel and
``litscope update``). SQLite in WAL mode lets each of them write short transactions while
the others read, and waits for the lock (``busy_timeout``); DuckDB holds a whole-file lock
per process, so an open notebook would shut the CLI out.

Reading a big store: decoding a million rows of SQLite (JSON lists, ISO dates) takes
minutes, so `Store.table` reads a Parquet copy of the papers table beside the store (the
mirror, ``litscope.papers/``). Triggers log the id of every paper any write inserts,
changes or deletes; a read that finds papers changed since the mirror was written folds
those rows in (or rebuilds it from SQLite when the log does not reach back) and writes a
new mirror, so the mirror is never stale whichever code path or process wrote.

A store that cannot be trusted is refused: before its first write, a `Store` runs SQLite's
``PRAGMA quick_check``, and every SQLite error becomes one `StoreError` line: a damaged
file (with the command that shows the damage), a full disk (nothing written, no temporary
file left), a read-only store (opened read-only: it can be read, not written).
"""
from __future__ import annotations

import bisect
import errno
import json
import os
import shutil
import sqlite3
import zlib
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence
from urllib.parse import quote

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from .decisions import LABELS, DecisionLog, PaperDecisions, replay
from .errors import StoreError
from .schema import (COLUMNS, CURATED_FIELDS, LIST_COLUMNS, PAPER_SCHEMA, SUMMARY_FIELDS,
                     TIME_COLUMNS, conform_papers, from_arrow, papers_frame, read_parquet, take_rows,
                     to_arrow, validate_papers)

STORE_FILE = "litscope.sqlite"

_SQL_TYPES = {"version": "INTEGER", "title_derived": "INTEGER", "external_score": "REAL"}
#: Text a copy of a paper may extend but never cut short (see `cut_short`).
PROSE_FIELDS = ("title", "abstract", "comment", *SUMMARY_FIELDS, "summary", "title_zh", "abstract_zh")

_TABLES = f"""
CREATE TABLE IF NOT EXISTS papers (
    {", ".join(f"{c} {_SQL_TYPES.get(c, 'TEXT')}{' PRIMARY KEY' if c == 'id' else ''}" for c in COLUMNS)},
    added_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS paper_versions (
    id TEXT NOT NULL, version INTEGER NOT NULL, updated TEXT, source TEXT,
    PRIMARY KEY (id, version)
);
CREATE TABLE IF NOT EXISTS paper_sources (
    id TEXT NOT NULL, source TEXT NOT NULL, first_seen TEXT NOT NULL,
    PRIMARY KEY (id, source)
);
CREATE TABLE IF NOT EXISTS fetch_windows (
    query_key TEXT NOT NULL, day TEXT NOT NULL, n_papers INTEGER NOT NULL, fetched_at TEXT NOT NULL,
    complete INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (query_key, day)
);
CREATE TABLE IF NOT EXISTS announcements (
    id TEXT NOT NULL, day TEXT NOT NULL, type TEXT NOT NULL, version INTEGER,
    categories TEXT NOT NULL, fetched_at TEXT NOT NULL,
    PRIMARY KEY (id, day)
);
CREATE TABLE IF NOT EXISTS harvests (
    harvest_key TEXT PRIMARY KEY, token TEXT, pages INTEGER NOT NULL, records INTEGER NOT NULL,
    complete_size INTEGER, done INTEGER NOT NULL, started_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS merged_ids (
    id TEXT PRIMARY KEY, into_id TEXT NOT NULL, merged_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS labels (
    paper_id TEXT PRIMARY KEY,
    label TEXT NOT NULL CHECK (label IN {LABELS}),
    updated_at TEXT NOT NULL,
    reason TEXT
);
CREATE TABLE IF NOT EXISTS notes (
    paper_id TEXT PRIMARY KEY, text TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS papers_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS papers_inserted AFTER INSERT ON papers
    BEGIN INSERT INTO papers_changes (id) VALUES (NEW.id); END;
CREATE TRIGGER IF NOT EXISTS papers_updated AFTER UPDATE ON papers
    BEGIN INSERT INTO papers_changes (id) VALUES (OLD.id), (NEW.id); END;
CREATE TRIGGER IF NOT EXISTS papers_deleted AFTER DELETE ON papers
    BEGIN INSERT INTO papers_changes (id) VALUES (OLD.id); END;
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY, value INTEGER NOT NULL
);
INSERT OR IGNORE INTO meta VALUES ('corpus_version', 0);
CREATE TABLE IF NOT EXISTS vectors (
    paper_id TEXT NOT NULL, version INTEGER NOT NULL, model TEXT NOT NULL, vector BLOB NOT NULL,
    PRIMARY KEY (model, paper_id)
);
CREATE TABLE IF NOT EXISTS library (
    collection TEXT NOT NULL, item_key TEXT NOT NULL, paper_id TEXT, arxiv_id TEXT, doi TEXT,
    title TEXT NOT NULL, abstract TEXT, authors TEXT NOT NULL, year INTEGER, added TEXT,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (collection, item_key)
);
-- A paper's text changing (or the paper going) bumps the corpus version, which keys the
-- cached tf-idf features, and drops its cached vectors. INSERT OR REPLACE only fires the
-- insert trigger, so that one drops vectors too.
CREATE TRIGGER IF NOT EXISTS corpus_version_on_insert AFTER INSERT ON papers BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'corpus_version';
    DELETE FROM vectors WHERE paper_id = NEW.id;
END;
CREATE TRIGGER IF NOT EXISTS corpus_version_on_text AFTER UPDATE OF title, title_derived, abstract
ON papers BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'corpus_version';
    DELETE FROM vectors WHERE paper_id = OLD.id;
END;
CREATE TRIGGER IF NOT EXISTS corpus_version_on_delete AFTER DELETE ON papers BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'corpus_version';
    DELETE FROM vectors WHERE paper_id = OLD.id;
END;
CREATE TABLE IF NOT EXISTS summaries (
    paper_id TEXT NOT NULL, version INTEGER NOT NULL, model TEXT NOT NULL,
    prompt_version TEXT NOT NULL, kind TEXT NOT NULL, language TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    payload TEXT, error TEXT, created_at TEXT NOT NULL,
    PRIMARY KEY (paper_id, version, model, prompt_version, kind, language)
);
"""


#: Kept in ``PRAGMA user_version``: a store whose tables match needs no schema write on open.
SCHEMA_VERSION = zlib.crc32(_TABLES.encode()) & 0x7FFFFFFF
#: Errors the operating system reports for a file that cannot be written where it is.
_NO_ROOM = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)


def _store_error(path: Path, exc: sqlite3.Error | OSError) -> StoreError:
    """One line for a user: what is wrong with the store at `path`, and what to do."""
    name, text = getattr(exc, "sqlite_errorname", ""), str(exc)
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text or "not a database" in text:
        return StoreError(f"{path}: the store is damaged ({text}); see what is wrong with "
                          f"sqlite3 '{path}' 'PRAGMA integrity_check', then restore it from a backup, "
                          f"or move it away and fetch and import again")
    if name.startswith("SQLITE_FULL") or getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT) \
            or "disk is full" in text or (name.startswith(("SQLITE_IOERR", "SQLITE_READONLY", "SQLITE_CANTOPEN"))
                                          and _no_room(path)):
        return StoreError(f"{path}: the disk is full: nothing was written; free some space and run "
                          f"the command again")
    if name.startswith("SQLITE_READONLY") or "readonly" in text:
        return StoreError(f"{path}: the store is read-only here: it can be read but not written")
    if "locked" in text:
        return StoreError(f"{path}: another process has held the store for over a minute; try again")
    return StoreError(f"{path}: {text}")


def _no_room(path: Path) -> bool:
    """Whether the disk under `path` is (all but) full: SQLite reports that as an I/O error
    when even its WAL index cannot grow."""
    try:
        return shutil.disk_usage(path.parent).free < (1 << 20)
    except OSError:
        return False


@contextmanager
def _translated(path: Path) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise _store_error(path, exc) from None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _encode(column: str, value: Any) -> Any:
    if column in LIST_COLUMNS:
        return json.dumps(list(value or []), ensure_ascii=False)
    if value is None or value is pd.NA or (not isinstance(value, (list, str)) and pd.isna(value)):
        return None
    if column in TIME_COLUMNS:
        return pd.Timestamp(value).isoformat()
    if column == "title_derived":
        return int(bool(value))
    if column == "version":
        return int(value)
    if column == "external_score":
        return float(value)
    return str(value)


def _prefix_form(text: str) -> str:
    """`text` as prefixes are compared: whitespace folded, a closing ellipsis dropped."""
    return " ".join(text.split()).removesuffix("...").removesuffix("…").rstrip()


def cut_short(text: str | None, whole: str | None) -> bool:
    """Whether `text` is `whole` cut off: a strict prefix of it, line breaks and a closing
    "..." aside (a digest that truncates abstracts, or a file cut in the middle)."""
    if not text or not whole:
        return False
    short, long = _prefix_form(text), _prefix_form(whole)
    return len(short) < len(long) and long.startswith(short)


def _merge(old: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Merge two copies of one paper: the newer version wins field by field, the other
    fills its gaps; tags are united and `published` keeps the earliest date. Text that is
    the other copy's cut short never wins: returns the merge and the fields in which the
    stored (longer) text was kept over the new copy's."""
    newer, older = (new, old) if (new["version"] or 0) >= (old["version"] or 0) else (old, new)
    merged = {c: newer[c] if newer[c] not in (None, "[]") else older[c] for c in COLUMNS}
    kept = [c for c in PROSE_FIELDS if cut_short(merged[c], older[c])]
    merged.update((c, older[c]) for c in kept)
    merged["tags"] = json.dumps(list(dict.fromkeys(json.loads(old["tags"]) + json.loads(new["tags"]))),
                                ensure_ascii=False)
    dates = [d for d in (old["published"], new["published"]) if d]
    merged["published"] = min(dates) if dates else None
    return merged, kept if older is old else []


class AddCounts(dict):
    """What `Store.add_papers` did: a dict of counts (``added``, ``updated``, ``unchanged``,
    ``kept_longer``, ``cut_off``) with the papers behind the last two: `kept` (paper id ->
    the fields whose stored text was kept, the new copy's being it cut short) and
    `skipped` (id of a new paper -> the stored paper whose abstract it is cut short of)."""

    def __init__(self) -> None:
        super().__init__(added=0, updated=0, unchanged=0, kept_longer=0, cut_off=0)
        self.kept: dict[str, list[str]] = {}
        self.skipped: dict[str, str] = {}

    def notes(self) -> list[str]:
        """One line per paper kept or skipped, for people."""
        return ([f"{pid}: kept the longer {' and '.join(fields)} in the store (the new copy's "
                 f"is cut short)" for pid, fields in self.kept.items()]
                + [f"{pid}: skipped as a cut-off copy of {stored} (its abstract is the stored one's, "
                   f"cut short)" for pid, stored in self.skipped.items()])


class _Abstracts:
    """The stored abstracts in prefix form, sorted, to find what a new abstract is cut from."""

    def __init__(self, con: sqlite3.Connection):
        rows = con.execute("SELECT abstract, id FROM papers WHERE abstract IS NOT NULL")
        self._sorted = sorted((_prefix_form(abstract), pid) for abstract, pid in rows)

    def extending(self, abstract: str) -> str | None:
        """The id of a stored paper whose abstract `abstract` is cut short of, if any."""
        short = _prefix_form(abstract)
        for form, pid in self._sorted[bisect.bisect_left(self._sorted, (short,)):]:
            if not form.startswith(short):
                return None
            if len(form) > len(short):
                return pid
        return None


_ORDER = " ORDER BY published DESC, id"


def _frame(rows: list[tuple]) -> pd.DataFrame:
    """Rows of the papers table as a schema-conforming DataFrame."""
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    for column in LIST_COLUMNS:
        df[column] = [json.loads(v) if v else [] for v in df[column]]
    df["title_derived"] = df["title_derived"].fillna(0).astype(bool)
    return papers_frame(df)


def _keep(table: pa.Table, mask: pa.ChunkedArray) -> pa.Table:
    """`table.filter(mask)`, copying only the batches that lose rows."""
    batches, start = [], 0
    for batch in table.to_batches():
        part = mask.slice(start, batch.num_rows)
        start += batch.num_rows
        batches.append(batch if pc.all(part).as_py() is not False else
                       batch.filter(pa.concat_arrays(part.chunks)))
    return pa.Table.from_batches(batches, schema=table.schema)


class Store:
    """The review's papers, labels, notes, summaries and fetch history.

    A store that belongs to a review project (`decisions`, or found as the project's
    ``data:`` folder) is a cache of the project's decisions (`litscope.decisions`): every
    label, note, tag and curated field set by hand is written to the project's
    ``decisions/`` files at once, and the decisions are applied to the papers the store
    holds when it opens (if the files changed) and to papers as they arrive."""

    def __init__(self, path: str | Path, *, decisions: DecisionLog | None = None):
        path = Path(path)
        self.path = path / STORE_FILE if path.suffix != ".sqlite" else path
        self.decisions = decisions if decisions is not None else _project_log(self.path.parent)
        self._checked = False
        # a store in a folder this process cannot write is opened read-only (WAL mode needs
        # its -shm file beside it, which could not be made there)
        self.read_only = self.path.is_file() and not all(os.access(p, os.W_OK) for p in (self.path.parent, self.path))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as con:
                if con.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION and not self.read_only:
                    self._check(con)
                    con.execute("PRAGMA journal_mode=WAL")
                    con.executescript(_TABLES)
                    have = {row[1] for row in con.execute("PRAGMA table_info(papers)")}
                    for column in COLUMNS:
                        if column not in have:   # a store made by an older litscope
                            con.execute(f"ALTER TABLE papers ADD COLUMN {column} "
                                        f"{_SQL_TYPES.get(column, 'TEXT')}")
                    if "complete" not in {row[1] for row in con.execute("PRAGMA table_info(fetch_windows)")}:
                        con.execute("ALTER TABLE fetch_windows ADD COLUMN complete INTEGER NOT NULL DEFAULT 1")
                    if "reason" not in {row[1] for row in con.execute("PRAGMA table_info(labels)")}:
                        con.execute("ALTER TABLE labels ADD COLUMN reason TEXT")
                    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.Error as exc:
            if self.read_only or not self.path.is_file() or not _no_room(self.path):
                raise _store_error(self.path, exc) from None
            self.read_only = True   # a full disk: WAL mode cannot even make its index; read as it is
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot open the store ({exc.strerror or exc})") from None
        if self.decisions is not None and not self.read_only:
            self._follow_decisions()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    def _connect(self) -> sqlite3.Connection:
        if self.read_only:   # with its WAL if one is left, else as a file that cannot change
            wal = self.path.with_name(self.path.name + "-wal")
            mode = "mode=ro" if wal.is_file() and wal.stat().st_size else "immutable=1"
            con = sqlite3.connect(f"file:{quote(str(self.path))}?{mode}", uri=True, timeout=60,
                                  isolation_level=None)
        else:
            con = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        con.execute("PRAGMA busy_timeout = 60000")
        con.execute("PRAGMA synchronous = FULL")
        return con

    def _check(self, con: sqlite3.Connection) -> None:
        """Refuse to write into a damaged store (once per `Store`: SQLite's quick check
        reads every page, ~1 s a GB)."""
        if not self._checked:
            if con.execute("PRAGMA quick_check(1)").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("database disk image is malformed")
            self._checked = True

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: everything inside commits together or not at all. An SQLite
        error becomes a `StoreError` line (a damaged store, a full disk, a read-only store)."""
        with _translated(self.path):
            con = self._connect()
            try:
                self._check(con)
                con.execute("BEGIN IMMEDIATE")
                yield con
                con.execute("COMMIT")
            except BaseException:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                raise
            finally:
                con.close()

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        with _translated(self.path):
            con = self._connect()
            try:
                return con.execute(sql, tuple(params)).fetchall()
            finally:
                con.close()

    # -- papers ---------------------------------------------------------------------------
    def add_papers(self, df: pd.DataFrame, *, windows: Iterable[tuple[str, str, int]] = (),
                   checked: Iterable[tuple[str, str, int, str]] = (),
                   announcements: pd.DataFrame | None = None,
                   harvest: Mapping[str, Any] | None = None) -> dict[str, int]:
        """Insert or merge papers (deduped by id, newest version kept) in one transaction.

        `windows` are (query_key, day, n_papers) fetch windows to mark complete in the
        same transaction, so a failed fetch leaves neither papers nor marks behind;
        `checked` windows (query_key, day, n_papers, fetched_at) were fetched but may still
        change: their time is kept, so that a fetch before arXiv's next announcement can
        skip them. `announcements` (columns id, day, type, version, categories) and a
        `harvest` checkpoint (see `save_harvest`) are written in the same transaction.
        Nothing stored is cut short: a title, abstract or summary that is the stored one's
        cut short keeps the stored one, and a new content-hash paper whose abstract is a
        stored one's cut short (a digest's last entry, cut off) is skipped. Returns the
        counts as an `AddCounts`, which also says which papers were kept or skipped.
        """
        df = conform_papers(df, where="papers to store")
        rows = [{c: _encode(c, v) for c, v in zip(COLUMNS, rec)}
                for rec in df[list(COLUMNS)].itertuples(index=False, name=None)]
        counts = AddCounts()
        now = _now()
        with self.transaction() as con:
            merged_into = dict(con.execute("SELECT id, into_id FROM merged_ids"))
            abstracts: _Abstracts | None = None
            for row in rows:
                if row["id"] in merged_into:   # merged by 'litscope dedupe': fold into the kept paper
                    row["id"] = merged_into[row["id"]]
                found = con.execute(f"SELECT {', '.join(COLUMNS)} FROM papers WHERE id = ?",
                                    (row["id"],)).fetchone()
                if found is None and row["id"].startswith("h:") and row["abstract"]:
                    abstracts = abstracts or _Abstracts(con)
                    if (whole := abstracts.extending(row["abstract"])) is not None:
                        counts.skipped[row["id"]] = whole
                        continue
                if found is None:
                    merged, key = row, "added"
                else:
                    old = dict(zip(COLUMNS, found))
                    merged, kept = _merge(old, row)
                    if kept:
                        counts.kept[row["id"]] = kept
                    key = "unchanged" if merged == old else "updated"
                counts[key] += 1
                if key != "unchanged":
                    con.execute(
                        f"INSERT OR REPLACE INTO papers ({', '.join(COLUMNS)}, added_at) "
                        f"VALUES ({', '.join('?' * len(COLUMNS))}, "
                        f"COALESCE((SELECT added_at FROM papers WHERE id = ?), ?))",
                        [merged[c] for c in COLUMNS] + [row["id"], now])
                if row["version"] is not None:
                    con.execute("INSERT OR IGNORE INTO paper_versions VALUES (?, ?, ?, ?)",
                                (row["id"], row["version"], row["updated"], row["source"]))
                con.execute("INSERT OR IGNORE INTO paper_sources VALUES (?, ?, ?)",
                            (row["id"], row["source"], now))
            con.executemany("INSERT OR REPLACE INTO fetch_windows VALUES (?, ?, ?, ?, ?)",
                            [(k, d, n, t, 0) for k, d, n, t in checked] + [(k, d, n, now, 1) for k, d, n in windows])
            if announcements is not None:
                con.executemany("INSERT OR REPLACE INTO announcements VALUES (?, ?, ?, ?, ?, ?)",
                                [(r.id, str(r.day), r.type, None if pd.isna(r.version) else int(r.version),
                                  json.dumps(list(r.categories)), now)
                                 for r in announcements.itertuples(index=False)])
            if harvest is not None:
                self._save_harvest(con, harvest, now)
            if self.decisions is not None:   # a fresh clone's papers get their decisions back
                self._apply(con, replay(self.decisions.read()), {row["id"] for row in rows})
        counts.update(kept_longer=len(counts.kept), cut_off=len(counts.skipped))
        return counts

    def papers(self, ids: Iterable[str] | None = None) -> pd.DataFrame:
        """All papers (or those with `ids`) as one schema-conforming DataFrame, newest
        first. A big store is read from its Parquet mirror (see `table`)."""
        if ids is None and self.count() >= self.MIRROR_MIN_PAPERS:
            return from_arrow(self.table())
        sql = f"SELECT {', '.join(COLUMNS)} FROM papers"
        params: list[str] = []
        if ids is not None:
            sql += " WHERE id IN (SELECT value FROM json_each(?))"
            params = [json.dumps(list(ids))]
        return _frame(self._query(sql + _ORDER, params))

    #: Stores with at least this many papers are read from the Parquet mirror by `papers`.
    MIRROR_MIN_PAPERS = 20_000
    #: Papers per row group of the mirror (and per batch while writing it).
    MIRROR_BATCH = 1 << 16

    def table(self, columns: Sequence[str] | None = None) -> pa.Table:
        """All papers as a pyarrow Table of `PAPER_SCHEMA` (or only `columns`), newest
        first: read from the Parquet mirror, which is brought up to date first."""
        unknown = [c for c in columns or () if c not in COLUMNS]
        if unknown:
            raise StoreError(f"no column {unknown[0]!r} in the paper schema")
        for _ in range(3):                  # another process may replace the mirror meanwhile
            try:
                mirror = self._mirror()
                return read_parquet([mirror], columns) if mirror else self._table(columns)
            except FileNotFoundError:
                continue
        raise StoreError(f"{self._mirror_dir}: the Parquet mirror keeps changing; try again")

    @property
    def _mirror_dir(self) -> Path:
        return self.path.with_name(self.path.stem + ".papers")

    def _mirrors(self) -> list[tuple[int, Path]]:
        """The mirror files as (change sequence number they include, path), oldest first."""
        found = [(int(p.stem.removeprefix("papers-")), p)
                 for p in self._mirror_dir.glob("papers-*.parquet") if p.stem[7:].isdigit()]
        return sorted(found)

    def _table(self, columns: Sequence[str] | None) -> pa.Table:
        """The papers read from SQLite itself, when no mirror can be written beside the
        store (a read-only folder, a full disk)."""
        table = to_arrow(_frame(self._query(f"SELECT {', '.join(COLUMNS)} FROM papers" + _ORDER)))
        return table if columns is None else table.select(list(columns))

    def _mirror(self) -> Path | None:
        """The mirror file, written anew first when papers changed since the newest one;
        None when it is stale and cannot be written."""
        mirrors = self._mirrors()
        with _translated(self.path):
            con = self._connect()
            try:
                con.execute("BEGIN")              # one consistent snapshot of the store
                (seq,) = con.execute("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE "
                                     "name = 'papers_changes'), 0)").fetchone()
                if mirrors and mirrors[-1][0] == seq:
                    return mirrors[-1][1]
                base = mirrors[-1] if mirrors else None
                if base is not None and con.execute("SELECT 1 FROM papers_changes WHERE seq = ?",
                                                    (base[0] + 1,)).fetchone() is None:
                    base = None                   # the log no longer reaches back to it
                if self.read_only:
                    return None
                try:
                    path = self._write_mirror(con, seq, base)
                except OSError as exc:
                    if exc.errno in _NO_ROOM:
                        return None
                    raise
                con.execute("COMMIT")
            finally:
                con.close()
        with self.transaction() as con:      # the log before the mirror is not needed
            con.execute("DELETE FROM papers_changes WHERE seq <= ?", (seq,))
        for _, old in self._mirrors():
            if old != path:
                old.unlink(missing_ok=True)
        return path

    def _write_mirror(self, con: sqlite3.Connection, seq: int,
                      base: tuple[int, Path] | None) -> Path:
        """Write the mirror of the papers as of change `seq`: from `base` and the papers
        changed since it, or from the whole table."""
        self._mirror_dir.mkdir(parents=True, exist_ok=True)
        path = self._mirror_dir / f"papers-{seq:012d}.parquet"
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            self._write_parquet(con, tmp, base)
            tmp.replace(path)
        except BaseException:
            tmp.unlink(missing_ok=True)   # a full disk leaves no temporary file behind
            raise
        return path

    def _write_parquet(self, con: sqlite3.Connection, tmp: Path, base: tuple[int, Path] | None) -> None:
        """The mirror's rows into `tmp`, in the store's order."""
        select = f"SELECT {', '.join(COLUMNS)} FROM papers"
        with pq.ParquetWriter(tmp, PAPER_SCHEMA) as writer:
            if base is None:
                (total,) = con.execute("SELECT count(*) FROM papers").fetchone()
                cursor = con.execute(select + _ORDER)
                with tqdm(total=total, unit="paper", desc=f"{self.path.name}: Parquet mirror",
                          disable=total < self.MIRROR_MIN_PAPERS) as bar:
                    while rows := cursor.fetchmany(self.MIRROR_BATCH):
                        writer.write_table(to_arrow(_frame(rows)))
                        bar.update(len(rows))
            else:
                changed = [i for (i,) in con.execute(
                    "SELECT DISTINCT id FROM papers_changes WHERE seq > ?", (base[0],))]
                table = read_parquet([base[1]])
                kept = pc.invert(pc.is_in(table["id"], pa.array(changed, pa.string())))
                rows = con.execute(select + " WHERE id IN (SELECT value FROM json_each(?))",
                                   (json.dumps(changed),)).fetchall()
                table = pa.concat_tables([_keep(table, kept), to_arrow(_frame(rows))])
                order = pc.sort_indices(table, [("published", "descending", "at_end"),
                                                ("id", "ascending", "at_end")]).to_numpy()
                for start in range(0, len(order), self.MIRROR_BATCH):
                    writer.write_table(take_rows(table, order[start:start + self.MIRROR_BATCH]))

    def count(self) -> int:
        return self._query("SELECT count(*) FROM papers")[0][0]

    def versions(self, paper_id: str) -> pd.DataFrame:
        """Every version of a paper seen so far, with its date and source."""
        rows = self._query("SELECT version, updated, source FROM paper_versions WHERE id = ? "
                           "ORDER BY version", (paper_id,))
        return pd.DataFrame(rows, columns=["version", "updated", "source"])

    def sources(self) -> pd.DataFrame:
        """Which source delivered which paper."""
        rows = self._query("SELECT id, source, first_seen FROM paper_sources ORDER BY id, source")
        return pd.DataFrame(rows, columns=["id", "source", "first_seen"])

    def merged(self) -> pd.DataFrame:
        """The ids `merge_papers` folded into another: id, the id kept, when."""
        rows = self._query("SELECT id, into_id, merged_at FROM merged_ids ORDER BY merged_at, id")
        return pd.DataFrame(rows, columns=["id", "into_id", "merged_at"])

    def merge_papers(self, merged: pd.DataFrame, absorbed: Mapping[str, str]) -> None:
        """Store merged copies of duplicates (replacing those ids) and fold each absorbed id
        into the id that kept it (``absorbed``: old id -> kept id): its sources, versions,
        label, note and cached summaries move over (the kept paper's label and cache win,
        notes are joined) and its row goes, all in one transaction."""
        validate_papers(merged, where="merged papers")
        rows = [{c: _encode(c, v) for c, v in zip(COLUMNS, rec)}
                for rec in merged[list(COLUMNS)].itertuples(index=False, name=None)]
        now = _now()
        with self.transaction() as con:
            for old in absorbed:
                self._require_paper(con, old)
            for row in rows:
                group = [row["id"], *(old for old, new in absorbed.items() if new == row["id"])]
                con.execute(
                    f"INSERT OR REPLACE INTO papers ({', '.join(COLUMNS)}, added_at) "
                    f"VALUES ({', '.join('?' * len(COLUMNS))}, COALESCE((SELECT min(added_at) "
                    f"FROM papers WHERE id IN (SELECT value FROM json_each(?))), ?))",
                    [row[c] for c in COLUMNS] + [json.dumps(group), now])
            for old, new in absorbed.items():
                for table, column in (("paper_sources", "id"), ("paper_versions", "id"),
                                      ("labels", "paper_id"), ("summaries", "paper_id")):
                    con.execute(f"UPDATE OR IGNORE {table} SET {column} = ? WHERE {column} = ?", (new, old))
                    con.execute(f"DELETE FROM {table} WHERE {column} = ?", (old,))
                con.execute("UPDATE library SET paper_id = ? WHERE paper_id = ?", (new, old))
                con.execute("INSERT INTO notes SELECT ?, text, updated_at FROM notes WHERE paper_id = ? "
                            "ON CONFLICT (paper_id) DO UPDATE SET text = notes.text || char(10, 10) "
                            "|| excluded.text", (new, old))
                con.execute("DELETE FROM notes WHERE paper_id = ?", (old,))
                con.execute("DELETE FROM papers WHERE id = ?", (old,))
                # remember the merge, so that importing the old copy again folds it in
                con.execute("UPDATE merged_ids SET into_id = ? WHERE into_id = ?", (new, old))
                con.execute("INSERT OR REPLACE INTO merged_ids VALUES (?, ?, ?)", (old, new, now))

    def update_fields(self, paper_id: str, **fields: Any) -> None:
        """Set curated fields of one paper (e.g. ``topic=...``, ``tags=[...]``) at once, as a
        decision by hand."""
        self.update_many({paper_id: fields})

    def update_many(self, updates: Mapping[str, Mapping[str, Any]], *, by_hand: bool = True) -> None:
        """Set curated fields of many papers (id -> fields) in one transaction: all or nothing.
        `by_hand`: a person's decisions, also written to the project's decisions files
        (summaries written by a program are not)."""
        bad = sorted({f for fields in updates.values() for f in fields if f not in CURATED_FIELDS})
        if bad:
            raise StoreError(f"cannot set field(s) {', '.join(bad)}: only curated fields "
                             f"({', '.join(CURATED_FIELDS)}) may be edited")
        with self.transaction() as con:
            decided = []
            for paper_id, fields in updates.items():
                version = self._version(con, paper_id)
                if fields and self.decisions is not None and by_hand:
                    decided += self._field_decisions(con, paper_id, version, fields)
                if fields:
                    con.execute(f"UPDATE papers SET {', '.join(f'{f} = ?' for f in fields)} "
                                f"WHERE id = ?", [_encode(f, v) for f, v in fields.items()] + [paper_id])
            self._decide(decided)

    def _field_decisions(self, con: sqlite3.Connection, paper_id: str, version: int | None,
                         fields: Mapping[str, Any]) -> list[dict[str, Any]]:
        decided = []
        for name, value in fields.items():
            if name == "tags":
                (old,) = con.execute("SELECT tags FROM papers WHERE id = ?", (paper_id,)).fetchone()
                old, new = json.loads(old or "[]"), list(value or [])
                decided.append(self.decisions.entry(paper_id, "tags", version,
                                                    add=[t for t in new if t not in old],
                                                    remove=[t for t in old if t not in new]))
            else:
                decided.append(self.decisions.entry(paper_id, name, version, value=_encode(name, value)))
        return decided

    def tag(self, paper_id: str, add: Iterable[str] = (), remove: Iterable[str] = ()) -> list[str]:
        """Add and remove tags of one paper in one transaction; returns its tags afterwards."""
        add, remove = [t.strip() for t in add], {t.strip() for t in remove}
        if not all(add):
            raise StoreError(f"paper {paper_id!r}: a tag must not be empty")
        with self.transaction() as con:
            version = self._version(con, paper_id)
            (old,) = con.execute("SELECT tags FROM papers WHERE id = ?", (paper_id,)).fetchone()
            tags = [t for t in dict.fromkeys([*json.loads(old or "[]"), *add]) if t not in remove]
            con.execute("UPDATE papers SET tags = ? WHERE id = ?", (_encode("tags", tags), paper_id))
            if self.decisions is not None:
                self._decide([self.decisions.entry(paper_id, "tags", version, add=add, remove=sorted(remove))])
        return tags

    def _require_paper(self, con: sqlite3.Connection, paper_id: str) -> None:
        self._version(con, paper_id)

    def _version(self, con: sqlite3.Connection, paper_id: str) -> int | None:
        """The stored version of a paper; `StoreError` when the store does not hold it."""
        found = con.execute("SELECT version FROM papers WHERE id = ?", (paper_id,)).fetchone()
        if found is None:
            raise StoreError(f"no paper with id {paper_id!r} in {self.path}")
        return found[0]

    # -- decisions ------------------------------------------------------------------------
    def _decide(self, entries: list[dict[str, Any]]) -> None:
        """Write decisions to the project's files (inside the transaction that stores them:
        a decision that cannot be written is not stored either)."""
        if entries and self.decisions is not None:
            self.decisions.append(entries)

    def apply_decisions(self, ids: Iterable[str] | None = None) -> dict[str, int]:
        """Apply the project's decisions to the papers the store holds (those with `ids`):
        labels, notes, tags and curated fields as the decisions files say. Returns the
        counts of ``decided`` papers, those ``applied`` (held by the store) and those
        ``missing`` from it."""
        if self.decisions is None:
            return {"decided": 0, "applied": 0, "missing": 0}
        state = replay(self.decisions.read())
        with self.transaction() as con:
            applied = self._apply(con, state, None if ids is None else set(ids))
            self._set_meta(con, "decisions_signature", self.decisions.signature())
        return {"decided": len(state), "applied": applied, "missing": len(state) - applied}

    def _follow_decisions(self) -> None:
        """Apply the decisions when their files changed since the store last did (a pull, a
        merge); a store with labels or notes whose project has no decisions yet (made before
        litscope kept them) writes its own into the files first."""
        signature = self.decisions.signature()
        if self._meta("decisions_signature") == signature:
            return
        if not self.decisions.files():
            self._record_existing()
        self.apply_decisions()

    def _record_existing(self) -> None:
        versions = dict(self._query("SELECT id, version FROM papers"))
        entries = [self.decisions.entry(pid, "label", versions.get(pid), label=label, reason=reason)
                   | {"at": at} for pid, label, at, reason in
                   self._query("SELECT paper_id, label, updated_at, reason FROM labels ORDER BY updated_at")]
        entries += [self.decisions.entry(pid, "note", versions.get(pid), text=text) | {"at": at}
                    for pid, text, at in self._query("SELECT paper_id, text, updated_at FROM notes")]
        self.decisions.append(entries)

    def _apply(self, con: sqlite3.Connection, state: Mapping[str, PaperDecisions],
               ids: set[str] | None) -> int:
        """Write the decided labels, notes, tags and fields of the papers (with `ids`) the
        store holds, changing only what differs; returns how many papers it holds."""
        wanted = [pid for pid in state if ids is None or pid in ids]
        held = {pid: (tags, dict(zip(CURATED_FIELDS, rest))) for pid, tags, *rest in con.execute(
            f"SELECT id, tags, {', '.join(CURATED_FIELDS)} FROM papers "
            f"WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(wanted),))}
        for pid in held:
            paper = state[pid]
            if paper.has_label and paper.label is None:
                con.execute("DELETE FROM labels WHERE paper_id = ?", (pid,))
            elif paper.has_label and paper.label in LABELS:
                con.execute("INSERT OR REPLACE INTO labels (paper_id, label, updated_at, reason) "
                            "VALUES (?, ?, ?, ?)", (pid, paper.label, paper.label_at, paper.reason))
            if paper.has_note and paper.note is None:
                con.execute("DELETE FROM notes WHERE paper_id = ?", (pid,))
            elif paper.has_note:
                con.execute("INSERT OR REPLACE INTO notes VALUES (?, ?, ?)", (pid, paper.note, paper.note_at))
            tags_json, fields = held[pid]
            changes = {f: v for f, v in paper.fields.items() if f in CURATED_FIELDS and f != "tags"
                       and fields[f] != v}
            if paper.tags:
                tags = _encode("tags", paper.tagged(json.loads(tags_json or "[]")))
                if tags != tags_json:
                    changes["tags"] = tags
            if changes:
                con.execute(f"UPDATE papers SET {', '.join(f'{f} = ?' for f in changes)} WHERE id = ?",
                            [*changes.values(), pid])
        return len(held)

    def _meta(self, key: str) -> int | None:
        found = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return found[0][0] if found else None

    @staticmethod
    def _set_meta(con: sqlite3.Connection, key: str, value: int) -> None:
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # -- fetch windows --------------------------------------------------------------------
    def completed_days(self, query_key: str) -> set[str]:
        """Days (``YYYY-MM-DD``) already fetched completely for a query."""
        return {d for (d,) in self._query("SELECT day FROM fetch_windows WHERE query_key = ? AND complete",
                                           (query_key,))}

    def window_states(self, query_keys: Iterable[str]) -> dict[tuple[str, str], tuple[bool, datetime]]:
        """(query_key, day) -> (complete, fetched_at) for every window fetched for those keys."""
        rows = self._query("SELECT query_key, day, complete, fetched_at FROM fetch_windows WHERE "
                           "query_key IN (SELECT value FROM json_each(?))", [json.dumps(list(query_keys))])
        return {(k, d): (bool(c), datetime.fromisoformat(t)) for k, d, c, t in rows}

    def windows(self) -> pd.DataFrame:
        """Every fetch window: its key, day, papers, when it was fetched and whether it is final."""
        rows = self._query("SELECT query_key, day, n_papers, fetched_at, complete FROM fetch_windows "
                           "ORDER BY query_key, day")
        df = pd.DataFrame(rows, columns=["query_key", "day", "n_papers", "fetched_at", "complete"])
        return df.astype({"complete": bool})

    # -- announcements --------------------------------------------------------------------
    def announcements(self, day: str | None = None) -> pd.DataFrame:
        """What arXiv's listing feeds announced (on `day`, ``YYYY-MM-DD``): id, day, type
        (new, cross, replace, replace-cross), version and the paper's categories."""
        sql = "SELECT id, day, type, version, categories FROM announcements"
        rows = self._query(sql + (" WHERE day = ?" if day else "") + " ORDER BY day, id",
                           [day] if day else [])
        df = pd.DataFrame(rows, columns=["id", "day", "type", "version", "categories"])
        df["categories"] = [json.loads(c) for c in df["categories"]]
        df["version"] = df["version"].astype("Int64")
        return df

    # -- bulk harvests --------------------------------------------------------------------
    def harvest(self, key: str) -> dict[str, Any] | None:
        """The checkpoint of a bulk harvest: token to resume from, pages and records so far."""
        rows = self._query("SELECT token, pages, records, complete_size, done, started_at FROM harvests "
                           "WHERE harvest_key = ?", (key,))
        if not rows:
            return None
        token, pages, records, size, done, started = rows[0]
        return {"key": key, "token": token, "pages": pages, "records": records,
                "complete_size": size, "done": bool(done), "started_at": started}

    def save_harvest(self, checkpoint: Mapping[str, Any]) -> None:
        """Write a harvest checkpoint (key, token, pages, records, complete_size, done)."""
        with self.transaction() as con:
            self._save_harvest(con, checkpoint, _now())

    @staticmethod
    def _save_harvest(con: sqlite3.Connection, c: Mapping[str, Any], now: str) -> None:
        con.execute("INSERT INTO harvests VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (harvest_key) DO "
                    "UPDATE SET token = excluded.token, pages = excluded.pages, records = excluded.records, "
                    "complete_size = excluded.complete_size, done = excluded.done, "
                    "updated_at = excluded.updated_at",
                    (c["key"], c.get("token"), c["pages"], c["records"], c.get("complete_size"),
                     int(bool(c.get("done"))), now, now))

    # -- labels and notes -----------------------------------------------------------------
    def set_label(self, paper_id: str, label: str | None, reason: str | None = None) -> None:
        """Label a paper include/exclude/maybe (None clears it), with an optional reason;
        durable on return, and written to the project's decisions."""
        if label is not None and label not in LABELS:
            raise StoreError(f"label must be one of {', '.join(LABELS)}, not {label!r}")
        reason = (reason or "").strip() or None
        with self.transaction() as con:
            version = self._version(con, paper_id)
            if label is None:
                con.execute("DELETE FROM labels WHERE paper_id = ?", (paper_id,))
            else:
                con.execute("INSERT OR REPLACE INTO labels (paper_id, label, updated_at, reason) "
                            "VALUES (?, ?, ?, ?)", (paper_id, label, _now(), reason))
            if self.decisions is not None:
                self._decide([self.decisions.entry(paper_id, "label", version, label=label,
                                                   **({"reason": reason} if reason else {}))])

    def labels(self) -> pd.DataFrame:
        """The labelled papers: id, label, updated_at and the reason given (or None)."""
        rows = self._query("SELECT paper_id, label, updated_at, reason FROM labels ORDER BY updated_at")
        return pd.DataFrame(rows, columns=["id", "label", "updated_at", "reason"])

    def set_note(self, paper_id: str, text: str) -> None:
        """Save a note on a paper (empty text deletes it); durable on return, and written to
        the project's decisions."""
        with self.transaction() as con:
            version = self._version(con, paper_id)
            if text.strip():
                con.execute("INSERT OR REPLACE INTO notes VALUES (?, ?, ?)", (paper_id, text, _now()))
            else:
                con.execute("DELETE FROM notes WHERE paper_id = ?", (paper_id,))
            if self.decisions is not None:
                self._decide([self.decisions.entry(paper_id, "note", version, text=text if text.strip() else None)])

    def notes(self) -> pd.DataFrame:
        rows = self._query("SELECT paper_id, text, updated_at FROM notes ORDER BY paper_id")
        return pd.DataFrame(rows, columns=["id", "note", "updated_at"])

    # -- cached LLM results ---------------------------------------------------------------
    def cached_result(self, key: tuple[str, int, str, str, str, str]) -> dict[str, Any] | None:
        """A cached summary/translation for (paper_id, version, model, prompt_version,
        kind, language), as ``{"status", "payload", "error"}``; None when absent."""
        rows = self._query("SELECT status, payload, error FROM summaries WHERE paper_id = ? AND "
                           "version = ? AND model = ? AND prompt_version = ? AND kind = ? AND "
                           "language = ?", key)
        if not rows:
            return None
        status, payload, error = rows[0]
        return {"status": status, "payload": json.loads(payload) if payload else None, "error": error}

    def cache_result(self, key: tuple[str, int, str, str, str, str], status: str,
                     payload: dict[str, Any] | None = None, error: str | None = None) -> None:
        with self.transaction() as con:
            con.execute("INSERT OR REPLACE INTO summaries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (*key, status, json.dumps(payload, ensure_ascii=False) if payload else None,
                         error, _now()))

    def cached_results(self) -> pd.DataFrame:
        rows = self._query("SELECT paper_id, version, model, prompt_version, kind, language, status, "
                           "payload, error, created_at FROM summaries")
        return pd.DataFrame(rows, columns=["id", "version", "model", "prompt_version", "kind",
                                           "language", "status", "payload", "error", "created_at"])

    # -- corpus version and cached vectors ------------------------------------------------
    def corpus_version(self) -> int:
        """A number that changes whenever a paper is added or removed or its text changes
        (curated fields, labels and notes leave it): the key of features cached per corpus."""
        return int(self._query("SELECT value FROM meta WHERE key = 'corpus_version'")[0][0])

    def vectors(self, model: str) -> tuple[pd.Index, np.ndarray, np.ndarray]:
        """The cached vectors of `model`: paper ids, their versions (0 when unknown) and
        the vectors as rows of a float32 matrix."""
        rows = self._query("SELECT paper_id, version, vector FROM vectors WHERE model = ?", (model,))
        if not rows:
            return pd.Index([], dtype=object), np.zeros(0, np.int64), np.zeros((0, 0), np.float32)
        ids, versions, blobs = zip(*rows)
        matrix = np.frombuffer(b"".join(blobs), np.float16).reshape(len(rows), -1)
        return pd.Index(ids), np.array(versions, np.int64), matrix.astype(np.float32)

    def put_vectors(self, model: str, ids: Iterable[str], versions: Iterable[int],
                    matrix: np.ndarray) -> None:
        """Cache vectors of `model` (stored as float16), replacing older ones of the papers."""
        half = np.asarray(matrix, np.float16)
        with self.transaction() as con:
            con.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?)",
                            [(i, int(v), model, row.tobytes())
                             for i, v, row in zip(ids, versions, half)])

    # -- the person's library -------------------------------------------------------------
    _LIBRARY = ("collection", "item_key", "paper_id", "arxiv_id", "doi", "title", "abstract",
                "authors", "year", "added", "imported_at")

    def library(self, collection: str | None = None) -> pd.DataFrame:
        """Library items (all, or one collection's): columns of the `library` table, with
        ``authors`` as lists and ``year`` as a nullable integer."""
        sql = f"SELECT {', '.join(self._LIBRARY)} FROM library"
        params: tuple = ()
        if collection is not None:
            sql, params = sql + " WHERE collection = ?", (collection,)
        frame = pd.DataFrame(self._query(sql + " ORDER BY collection, item_key", params),
                             columns=list(self._LIBRARY), dtype=object)   # None stays None
        frame["authors"] = [json.loads(a) for a in frame["authors"]]
        frame["year"] = frame["year"].astype("Int64")
        return frame

    def replace_library(self, collection: str, items: pd.DataFrame, *, remove: bool = True) -> dict[str, int]:
        """Make `collection` hold exactly `items` (one transaction): items new to it are
        added, those gone from it removed (unless not `remove`: then counted as ``kept``),
        changed ones updated. Returns the counts of ``added``, ``removed``, ``updated`` and
        ``unchanged`` items (and ``kept``)."""
        fields = self._LIBRARY[2:-1]
        new = {row["item_key"]: tuple(_library_value(f, row.get(f)) for f in fields)
               for row in items.to_dict("records")}
        counts = dict.fromkeys(("added", "removed", "updated", "unchanged"), 0)
        now = _now()
        with self.transaction() as con:
            old = {key: tuple(rest) for key, *rest in con.execute(
                f"SELECT item_key, {', '.join(fields)} FROM library WHERE collection = ?",
                (collection,))}
            gone = old.keys() - new.keys()
            if not remove:
                counts["kept"] = len(gone)
            for key in gone if remove else ():
                con.execute("DELETE FROM library WHERE collection = ? AND item_key = ?",
                            (collection, key))
                counts["removed"] += 1
            for key, values in new.items():
                kind = "added" if key not in old else "unchanged" if old[key] == values else "updated"
                counts[kind] += 1
                if kind != "unchanged":
                    con.execute(f"INSERT OR REPLACE INTO library VALUES ({', '.join('?' * 11)})",
                                (collection, key, *values, now))
            # vectors of items only in the library (id lib:<collection>/<key>) follow their text
            stale = [f"lib:{collection}/{key}" for key in old
                     if (key not in new and remove) or (key in new and new[key] != old[key])]
            con.executemany("DELETE FROM vectors WHERE paper_id = ?", [(i,) for i in stale])
        return counts

    def remove_library(self, collection: str) -> int:
        """Remove a collection of library items (and the vectors of those only in it);
        returns how many items went."""
        with self.transaction() as con:
            con.execute("DELETE FROM vectors WHERE paper_id LIKE ? ESCAPE '\\'",
                        (f"lib:{_like(collection)}/%",))
            return con.execute("DELETE FROM library WHERE collection = ?", (collection,)).rowcount


def _like(text: str) -> str:
    """`text` escaped for a LIKE pattern with ESCAPE '\\'."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _library_value(field: str, value: Any) -> Any:
    if field == "authors":
        return json.dumps(list(value or []), ensure_ascii=False)
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return int(value) if field == "year" else str(value)


def _project_log(folder: Path) -> DecisionLog | None:
    """The decisions of the review project whose ``data:`` folder is `folder`, if any."""
    from .config import CONFIG_NAME, find_project, load_config
    root = find_project(folder)
    if root is None:
        return None
    data = (root / load_config(root / CONFIG_NAME).data).resolve()
    return DecisionLog(root) if data == folder.resolve() else None
