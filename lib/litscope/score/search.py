"""Search the papers by words and by meaning at once.

`search(papers, "speculative decoding")` ranks the papers two ways -- by the tf-idf cosine
of the query's words (what keyword search finds) and by the cosine of embeddings (what
the query means: "draft-then-verify" finds speculative decoding without the words) --
and fuses the two rankings by reciprocal rank (RRF, Cormack et al. 2009):

    score = 1 / (k + rank by words) + 1 / (k + rank by meaning)      (k = 60)

so a paper near the top of either list rises, and one near the top of both rises most;
scores are divided by their largest possible value, so 1.0 means first in both lists.
A paper the query's words miss takes no words term. The embeddings are WordLlama's
(offline) unless another representation is given; with a store they are cached there.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import ScoreError
from .features import corpus_features
from .represent import Representation, get_representation

#: RRF's constant: how much the first ranks count more than the next ones.
RRF_K = 60
#: The representation that reads the query's meaning unless told otherwise.
SEMANTIC = "wordllama"


def _ranks(scores: np.ndarray, floor: float | None = None) -> np.ndarray:
    """1-based ranks by descending score (ties in row order); NaN at or below `floor`."""
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    if floor is not None:
        ranks[scores <= floor] = np.nan
    return ranks


def search(papers: pd.DataFrame, query: str, *, top: int | None = 20,
           semantic: str | Representation | None = SEMANTIC, store: Any = None,
           rrf_k: int = RRF_K) -> pd.DataFrame:
    """The papers best matching `query`, best first, with ``search_score`` (the fused RRF
    score), ``words_rank`` and ``meaning_rank`` (NaN where a ranking left the paper out).

    semantic: the representation of meaning ("wordllama", "sentence-transformers:MODEL",
              an `EndpointEmbeddings` ...), or None to search by words only.
    top:      how many papers to return (None: all that either ranking found).
    """
    query = " ".join(str(query).split())
    if not query:
        raise ScoreError("search: the query is empty")
    if papers.empty:
        return papers.assign(search_score=[], words_rank=[], meaning_rank=[])
    words = corpus_features(papers, "tfidf", store=store)
    by_words = np.asarray(words.matrix @ words.representation.transform([query]).T.toarray()).ravel()
    words_rank = _ranks(by_words, floor=0.0)
    score = np.where(np.isnan(words_rank), 0.0, 1.0 / (rrf_k + np.nan_to_num(words_rank)))
    meaning_rank = np.full(len(papers), np.nan)
    if semantic is not None:
        rep = get_representation(semantic)
        vectors = corpus_features(papers, rep, store=store).matrix
        by_meaning = vectors @ rep.transform([query])[0]
        meaning_rank = _ranks(by_meaning)
        score = score + 1.0 / (rrf_k + meaning_rank)
    score = score / ((1 + (semantic is not None)) / (rrf_k + 1))
    found = np.flatnonzero(score > 0)
    order = found[np.lexsort((found, -score[found]))]
    if top is not None:
        order = order[:top]
    return papers.iloc[order].assign(search_score=score[order], words_rank=words_rank[order],
                                     meaning_rank=meaning_rank[order]).reset_index(drop=True)
