"""The SQLite file under a store: connections, transactions, and errors in one line.

Contract: `Database` opens the file (read-only when this process cannot write there),
runs SQLite's ``PRAGMA quick_check`` before the first write, and turns every SQLite
error into one `StoreError` line that names the file and says what to do: a damaged file
(with the command that shows the damage), a full disk (nothing written), a read-only store
(it can be read, not written), a lock held too long. The other parts of the store
(`litscope.store`) read with `_query` and write inside `transaction`.
"""
from __future__ import annotations

import errno
import shutil
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import quote

from ..errors import StoreError

#: Errors the operating system reports for a file that cannot be written where it is.
NO_ROOM = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)


def store_error(path: Path, exc: sqlite3.Error | OSError) -> StoreError:
    """One line for a user: what is wrong with the store at `path`, and what to do."""
    name, text = getattr(exc, "sqlite_errorname", ""), str(exc)
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text or "not a database" in text:
        return StoreError(f"{path}: the store is damaged ({text}); see what is wrong with "
                          f"sqlite3 '{path}' 'PRAGMA integrity_check', then restore it from a backup, "
                          f"or move it away and fetch and import again")
    if name.startswith("SQLITE_FULL") or getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT) \
            or "disk is full" in text or (name.startswith(("SQLITE_IOERR", "SQLITE_READONLY", "SQLITE_CANTOPEN"))
                                          and no_room(path)):
        return StoreError(f"{path}: the disk is full: nothing was written; free some space and run "
                          f"the command again")
    if name.startswith("SQLITE_READONLY") or "readonly" in text:
        return StoreError(f"{path}: the store is read-only here: it can be read but not written")
    if "locked" in text:
        return StoreError(f"{path}: another process has held the store for over a minute; try again")
    return StoreError(f"{path}: {text}")


def no_room(path: Path) -> bool:
    """Whether the disk under `path` is (all but) full: SQLite reports that as an I/O error
    when even its WAL index cannot grow."""
    try:
        return shutil.disk_usage(path.parent).free < (1 << 20)
    except OSError:
        return False


@contextmanager
def translated(path: Path) -> Iterator[None]:
    """SQLite errors inside become `StoreError` lines about `path`."""
    try:
        yield
    except sqlite3.Error as exc:
        raise store_error(path, exc) from None


def timestamp() -> str:
    """The time of a write, as stored: UTC, ISO 8601, to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Database:
    """Connections to the store's SQLite file at `path`, read-only when `read_only`."""

    path: Path
    read_only: bool
    _checked: bool = False

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
        reads every page of the file)."""
        if not self._checked:
            if con.execute("PRAGMA quick_check(1)").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("database disk image is malformed")
            self._checked = True

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: everything inside commits together or not at all. An SQLite
        error becomes a `StoreError` line (a damaged store, a full disk, a read-only store)."""
        with translated(self.path):
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
        with translated(self.path):
            con = self._connect()
            try:
                return con.execute(sql, tuple(params)).fetchall()
            finally:
                con.close()

    def _meta(self, key: str) -> int | None:
        found = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return found[0][0] if found else None

    @staticmethod
    def _set_meta(con: sqlite3.Connection, key: str, value: int) -> None:
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
