"""What the review's website published, and why: the record the daily update keeps.

A review's ranking moves every day (recency, a model relearned from new labels, a profile
edited); if the website showed today's ranking, every page would change every day and
a paper chosen in March would be explained by December's model. So `litscope update`
records each paper the day it is first published — its day on the website, its score and
the score's explanation term by term, then — in ``published/YYYY-MM.jsonl`` (the month it
was recorded), one JSON object a line::

    {"id": "2512.01234", "day": "2025-12-05", "score": 5.2,
     "why": [{"term": "speculative decoding", "field": "title", "matches": 1, "weight": 3.0,
              "field_weight": 2.0, "contribution": 6.0}, ...], "at": "2025-12-06T06:31:02+00:00"}

The files are the review's, committed like its decisions (lines are only added; two
machines' lines merge with ``merge=union``, the first line of a paper wins). The website
shows the recorded papers as recorded, and the ranking's picks not recorded yet (a render
before any update, a review that never runs one) with today's score. To choose a month's
papers again, delete its lines (or file) and run ``litscope update``.
"""
from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import PublishError

__all__ = ["FOLDER", "RECORD_COLUMNS", "read_record", "record_papers", "explanation_rows"]

#: The project folder of the record.
FOLDER = "published"
RECORD_COLUMNS = ["id", "day", "score", "why", "at"]
#: The columns of a score's explanation (`Scorer.explain`) that the record keeps.
WHY_COLUMNS = ["term", "field", "matches", "weight", "field_weight", "contribution"]
#: A record file is read only up to this size (a year is ~2 MB).
MAX_FILE_BYTES = 64 * 2**20


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=float if c == "score" else object) for c in RECORD_COLUMNS})


def read_record(root: str | Path) -> pd.DataFrame:
    """The papers the review's website published (`RECORD_COLUMNS`), each once (its first
    line), in the order they were recorded; empty without a ``published/`` folder."""
    folder = Path(root) / FOLDER
    rows: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise PublishError(f"{path}: larger than {MAX_FILE_BYTES >> 20} MB; is it a record of "
                               f"published papers?")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                rows.append({"id": str(row["id"]), "day": str(row["day"]),
                             "score": float(row["score"]) if row.get("score") is not None else math.nan,
                             "why": list(row.get("why") or []), "at": str(row.get("at", ""))})
            except (ValueError, KeyError, TypeError) as exc:
                raise PublishError(f"{path}, line {number}: not a record of a published paper ({exc}); "
                                   f"fix or delete the line") from None
    if not rows:
        return _empty()
    frame = pd.DataFrame(rows, columns=RECORD_COLUMNS)
    return frame.sort_values("at", kind="stable").drop_duplicates("id").reset_index(drop=True)


def explanation_rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    """A score's explanation (`Scorer.explain`'s table) as the record keeps it: the
    `WHY_COLUMNS`, numbers rounded to 4 digits, missing values left out."""
    rows = []
    for row in table.to_dict("records"):
        kept: dict[str, Any] = {}
        for column in WHY_COLUMNS:
            value = row.get(column)
            if value is None or pd.isna(value):
                continue
            kept[column] = (str(value) if column in ("term", "field") else int(value) if column == "matches"
                            else round(float(value), 4))
        rows.append(kept)
    return rows


def record_papers(root: str | Path, papers: pd.DataFrame, *, now: datetime | None = None) -> int:
    """Add the `papers` (id, day, score, why) that the record does not hold yet to
    ``published/<month of now>.jsonl``; returns how many were added."""
    now = now or datetime.now(timezone.utc)
    known = set(read_record(root)["id"])
    new = papers[~papers["id"].isin(known)].drop_duplicates("id")
    if new.empty:
        return 0
    path = Path(root) / FOLDER / f"{now:%Y-%m}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    at = now.isoformat(timespec="seconds")
    lines = [json.dumps({"id": row["id"], "day": row["day"],
                         "score": None if pd.isna(row["score"]) else round(float(row["score"]), 4),
                         "why": row["why"], "at": at}, ensure_ascii=False)
             for row in new.to_dict("records")]
    with path.open("a", encoding="utf-8") as out:
        out.write("".join(line + "\n" for line in lines))
    return len(lines)
