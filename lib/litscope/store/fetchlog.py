"""The fetch log: which windows of which queries were fetched, what arXiv's listing feeds
announced, and where bulk OAI-PMH harvests stand.

Contract: a window (query key, day) marked complete is never fetched again; one fetched
before arXiv's next announcement keeps its time, so a later fetch can tell whether to ask
again. Marks and checkpoints can be written in the transaction that stores the papers
(`Papers.add_papers`), so a failed fetch leaves neither papers nor marks behind.
"""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any, Iterable, Mapping

import pandas as pd

from .database import Database, timestamp


class FetchLog(Database):
    """Fetch windows, announcements and harvest checkpoints."""

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
            self._save_harvest(con, checkpoint, timestamp())

    @staticmethod
    def _save_harvest(con: sqlite3.Connection, c: Mapping[str, Any], now: str) -> None:
        con.execute("INSERT INTO harvests VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (harvest_key) DO "
                    "UPDATE SET token = excluded.token, pages = excluded.pages, records = excluded.records, "
                    "complete_size = excluded.complete_size, done = excluded.done, "
                    "updated_at = excluded.updated_at",
                    (c["key"], c.get("token"), c["pages"], c["records"], c.get("complete_size"),
                     int(bool(c.get("done"))), now, now))

