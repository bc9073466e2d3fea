"""The local store: one SQLite file per review, transactional and safe for several processes.

Why SQLite and not DuckDB: the store takes many tiny writes (a label per click in the
Explorer, a window mark per fetch) from several processes at once (a notebook kernel and
``litscope update``). SQLite in WAL mode lets each of them write short transactions while
the others read, and waits for the lock (``busy_timeout``); DuckDB holds a whole-file lock
per process, so an open notebook would shut the CLI out.

`Store` is one object made of one part per concern, each in its own module:

- `database`: connections, transactions, the integrity check, errors as one line;
- `migrations`: the schema as numbered migrations in ``PRAGMA user_version``;
- `papers`: the papers table and its merge rules;
- `mirror`: the Parquet copy big stores are read from;
- `fetchlog`: fetch windows, announcements, harvest checkpoints;
- `curation`: labels, notes, tags, curated fields and the project's decisions;
- `caches`: LLM results, the corpus version, vectors;
- `library`: the person's library items.

A store that cannot be trusted is refused: before its first write, a `Store` runs SQLite's
``PRAGMA quick_check``, and every SQLite error becomes one `StoreError` line. A store made
by an older litscope is migrated when it opens; one made by a newer litscope is refused; a
store this process cannot write is opened read-only.
"""
from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

from ..decisions import LABELS, DecisionLog
from ..errors import StoreError
from .caches import Caches
from .curation import Curation, project_decisions
from .database import Database, no_room, store_error
from .fetchlog import FetchLog
from .library import Library
from .migrations import SCHEMA_VERSION, migrate, schema_version, stamp
from .mirror import Mirror
from .papers import PROSE_FIELDS, AddCounts, Papers, cut_short

__all__ = ["Store", "StoreError", "AddCounts", "STORE_FILE", "SCHEMA_VERSION", "LABELS", "PROSE_FIELDS",
           "cut_short"]

STORE_FILE = "litscope.sqlite"


class Store(Papers, Mirror, FetchLog, Curation, Caches, Library, Database):
    """The review's papers, labels, notes, summaries and fetch history.

    A store that belongs to a review project (`decisions`, or found as the project's
    ``data:`` folder) is a cache of the project's decisions (`litscope.decisions`): every
    label, note, tag and curated field set by hand is written to the project's
    ``decisions/`` files at once, and the decisions are applied to the papers the store
    holds when it opens (if the files changed) and to papers as they arrive."""

    def __init__(self, path: str | Path, *, decisions: DecisionLog | None = None):
        path = Path(path)
        self.path = path / STORE_FILE if path.suffix != ".sqlite" else path
        self.decisions = decisions if decisions is not None else project_decisions(self.path.parent)
        self._checked = False
        # a store in a folder this process cannot write is opened read-only (WAL mode needs
        # its -shm file beside it, which could not be made there)
        self.read_only = self.path.is_file() and not all(os.access(p, os.W_OK) for p in (self.path.parent, self.path))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(self._connect()) as con:
                schema_version(con, self.path)      # refuses a store of a newer litscope
                if stamp(con) != SCHEMA_VERSION and not self.read_only:
                    self._check(con)
                    con.execute("PRAGMA journal_mode=WAL")
                    migrate(con, self.path)
        except sqlite3.Error as exc:
            if self.read_only or not self.path.is_file() or not no_room(self.path):
                raise store_error(self.path, exc) from None
            self.read_only = True   # a full disk: WAL mode cannot even make its index; read as it is
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot open the store ({exc.strerror or exc})") from None
        if self.decisions is not None and not self.read_only:
            self._follow_decisions()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"
