"""The review's decisions, kept in the project as text under version control.

Every decision a person makes on a paper — a label (include, exclude, maybe or cleared,
with an optional reason), a note, tags added or removed, a topic, subtopic, summary or
other curated field set by hand — is appended at once to ``decisions/<reviewer>.jsonl``
in the review project, one JSON object a line::

    {"at": "2025-12-06T09:14:03.512345+00:00", "by": "Ada Lovelace", "id": "2512.04752",
     "version": 2, "kind": "label", "label": "include", "reason": "fast decoding"}

Each reviewer (``$LITSCOPE_REVIEWER``, else ``git config user.name``) writes a file of
their own, so two reviewers never edit one file; the project's ``.gitattributes`` merges
one reviewer's file changed on two machines by keeping the lines of both sides
(``merge=union``). Lines are only ever added: nothing is lost in a merge.

The store is a cache of these files. `replay` folds the decisions in time order — the
latest decision on a paper's label, note or field wins, tag additions and removals apply
one by one — and the `Store` applies the result to the papers it holds: when it opens and
the files changed (a ``git pull``), when papers arrive (a fresh clone importing its papers
again), and on ``litscope rebuild``. Where reviewers' latest labels of a paper differ,
`disagreements` lists the paper: a conflict is shown, never settled silently.
"""
from __future__ import annotations

import getpass
import hashlib
import json
import os
import re
import subprocess
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from .choices import LABELS
from .errors import DecisionError

#: The project folder of the decisions files.
FOLDER = "decisions"
#: Environment variable naming the reviewer (else git's user.name, else the login name).
ENV_REVIEWER = "LITSCOPE_REVIEWER"
#: What a decision is about; besides these, a curated field's name (topic, tldr, ...).
KINDS = ("label", "note", "tags")
_NOT_DECIDED = object()


