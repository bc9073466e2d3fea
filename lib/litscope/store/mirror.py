"""The Parquet mirror: a copy of the papers table that big stores are read from.

Contract: decoding a million rows of SQLite (JSON lists, ISO dates) takes minutes, so
`Mirror.table` reads a Parquet copy of the papers beside the store (``litscope.papers/``).
Triggers log the id of every paper any write inserts, changes or deletes (migration 4);
a read that finds papers changed since the mirror was written folds those rows in (or
rebuilds it from SQLite when the log does not reach back) and writes a new mirror, so the
mirror is never stale whichever code path or process wrote. A store whose mirror cannot be
written (a read-only folder, a full disk) is read from SQLite itself.
"""
from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from ..errors import StoreError
from ..schema import COLUMNS, PAPER_SCHEMA, read_parquet, take_rows, to_arrow
from .database import NO_ROOM, Database, translated
from .papers import ORDER, frame


def _keep(table: pa.Table, mask: pa.ChunkedArray) -> pa.Table:
    """`table.filter(mask)`, copying only the batches that lose rows."""
    batches, start = [], 0
    for batch in table.to_batches():
        part = mask.slice(start, batch.num_rows)
        start += batch.num_rows
        batches.append(batch if pc.all(part).as_py() is not False else
                       batch.filter(pa.concat_arrays(part.chunks)))
    return pa.Table.from_batches(batches, schema=table.schema)



class Mirror(Database):
    """The Parquet copy of the papers table, kept fresh on read."""

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
        table = to_arrow(frame(self._query(f"SELECT {', '.join(COLUMNS)} FROM papers" + ORDER)))
        return table if columns is None else table.select(list(columns))

    def _mirror(self) -> Path | None:
        """The mirror file, written anew first when papers changed since the newest one;
        None when it is stale and cannot be written."""
        mirrors = self._mirrors()
        with translated(self.path):
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
                    if exc.errno in NO_ROOM:
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
                cursor = con.execute(select + ORDER)
                with tqdm(total=total, unit="paper", desc=f"{self.path.name}: Parquet mirror",
                          disable=total < self.MIRROR_MIN_PAPERS) as bar:
                    while rows := cursor.fetchmany(self.MIRROR_BATCH):
                        writer.write_table(to_arrow(frame(rows)))
                        bar.update(len(rows))
            else:
                changed = [i for (i,) in con.execute(
                    "SELECT DISTINCT id FROM papers_changes WHERE seq > ?", (base[0],))]
                table = read_parquet([base[1]])
                kept = pc.invert(pc.is_in(table["id"], pa.array(changed, pa.string())))
                rows = con.execute(select + " WHERE id IN (SELECT value FROM json_each(?))",
                                   (json.dumps(changed),)).fetchall()
                table = pa.concat_tables([_keep(table, kept), to_arrow(frame(rows))])
                order = pc.sort_indices(table, [("published", "descending", "at_end"),
                                                ("id", "ascending", "at_end")]).to_numpy()
                for start in range(0, len(order), self.MIRROR_BATCH):
                    writer.write_table(take_rows(table, order[start:start + self.MIRROR_BATCH]))

