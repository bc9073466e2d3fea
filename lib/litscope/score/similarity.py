"""Similarity to the person's library: one more explainable component of a paper's score.

A profile turns it on with::

    similarity: {weight: 3, to: library, top_k: 5, half_life_days: 365, representation: tfidf}

and a paper then gains ``weight * similarity``, where

    similarity = (1 / S) * (1 / top_k) * sum over its top_k nearest reference papers j of  r_j * cos(paper, j)
    r_j        = 0.5 ** (days since j was added to the library / half_life_days)

and S is the largest such sum in the corpus: the paper most like the library gains exactly
`weight` points, whatever the representation's typical cosines (tf-idf's are small,
embeddings' large).

(zotero-arxiv-daily's recency-weighted similarity, kept to the nearest few so that a small
corner of a large library still counts). The reference papers are the library's items
(``to: library``) or those plus the papers labelled include (``to: includes``); a paper is
never compared with itself. `Scorer.explain` shows one row per neighbour, "similar to
‹title›, 0.81", and the rows sum with the others to the score.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from ..errors import ScoreError
from .features import corpus_features, paper_vectors
from .represent import Matrix, Representation, get_representation

#: Papers compared with the library per block (bounds the dense block of similarities).
BLOCK = 8192


def cosine_neighbours(vectors: Matrix, reference: Matrix, k: int, *, weights: np.ndarray | None = None,
                      exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """For each row of `vectors`, the `k` reference rows with the largest weighted cosine
    ``weights[j] * cos``, best first: their positions and cosines (n x k; -1 / 0 where the
    reference has fewer rows). `exclude[i]` is a reference row that row i must skip (-1: none)."""
    n, m = vectors.shape[0], reference.shape[0]
    k_eff = min(k, m)
    index = np.full((n, k), -1, np.int64)
    cosine = np.zeros((n, k), np.float32)
    if n == 0 or k_eff == 0:
        return index, cosine
    ref_t = reference.T.tocsc() if sparse.issparse(reference) else np.ascontiguousarray(reference.T)
    for start in range(0, n, BLOCK):
        block = vectors[start:start + BLOCK] @ ref_t
        block = block.toarray() if sparse.issparse(block) else np.asarray(block)
        block = block.astype(np.float32, copy=False)
        score = block * weights if weights is not None else block.copy()
        if exclude is not None:
            own = exclude[start:start + BLOCK]
            rows = np.flatnonzero(own >= 0)
            score[rows, own[rows]] = -np.inf
        top = np.argpartition(-score, k_eff - 1, axis=1)[:, :k_eff] if k_eff < m else \
            np.tile(np.arange(m), (len(score), 1))
        picked = np.take_along_axis(score, top, axis=1)
        order = np.argsort(-picked, axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
        cos = np.take_along_axis(block, top, axis=1)
        skipped = np.take_along_axis(picked, order, axis=1) == -np.inf   # the paper itself
        index[start:start + len(block), :k_eff] = np.where(skipped, -1, top)
        cosine[start:start + len(block), :k_eff] = np.where(skipped, 0.0, cos)
    return index, cosine


@dataclass(eq=False)
class Similarity:
    """Each paper's similarity to a reference set, and the neighbours that make it up.

    `values[i]` is paper i's similarity (see the module docstring); `neighbours[i]` the
    reference rows behind it, `cosine[i]` their cosines, `recency` their weights r_j and
    `scale` the S that puts the largest value at 1.
    """

    values: np.ndarray
    neighbours: np.ndarray
    cosine: np.ndarray
    recency: np.ndarray
    reference_ids: pd.Index
    reference_titles: list[str]
    representation: str
    scale: float = 1.0

    def explain_rows(self, i: int, weight: float) -> list[tuple[str, str, float]]:
        """Paper i's rows for `Scorer.explain`: (term, reference id, contribution)."""
        k = self.neighbours.shape[1]
        rows = []
        for j, cos in zip(self.neighbours[i], self.cosine[i]):
            if j < 0:
                continue
            title = self.reference_titles[j]
            title = title if len(title) <= 70 else title[:69] + "…"
            rows.append((f"similar to ‹{title}›, {cos:.2f}", str(self.reference_ids[j]),
                         weight * float(self.recency[j]) * float(cos) / k / self.scale))
        return rows


def recency_weights(added: Sequence[Any], half_life_days: float | None, now: Any = None) -> np.ndarray:
    """r_j = 0.5 ** (days since added / half-life); 1 without a half-life or a date."""
    if half_life_days is None:
        return np.ones(len(added), np.float32)
    stamps = pd.to_datetime(pd.Series(list(added), dtype=object), utc=True, errors="coerce",
                            format="mixed")
    now = pd.Timestamp(now if now is not None else pd.Timestamp.now(tz="UTC"))
    now = now.tz_localize("UTC") if now.tzinfo is None else now
    age = ((now - stamps) / pd.Timedelta(days=1)).to_numpy(float, na_value=0.0)
    return (0.5 ** (np.maximum(age, 0.0) / half_life_days)).astype(np.float32)


