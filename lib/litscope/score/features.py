"""Features computed once per corpus: the matrix a representation makes of the papers,
kept for as long as the corpus does not change.

`corpus_features(papers, "tfidf", store=store)` returns the papers' `Features` (ids, a
matrix with one unit-length row per paper, the fitted representation). The first call
computes them; later calls on the same corpus return them at once:

- with a `store`, the key is the store and its corpus version (which changes when a paper
  is added or removed or its text changes), so every `store.papers()` of one version hits;
  hashed tf-idf features are also saved beside the store (``litscope.features/``, one file
  per representation, for the current corpus version), so the next process -- another
  `litscope learn` -- reads them instead of reading every text again;
- without one, the key is the DataFrame object itself (a changed copy is a new corpus;
  change a frame's text in place and the features do not follow: pass a new frame).

Per-paper representations (embeddings) also keep each paper's vector in the store, per
paper, version and model, so a grown corpus embeds only its new papers (with a progress
bar when there are many).
"""
from __future__ import annotations

import copy
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Hashable

import numpy as np
import pandas as pd
from scipy import sparse
from tqdm.auto import tqdm

from ..errors import ScoreError
from .represent import (DEFAULT, Matrix, Representation, get_representation, paper_texts,
                        representation_texts)

#: Corpora whose features stay in memory at once (least recently used goes first).
CACHE_SIZE = 4
#: Papers embedded (and written to the store) per batch.
BATCH = 2048


@dataclass(eq=False)
class Features:
    """One corpus under one representation: `matrix` row i is paper `ids[i]`."""

    ids: pd.Index
    matrix: Matrix
    representation: Representation

    def __len__(self) -> int:
        return len(self.ids)

    def positions(self, ids: Any) -> np.ndarray:
        """Row positions of `ids` (a `ScoreError` names the first one missing)."""
        ids = pd.Index(ids).astype(str)
        rows = self.ids.get_indexer(ids)
        if (rows < 0).any():
            raise ScoreError(f"no features for paper {ids[int(np.argmax(rows < 0))]!r}: it is "
                             "not in the corpus they were computed on")
        return rows

    def vectors(self, papers: pd.DataFrame) -> Matrix:
        """Rows for `papers`: their own rows when in the corpus, else transformed anew."""
        if "id" in papers.columns and len(papers):
            rows = self.ids.get_indexer(papers["id"].astype(str))
            if (rows >= 0).all():
                return self.matrix[rows]
        return self.representation.transform(representation_texts(papers, self.representation))


_cache: OrderedDict[Hashable, tuple[Any, Features]] = OrderedDict()
_lock = threading.Lock()


def _key(papers: pd.DataFrame, representation: Representation, store: Any) -> tuple[Hashable, Any]:
    """The cache key and the referent the entry must still point at (a weak reference to
    the frame when there is no store)."""
    if store is not None:
        return ("store", str(store.path), store.corpus_version(), representation.name), None
    return ("frame", id(papers), len(papers), representation.name), weakref.ref(papers)


def corpus_features(papers: pd.DataFrame, representation: str | Representation = DEFAULT, *,
                    store: Any = None, progress: bool | None = None) -> Features:
    """The features of `papers` under `representation`, computed once per corpus (see the
    module docstring); `store` keys them by corpus version and keeps embeddings."""
    rep = get_representation(representation)
    key, ref = _key(papers, rep, store)
    ids = None if ref is not None else _ids(papers)
    with _lock:
        hit = _cache.get(key)
        if hit is not None and (ref is None or hit[0]() is papers):
            features = hit[1]
            if ref is not None or features.ids.equals(ids):
                _cache.move_to_end(key)
                return features
            if ids.isin(features.ids).all():
                return Features(ids, features.matrix[features.positions(ids)], features.representation)
    ids = _ids(papers) if ids is None else ids
    features = _load(store, rep, ids) if store is not None else None
    if features is None:
        features = _compute(papers, ids, rep, store, progress)
        if store is not None:
            _save(store, features)
    with _lock:
        _cache[key] = (ref, features)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return features


def _path(store: Any, rep: Representation) -> Path:
    return Path(store.path).parent / "litscope.features" / f"{rep.name}.npz"


