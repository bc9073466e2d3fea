"""What a person decides about papers: labels, notes, tags and curated fields.

Contract: a store that belongs to a review project keeps the project's decisions
(``decisions/<reviewer>.jsonl``, `litscope.decisions`) and is a cache of them: every label,
note, tag and curated field set by hand is written to the decisions files inside the
transaction that stores it (a decision that cannot be written is not stored either), and
the decisions are applied to the papers the store holds when it opens (if the files
changed) and to papers as they arrive (`Papers.add_papers`).
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd

from ..decisions import LABELS, DecisionLog, PaperDecisions, replay
from ..errors import StoreError
from ..schema import CURATED_FIELDS
from .database import Database, timestamp
from .papers import encode


class Curation(Database):
    """Labels, notes, tags and curated fields; the project's decisions they follow."""

    decisions: DecisionLog | None

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
                                f"WHERE id = ?", [encode(f, v) for f, v in fields.items()] + [paper_id])
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
                decided.append(self.decisions.entry(paper_id, name, version, value=encode(name, value)))
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
            con.execute("UPDATE papers SET tags = ? WHERE id = ?", (encode("tags", tags), paper_id))
            if self.decisions is not None:
                self._decide([self.decisions.entry(paper_id, "tags", version, add=add, remove=sorted(remove))])
        return tags

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
                tags = encode("tags", paper.tagged(json.loads(tags_json or "[]")))
                if tags != tags_json:
                    changes["tags"] = tags
            if changes:
                con.execute(f"UPDATE papers SET {', '.join(f'{f} = ?' for f in changes)} WHERE id = ?",
                            [*changes.values(), pid])
        return len(held)


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
                            "VALUES (?, ?, ?, ?)", (paper_id, label, timestamp(), reason))
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
                con.execute("INSERT OR REPLACE INTO notes VALUES (?, ?, ?)", (paper_id, text, timestamp()))
            else:
                con.execute("DELETE FROM notes WHERE paper_id = ?", (paper_id,))
            if self.decisions is not None:
                self._decide([self.decisions.entry(paper_id, "note", version, text=text if text.strip() else None)])

    def notes(self) -> pd.DataFrame:
        rows = self._query("SELECT paper_id, text, updated_at FROM notes ORDER BY paper_id")
        return pd.DataFrame(rows, columns=["id", "note", "updated_at"])


def project_decisions(folder: Path) -> DecisionLog | None:
    """The decisions of the review project whose ``data:`` folder is `folder`, if any."""
    from ..config import CONFIG_NAME, find_project, load_config
    root = find_project(folder)
    if root is None:
        return None
    data = (root / load_config(root / CONFIG_NAME).data).resolve()
    return DecisionLog(root) if data == folder.resolve() else None