def similarity_to(papers: pd.DataFrame, reference: pd.DataFrame, *,
                  representation: str | Representation = "tfidf", top_k: int = 5,
                  half_life_days: float | None = 365.0, now: Any = None, store: Any = None,
                  ) -> Similarity:
    """The similarity of every paper to the `reference` papers (a papers frame, e.g.
    `litscope.sources.library.library_papers`; an ``added`` column dates them for recency)."""
    if top_k < 1:
        raise ScoreError(f"similarity: top_k must be at least 1, not {top_k}")
    if reference.empty:
        raise ScoreError("similarity: the library is empty -- import one with "
                         "'litscope library import FILE'")
    rep = get_representation(representation)
    reference = reference.drop_duplicates("id").reset_index(drop=True)
    features = corpus_features(papers, rep, store=store)
    vectors = features.matrix
    inside = reference["id"].astype(str).isin(features.ids).to_numpy()
    if rep.per_paper and not inside.all():   # library-only items: embedded (and cached) alone
        ref_vectors = np.zeros((len(reference), vectors.shape[1]), np.float32)
        ref_vectors[inside] = vectors[features.positions(reference["id"][inside])]
        ref_vectors[~inside] = paper_vectors(reference[~inside], rep, store=store)
    else:
        ref_vectors = features.vectors(reference)
    added = reference["added"] if "added" in reference.columns else [None] * len(reference)
    recency = recency_weights(added, half_life_days, now)
    ref_ids = pd.Index(reference["id"].astype(str))
    own = ref_ids.get_indexer(papers["id"].astype(str))
    index, cosine = cosine_neighbours(vectors, ref_vectors, top_k, weights=recency, exclude=own)
    valid = index >= 0
    weights = np.where(valid, recency[np.maximum(index, 0)].astype(float), 0.0)
    values = (weights * np.where(valid, cosine.astype(float), 0.0)).sum(axis=1) / top_k
    scale = float(values.max()) if len(values) and values.max() > 0 else 1.0
    return Similarity(values=values / scale, neighbours=index, cosine=cosine,
                      recency=recency, reference_ids=ref_ids,
                      reference_titles=reference["title"].fillna("").astype(str).tolist(),
                      representation=rep.name, scale=scale)


def reference_papers(store: Any, to: str = "library") -> pd.DataFrame:
    """The papers similarity compares with: the store's library (`to="library"`), or the
    library and the papers labelled include (`to="includes"`)."""
    from ..sources.library import library_papers
    reference = library_papers(store)
    if to == "includes":
        labels = store.labels()
        included = store.papers(labels.loc[labels["label"] == "include", "id"])
        reference = pd.concat([reference, included.assign(added=None)], ignore_index=True)
    return reference.drop_duplicates("id").reset_index(drop=True)


def store_similarity(store: Any, papers: pd.DataFrame, settings: Any, *, now: Any = None,
                     client: Any = None, endpoint_model: str | None = None) -> Similarity:
    """`similarity_to` with a profile's `similarity:` settings against the store's library
    (vectors cached in the store); `client` serves an ``endpoint`` representation (with
    `endpoint_model` unless the representation names one)."""
    rep = get_representation(settings.representation, client=client, endpoint_model=endpoint_model)
    return similarity_to(papers, reference_papers(store, settings.to), representation=rep,
                         top_k=settings.top_k, half_life_days=settings.half_life_days, now=now,
                         store=store)


def related_papers(papers: pd.DataFrame, k: int = 5, *,
                   representation: str | Representation = "tfidf", store: Any = None,
                   min_similarity: float = 0.1) -> pd.DataFrame:
    """For every paper, the `k` most similar other papers among `papers` ("related papers
    in this review"): columns ``id``, ``related_id``, ``related_title``, ``similarity``
    (cosine) and ``rank`` (1 = most similar), pairs below `min_similarity` left out."""
    rep = get_representation(representation)
    vectors = corpus_features(papers, rep, store=store).matrix
    index, cosine = cosine_neighbours(vectors, vectors, k, exclude=np.arange(len(papers)))
    rows, ranks = np.nonzero((index >= 0) & (cosine >= min_similarity))
    ids = papers["id"].astype(str).to_numpy()
    titles = papers["title"].fillna("").astype(str).to_numpy()
    found = index[rows, ranks]
    return pd.DataFrame({"id": ids[rows], "related_id": ids[found], "related_title": titles[found],
                         "similarity": cosine[rows, ranks].astype(float), "rank": ranks + 1})
