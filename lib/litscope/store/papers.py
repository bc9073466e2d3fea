"""The papers table and its merge rules.

Contract: `Papers.add_papers` inserts papers or merges them into the stored copies in one
transaction: the newer version wins field by field and the other fills its gaps, tags are
united, ``published`` keeps the earliest date, and no stored text is ever replaced by a copy
cut short of it (`cut_short`); ids merged by ``litscope dedupe`` fold into the kept paper.
`Papers.merge_papers` folds duplicates into one paper with everything hanging off them.
Papers are read back as schema-conforming DataFrames, newest first (a big store through
its Parquet mirror, `litscope.store.mirror`).
"""
from __future__ import annotations

import bisect
import json
import sqlite3
from typing import Any, Iterable, Mapping

import pandas as pd

from ..schema import (COLUMNS, LIST_COLUMNS, SUMMARY_FIELDS, TIME_COLUMNS, conform_papers, from_arrow,
                      missing, papers_frame, validate_papers)
from ..decisions import replay
from ..errors import StoreError
from .database import Database, timestamp

#: Text a copy of a paper may extend but never cut short (see `cut_short`).
PROSE_FIELDS = ("title", "abstract", "comment", *SUMMARY_FIELDS, "summary", "title_zh", "abstract_zh")


def encode(column: str, value: Any) -> Any:
    """A paper's field as SQLite stores it: lists as JSON, times as ISO 8601, missing as NULL."""
    if column in LIST_COLUMNS:
        return json.dumps(list(value or []), ensure_ascii=False)
    if not isinstance(value, (list, str)) and missing(value):
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


#: The store's order of papers: newest first.
ORDER = " ORDER BY published DESC, id"


def frame(rows: list[tuple]) -> pd.DataFrame:
    """Rows of the papers table as a schema-conforming DataFrame."""
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    for column in LIST_COLUMNS:
        df[column] = [json.loads(v) if v else [] for v in df[column]]
    df["title_derived"] = df["title_derived"].fillna(0).astype(bool)
    return papers_frame(df)


class Papers(Database):
    """The papers, their versions and sources. `add_papers` also writes fetch marks
    (`litscope.store.fetchlog`) and applies the project's decisions to the papers as they
    arrive (`litscope.store.curation`), in the same transaction."""

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
        rows = [{c: encode(c, v) for c, v in zip(COLUMNS, rec)}
                for rec in df[list(COLUMNS)].itertuples(index=False, name=None)]
        counts = AddCounts()
        now = timestamp()
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
                                [(r.id, str(r.day), r.type, None if missing(r.version) else int(r.version),
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
        return frame(self._query(sql + ORDER, params))

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
        rows = [{c: encode(c, v) for c, v in zip(COLUMNS, rec)}
                for rec in merged[list(COLUMNS)].itertuples(index=False, name=None)]
        now = timestamp()
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

    def _require_paper(self, con: sqlite3.Connection, paper_id: str) -> None:
        self._version(con, paper_id)

    def _version(self, con: sqlite3.Connection, paper_id: str) -> int | None:
        """The stored version of a paper; `StoreError` when the store does not hold it."""
        found = con.execute("SELECT version FROM papers WHERE id = ?", (paper_id,)).fetchone()
        if found is None:
            raise StoreError(f"no paper with id {paper_id!r} in {self.path}")
        return found[0]

