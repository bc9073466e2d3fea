"""The person's library in the store: items of reference-manager collections.

Contract: `Library.replace_library` makes a collection hold exactly the items given, in one
transaction, and says what was added, removed, updated and left; the vectors of items
found only in the library (ids ``lib:<collection>/<key>``) follow their text. Reading the
exports is `litscope.sources.library`'s job.
"""
from __future__ import annotations

import json
from typing import Any

import pandas as pd

from ..schema import missing
from .database import Database, timestamp


class Library(Database):
    """Library items, by collection and item key."""

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
        now = timestamp()
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
    if not isinstance(value, str) and missing(value):
        return None
    return int(value) if field == "year" else str(value)


