"""What the store caches for other stages: LLM results, the corpus version, vectors.

Contract: an LLM result is keyed by (paper id, version, model, prompt version, kind,
language), so a new version or prompt asks again; the corpus version changes whenever a
paper's text changes or a paper comes or goes (triggers, migration 5), and keys features
computed over the whole corpus; cached vectors (float16) of a paper go when its text
changes.
"""
from __future__ import annotations

import json
from typing import Any, Iterable

import numpy as np
import pandas as pd

from .database import Database, timestamp


class Caches(Database):
    """Cached LLM results, the corpus version and cached vectors."""

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
                         error, timestamp()))

    def cached_results(self) -> pd.DataFrame:
        rows = self._query("SELECT paper_id, version, model, prompt_version, kind, language, status, "
                           "payload, error, created_at FROM summaries")
        return pd.DataFrame(rows, columns=["id", "version", "model", "prompt_version", "kind",
                                           "language", "status", "payload", "error", "created_at"])

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