def _save(store: Any, features: Features) -> None:
    """Write a store's hashed tf-idf features with the corpus version they belong to."""
    rep, matrix = features.representation, features.matrix
    state = rep.state() if hasattr(rep, "state") else None
    if state is None or not sparse.issparse(matrix):
        return
    path = _path(store, rep)
    path.parent.mkdir(exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, version=store.corpus_version(), ids=np.array(features.ids, dtype=str),
             data=matrix.data, indices=matrix.indices, indptr=matrix.indptr,
             shape=np.array(matrix.shape), **state)
    tmp.replace(path)


def _load(store: Any, rep: Representation, ids: pd.Index) -> Features | None:
    """The saved features of the store's current corpus version, rows in `ids` order."""
    path = _path(store, rep)
    if not hasattr(rep, "set_state") or not path.is_file():
        return None
    try:
        with np.load(path) as saved:
            if int(saved["version"]) != store.corpus_version():
                return None
            saved_ids = pd.Index(saved["ids"].astype(object))
            if not ids.isin(saved_ids).all():
                return None
            matrix = sparse.csr_matrix((saved["data"], saved["indices"], saved["indptr"]),
                                       shape=tuple(saved["shape"]))
            fitted = copy.copy(rep).set_state({"buckets": saved["buckets"], "idf": saved["idf"]})
    except (OSError, ValueError, KeyError):   # unreadable: compute afresh
        return None
    if not saved_ids.equals(ids):
        matrix = matrix[saved_ids.get_indexer(ids)]
    return Features(ids, matrix, fitted)


def _ids(papers: pd.DataFrame) -> pd.Index:
    return pd.Index(papers["id"].to_numpy(dtype=object, na_value=""), dtype=object).astype(str)


def clear_cache() -> None:
    """Forget every corpus's features (the store's cached vectors stay)."""
    with _lock:
        _cache.clear()


def _compute(papers: pd.DataFrame, ids: pd.Index, rep: Representation, store: Any,
             progress: bool | None) -> Features:
    if not rep.per_paper:
        fitted = copy.copy(rep)     # each corpus fits its own copy
        return Features(ids, fitted.fit_transform(representation_texts(papers, fitted)), fitted)
    return Features(ids, paper_vectors(papers, rep, store=store, progress=progress), rep)


def paper_vectors(papers: pd.DataFrame, representation: str | Representation, *,
                  store: Any = None, progress: bool | None = None) -> np.ndarray:
    """Embeddings of `papers` (rows in order); with a `store`, read from its cache per
    paper, version and model, computing and caching only the missing ones."""
    rep = get_representation(representation)
    if not rep.per_paper:
        raise ScoreError(f"{rep.name} is fitted on a corpus: use corpus_features()")
    ids = papers["id"].astype(str).to_numpy()
    versions = papers["version"].fillna(0).astype("int64").to_numpy() \
        if "version" in papers.columns else np.zeros(len(ids), np.int64)
    matrix: np.ndarray | None = None
    todo = np.arange(len(ids))
    if store is not None:
        cached_ids, cached_versions, cached = store.vectors(rep.name)
        rows = cached_ids.get_indexer(ids)
        ok = rows >= 0
        ok[ok] = cached_versions[rows[ok]] == versions[ok]
        if ok.any():
            matrix = np.zeros((len(ids), cached.shape[1]), np.float32)
            matrix[ok] = cached[rows[ok]]
        todo = np.flatnonzero(~ok)
    if len(todo):
        texts = paper_texts(papers.iloc[todo])
        show = progress if progress is not None else len(todo) >= 5 * BATCH
        with tqdm(total=len(todo), disable=not show, unit="paper", desc=f"embedding ({rep.name})") as bar:
            for start in range(0, len(todo), BATCH):
                part = todo[start:start + BATCH]
                vectors = rep.transform(texts[start:start + BATCH])
                if matrix is None:
                    matrix = np.zeros((len(ids), vectors.shape[1]), np.float32)
                matrix[part] = vectors
                if store is not None:
                    store.put_vectors(rep.name, ids[part], versions[part], vectors)
                bar.update(len(part))
    return matrix if matrix is not None else np.zeros((0, 0), np.float32)


def stack(features: Matrix, extra: Matrix) -> Matrix:
    """Rows of `extra` below those of `features` (sparse or dense alike)."""
    if sparse.issparse(features):
        return sparse.vstack([features, extra], format="csr")
    return np.vstack([features, extra])
