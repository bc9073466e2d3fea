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

import numba
import numpy as np
import pandas as pd
from scipy import sparse

from ..errors import ScoreError
from .features import corpus_features, paper_vectors
from .represent import Matrix, Representation, get_representation

#: Papers compared with dense (embedding) references per block (bounds the block of cosines).
BLOCK = 8192
#: A term of sparse (tf-idf) vectors goes through a dense row of the reference when at least
#: this share of the reference rows have it (one vectorised update then beats updating those
#: rows one by one); shares from 1/8 to 1/64 measured alike (benchmarks/RESULTS.md).
DENSE_SHARE = 1 / 16
#: At most this many floats of the reference are held as dense rows of terms.
DENSE_FLOATS = 2**24


def cosine_neighbours(vectors: Matrix, reference: Matrix, k: int, *, weights: np.ndarray | None = None,
                      exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """For each row of `vectors`, the `k` reference rows with the largest weighted cosine
    ``weights[j] * cos``, best first (ties: the lower row first): their positions and
    cosines (n x k; -1 / 0 where the reference has fewer rows). `exclude[i]` is a reference
    row that row i must skip (-1: none).

    Compiled and parallel over rows, keeping only each row's best `k`. A sparse row is
    multiplied term by term with the reference (its frequent terms as dense rows, the others
    through an inverted index), in the order scipy's product sums, so the cosines equal those
    of ``vectors @ reference.T``; dense vectors go through BLAS in blocks."""
    n, m = vectors.shape[0], reference.shape[0]
    index = np.full((n, k), -1, np.int64)
    cosine = np.zeros((n, k), np.float32)
    if n == 0 or m == 0 or k == 0:
        return index, cosine
    if vectors.shape[1] != reference.shape[1]:
        raise ScoreError(f"similarity: vectors have {vectors.shape[1]} columns, the reference "
                         f"{reference.shape[1]}: represent both with the same fitted representation")
    weights = np.ones(m, np.float32) if weights is None else np.asarray(weights, np.float32)
    exclude = np.full(n, -1, np.int64) if exclude is None else np.asarray(exclude, np.int64)
    if sparse.issparse(vectors) or sparse.issparse(reference):
        vectors, reference = sparse.csr_matrix(vectors), sparse.csr_matrix(reference)
        dense_col, dense_ref, inverted = _split_terms(reference.astype(np.float32))
        data = vectors.data.astype(np.float32, copy=False)
        _sparse_top_k(vectors.indptr, vectors.indices, data, dense_col, dense_ref, inverted.indptr,
                      inverted.indices, inverted.data, weights, exclude, index, cosine)
        return index, cosine
    ref_t = np.ascontiguousarray(np.asarray(reference, np.float32).T)
    for start in range(0, n, BLOCK):
        block = np.ascontiguousarray(np.asarray(vectors[start:start + BLOCK] @ ref_t, np.float32))
        end = start + len(block)
        _dense_top_k(block, weights, exclude[start:end], index[start:end], cosine[start:end])
    return index, cosine


def _split_terms(reference: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray, sparse.csr_matrix]:
    """The reference's terms in two parts: `dense_ref[dense_col[t]]` is term t's column of
    the reference for the frequent terms (dense_col -1 for the others), and `inverted` (terms
    x reference rows, CSR) holds the other terms' entries."""
    m, n_terms = reference.shape
    frequency = np.bincount(reference.indices, minlength=n_terms)
    ranked = np.argsort(-frequency, kind="stable")[:max(DENSE_FLOATS // m, 0)]
    dense = np.sort(ranked[frequency[ranked] >= max(DENSE_SHARE * m, 2)])
    dense_col = np.full(n_terms, -1, np.int32)
    dense_col[dense] = np.arange(len(dense), dtype=np.int32)
    dense_ref = np.ascontiguousarray(reference[:, dense].toarray().T)
    rest = reference.copy()
    rest.data[dense_col[rest.indices] >= 0] = 0
    rest.eliminate_zeros()
    inverted = rest.T.tocsr()
    inverted.sort_indices()
    return dense_col, dense_ref, inverted


@numba.njit(cache=True, nogil=True)
def _keep_top(scores, weights, skip, index, cosine):  # pragma: no cover - compiled
    """Write the best len(index) of `scores * weights` (position `skip` left out) into
    `index` and `cosine`, best first, ties by position."""
    k = len(index)
    best = np.full(k, -np.inf, np.float32)
    filled = 0
    for j in range(len(scores)):
        if j == skip:
            continue
        score = scores[j] * weights[j]
        if filled < k:
            pos = filled
            filled += 1
        elif score > best[k - 1]:
            pos = k - 1
        else:
            continue
        while pos > 0 and best[pos - 1] < score:
            best[pos], index[pos], cosine[pos] = best[pos - 1], index[pos - 1], cosine[pos - 1]
            pos -= 1
        best[pos], index[pos], cosine[pos] = score, j, scores[j]


@numba.njit(cache=True, nogil=True, parallel=True)
def _dense_top_k(block, weights, exclude, index, cosine):  # pragma: no cover - compiled
    for i in numba.prange(block.shape[0]):
        _keep_top(block[i], weights, exclude[i], index[i], cosine[i])


@numba.njit(cache=True, nogil=True, parallel=True)
def _sparse_top_k(indptr, indices, data, dense_col, dense_ref, inv_indptr, inv_rows, inv_data,
                  weights, exclude, index, cosine):  # pragma: no cover - compiled
    """Row i's cosines with every reference row, summed term by term in the row's order
    (as scipy's sparse product sums them), then its best k kept."""
    m = len(weights)
    for i in numba.prange(len(indptr) - 1):
        scores = np.zeros(m, np.float32)
        for p in range(indptr[i], indptr[i + 1]):
            term, value = indices[p], data[p]
            column = dense_col[term]
            if column >= 0:
                row = dense_ref[column]
                for j in range(m):
                    scores[j] += value * row[j]
            else:
                for q in range(inv_indptr[term], inv_indptr[term + 1]):
                    scores[inv_rows[q]] += value * inv_data[q]
        _keep_top(scores, weights, exclude[i], index[i], cosine[i])


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