def reviewer_name(root: str | Path | None = None) -> str:
    """Who is deciding: $LITSCOPE_REVIEWER, else ``git config user.name`` (in `root`), else
    the login name."""
    name = os.environ.get(ENV_REVIEWER, "").strip()
    if name:
        return name
    try:
        found = subprocess.run(["git", "config", "user.name"], cwd=root, capture_output=True,
                               text=True, timeout=10, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        found = ""
    if found:
        return found
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "reviewer"


def reviewer_slug(name: str) -> str:
    """The file name stem of a reviewer's decisions: ASCII letters, digits and hyphens."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60]
    return slug or "reviewer-" + hashlib.sha1(name.encode()).hexdigest()[:8]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


@dataclass
class PaperDecisions:
    """What the decisions say about one paper, after replaying them in time order."""
    label: Any = _NOT_DECIDED        # include / exclude / maybe, or None: cleared
    label_at: str = ""
    reason: str | None = None
    note: Any = _NOT_DECIDED         # the text, or None: deleted
    note_at: str = ""
    tags: dict[str, bool] = field(default_factory=dict)   # tag -> added (True) or removed
    fields: dict[str, Any] = field(default_factory=dict)  # curated field -> value (None: cleared)

    @property
    def has_label(self) -> bool:
        return self.label is not _NOT_DECIDED

    @property
    def has_note(self) -> bool:
        return self.note is not _NOT_DECIDED

    def tagged(self, tags: Iterable[str]) -> list[str]:
        """`tags` with the decided additions and removals applied (order kept, new ones last)."""
        tags = list(tags)
        kept = [t for t in tags if self.tags.get(t, True)]
        return kept + [t for t, added in self.tags.items() if added and t not in tags]


class DecisionLog:
    """The decisions files of a review project (``<root>/decisions/*.jsonl``)."""

    def __init__(self, root: str | Path, reviewer: str | None = None):
        self.root = Path(root)
        self.folder = self.root / FOLDER
        self._reviewer = reviewer

    def __repr__(self) -> str:
        return f"DecisionLog({str(self.folder)!r})"

    @property
    def reviewer(self) -> str:
        if self._reviewer is None:
            self._reviewer = reviewer_name(self.root)
        return self._reviewer

    @property
    def path(self) -> Path:
        """This reviewer's file."""
        return self.folder / f"{reviewer_slug(self.reviewer)}.jsonl"

    def files(self) -> list[Path]:
        return sorted(self.folder.glob("*.jsonl")) if self.folder.is_dir() else []

    def signature(self) -> int:
        """A number that changes whenever a decisions file is added, removed or changed."""
        parts = [f"{p.name}:{s.st_size}:{s.st_mtime_ns}" for p in self.files() for s in [p.stat()]]
        return int.from_bytes(hashlib.sha256("\n".join(parts).encode()).digest()[:7], "big")

    def entry(self, paper_id: str, kind: str, version: int | None = None, **values: Any) -> dict[str, Any]:
        """One decision by this reviewer, now (not written yet)."""
        return {"at": _now(), "by": self.reviewer, "id": paper_id,
                "version": None if version is None else int(version), "kind": kind, **values}

    def append(self, entries: Iterable[dict[str, Any]]) -> None:
        """Append decisions to this reviewer's file, in one write."""
        text = "".join(json.dumps(e, ensure_ascii=False, separators=(", ", ": ")) + "\n" for e in entries)
        if not text:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                os.write(fd, text.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise DecisionError(f"{self.path}: cannot record the decision ({exc.strerror or exc})") from None

    def read(self) -> list[dict[str, Any]]:
        """Every decision of every reviewer, in the order they were made (time, reviewer,
        then line); a line that is no decision is an error naming its file and line."""
        entries = []
        for path in self.files():
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as exc:
                raise DecisionError(f"{path}: cannot read the decisions ({exc})") from None
            for number, line in enumerate(lines, 1):
                if line.strip():
                    entries.append((_parse(line, path, number), path.name, number))
        entries.sort(key=lambda e: (e[0]["_at"], e[0]["by"], e[1], e[2]))
        return [entry for entry, _, _ in entries]

    def frame(self) -> pd.DataFrame:
        """The decisions as a table: at, by, id, version, kind and what was decided."""
        rows = [{"at": e["at"], "by": e["by"], "id": e["id"], "version": e.get("version"),
                 "kind": e["kind"], "decision": describe(e)} for e in self.read()]
        return pd.DataFrame(rows, columns=["at", "by", "id", "version", "kind", "decision"])


def _parse(line: str, path: Path, number: int) -> dict[str, Any]:
    where = f"{path} line {number}"
    if line.startswith(("<<<<<<<", "=======", ">>>>>>>")):
        raise DecisionError(f"{where}: a merge conflict marker; keep the lines of both sides and "
                            f"delete the markers (the project's .gitattributes says merge=union for "
                            f"{FOLDER}/*.jsonl, which git then does itself)")
    try:
        entry = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DecisionError(f"{where}: not a JSON line ({exc.msg})") from None
    if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) and entry.get(k)
                                              for k in ("at", "by", "id", "kind")):
        raise DecisionError(f"{where}: a decision needs the texts 'at', 'by', 'id' and 'kind'")
    try:
        at = datetime.fromisoformat(entry["at"].replace("Z", "+00:00"))
    except ValueError:
        raise DecisionError(f"{where}: 'at' is not an ISO time: {entry['at']!r}") from None
    entry["_at"] = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
    if entry["kind"] == "label" and entry.get("label") not in (None, *LABELS):
        raise DecisionError(f"{where}: label {entry.get('label')!r} is none of {', '.join(LABELS)} (or null)")
    return entry


def describe(entry: dict[str, Any]) -> str:
    """A decision in a few words, for people."""
    kind = entry["kind"]
    if kind == "label":
        label = entry.get("label") or "cleared"
        return label + (f" ({entry['reason']})" if entry.get("reason") else "")
    if kind == "note":
        return f"note: {entry.get('text') or '(deleted)'}"
    if kind == "tags":
        return " ".join([*(f"+{t}" for t in entry.get("add", [])), *(f"-{t}" for t in entry.get("remove", []))])
    return f"{kind}: {entry.get('value')}"


def replay(entries: Iterable[dict[str, Any]]) -> dict[str, PaperDecisions]:
    """Each decided paper's decisions, from entries in the order they were made: the latest
    label, note and field value win; tag additions and removals apply in order."""
    papers: dict[str, PaperDecisions] = {}
    for entry in entries:
        paper = papers.setdefault(entry["id"], PaperDecisions())
        kind = entry["kind"]
        if kind == "label":
            paper.label, paper.reason, paper.label_at = entry.get("label"), entry.get("reason"), entry["at"]
        elif kind == "note":
            paper.note, paper.note_at = entry.get("text") or None, entry["at"]
        elif kind == "tags":
            for tag in entry.get("remove", []):
                paper.tags[tag] = False
            for tag in entry.get("add", []):
                paper.tags.pop(tag, None)
                paper.tags[tag] = True
        else:
            paper.fields[kind] = entry.get("value")
    return papers


def disagreements(entries: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """The papers whose reviewers' latest labels differ: one row per paper with its id and
    each reviewer's label (columns named after the reviewers), and the label that counts
    (the latest)."""
    latest: dict[str, dict[str, str]] = {}
    for entry in entries:
        if entry["kind"] == "label":
            latest.setdefault(entry["id"], {})[entry["by"]] = entry.get("label") or "cleared"
    state = replay(entries)
    rows = [{"id": pid, **labels, "counts": state[pid].label or "cleared"}
            for pid, labels in latest.items() if len(set(labels.values())) > 1]
    return pd.DataFrame(rows).fillna("") if rows else pd.DataFrame(columns=["id", "counts"])
