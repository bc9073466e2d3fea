"""Duplicates across sources: one paper from two digests, as two versions, or as a
title-only (or abstract-only) entry without an arXiv id.

`find_duplicates` pairs papers whose normalised titles or abstracts are close: tf-idf cosine
of words and word pairs by default, which separated planted duplicates from other papers by
a wider margin, and faster, than character n-gram tf-idf or word-shingle Jaccard (the
quantity MinHash estimates); see benchmarks/RESULTS.md. `merge_duplicates` folds
each group into one paper that keeps every field either copy had; `dedupe` does both and
hands back the uncertain pairs for a person to review.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterator, Literal

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import TfidfVectorizer

from ..errors import CurateError
from ..schema import COLUMNS, missing, normalize_text, papers_frame, validate_papers

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["find_duplicates", "merge_duplicates", "dedupe", "dedupe_store", "DUPLICATE_COLUMNS",
           "METHODS"]

#: Columns of the frame `find_duplicates` returns, one row per pair; ``row_a``/``row_b``
#: are positions in the papers frame it was given.
DUPLICATE_COLUMNS = ("group", "row_a", "row_b", "id_a", "id_b", "title_a", "title_b",
                     "title_similarity", "abstract_similarity", "similarity", "certain", "reason")
#: Lists that merging unites (authors are not: the two copies' lists would repeat names).
_UNITED = ("categories", "tags")
#: How texts become vectors: words and word pairs, or character 3–5-grams within words.
METHODS = {"word": {"analyzer": "word", "ngram_range": (1, 2), "token_pattern": r"(?u)\b\w+\b"},
           "char": {"analyzer": "char_wb", "ngram_range": (3, 5)}}
_MIN_ABSTRACT_CHARS = 80
_CHUNK = 2048


def _is_arxiv(paper_id: str) -> bool:
    return not paper_id.startswith("h:")


def _texts(papers: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Normalised titles (empty when made up from the abstract) and abstracts."""
    titles = ["" if derived or pd.isna(t) else normalize_text(t)
              for t, derived in zip(papers["title"], papers["title_derived"])]
    abstracts = [normalize_text(a) if isinstance(a, str) and len(a) >= _MIN_ABSTRACT_CHARS else ""
                 for a in papers["abstract"]]
    return titles, abstracts


def _vectors(titles: list[str], abstracts: list[str],
             method: str) -> tuple[csr_matrix, csr_matrix]:
    """Unit tf-idf vectors of the titles and abstracts, fitted on both."""
    if not titles:   # no papers (a new store): no pairs
        return csr_matrix((0, 1), dtype=np.float32), csr_matrix((0, 1), dtype=np.float32)
    vectorizer = TfidfVectorizer(sublinear_tf=True, dtype=np.float32, **METHODS[method])
    vectorizer.fit([t for t in (*titles, *abstracts) if t] or ["empty"])
    return vectorizer.transform(titles).tocsr(), vectorizer.transform(abstracts).tocsr()


def _close_pairs(matrix: csr_matrix, threshold: float) -> Iterator[tuple[int, int, float]]:
    """(i, j, cosine) for i < j with cosine ≥ threshold, a block of rows at a time."""
    for start in range(0, matrix.shape[0], _CHUNK):
        block = (matrix[start:start + _CHUNK] @ matrix.T).tocoo()
        keep = (block.data >= threshold) & (block.row + start < block.col)
        yield from zip((block.row[keep] + start).tolist(), block.col[keep].tolist(),
                       block.data[keep].tolist())


def find_duplicates(papers: pd.DataFrame, threshold: float = 0.6, *, certain_at: float = 0.8,
                    method: Literal["word", "char"] = "word") -> pd.DataFrame:
    """Pairs of rows of `papers` that are likely one paper (columns `DUPLICATE_COLUMNS`).

    A pair is listed when its titles or its abstracts have cosine ≥ `threshold`, or when both
    rows carry the same id (the same paper from two digests). ``similarity`` is the larger of
    the two cosines; the pair is ``certain`` when every text both rows have reaches
    `certain_at` and they do not carry two different arXiv ids (two submissions need a
    person's eye). ``group`` numbers the connected pairs. `papers` may repeat ids (a
    concatenation of digests).
    """
    if not 0 < threshold <= 1 or not threshold <= certain_at <= 1:
        raise CurateError(f"need 0 < threshold ≤ certain_at ≤ 1, got threshold={threshold}, "
                          f"certain_at={certain_at}")
    if method not in METHODS:
        raise CurateError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    validate_papers(papers.drop_duplicates("id"))
    papers = papers.reset_index(drop=True)
    if len(papers) < 2:
        return pd.DataFrame({c: pd.Series(dtype=bool if c == "certain" else object) for c in DUPLICATE_COLUMNS})
    titles, abstracts = _texts(papers)
    t_vec, a_vec = _vectors(titles, abstracts, method)
    pairs = {(i, j) for matrix in (t_vec, a_vec) for i, j, _ in _close_pairs(matrix, threshold)}
    for rows in papers.groupby("id", sort=False).indices.values():
        pairs.update((int(a), int(b)) for a, b in zip(rows[:-1], rows[1:]))
    records = [_pair_record(i, j, papers, titles, abstracts, t_vec, a_vec, certain_at)
               for i, j in sorted(pairs)]
    out = pd.DataFrame.from_records(records, columns=list(DUPLICATE_COLUMNS[1:]))
    out.insert(0, "group", _components(sorted(pairs), len(papers)) if records else [])
    return out.sort_values(["group", "similarity"], ascending=[True, False], ignore_index=True)


def _pair_record(i: int, j: int, papers: pd.DataFrame, titles: list[str], abstracts: list[str],
                 t_vec: csr_matrix, a_vec: csr_matrix, certain_at: float) -> dict:
    ids = papers["id"]
    t_sim = float(t_vec[i].multiply(t_vec[j]).sum()) if titles[i] and titles[j] else None
    a_sim = float(a_vec[i].multiply(a_vec[j]).sum()) if abstracts[i] and abstracts[j] else None
    known = [s for s in (t_sim, a_sim) if s is not None]
    if ids[i] == ids[j]:
        similarity, certain, reason = 1.0, True, "same id"
    else:
        similarity = max(known)
        two_ids = _is_arxiv(ids[i]) and _is_arxiv(ids[j])
        certain = min(known) >= certain_at and not two_ids
        reason = ("two arXiv ids" if two_ids else
                  " and ".join(n for n, s in (("title", t_sim), ("abstract", a_sim)) if s is not None))
    return {"row_a": i, "row_b": j, "id_a": ids[i], "id_b": ids[j], "title_a": papers.at[i, "title"],
            "title_b": papers.at[j, "title"],
            "title_similarity": None if t_sim is None else round(t_sim, 3),
            "abstract_similarity": None if a_sim is None else round(a_sim, 3),
            "similarity": round(min(similarity, 1.0), 3), "certain": certain, "reason": reason}


def _components(pairs: list[tuple[int, int]], n: int) -> np.ndarray:
    """Group number of each pair: pairs that share a paper share a group, numbered 0, 1, ..."""
    rows, cols = zip(*pairs)
    graph = coo_matrix((np.ones(len(pairs)), (rows, cols)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    _, numbered = np.unique(labels[list(rows)], return_inverse=True)
    return numbered


def merge_duplicates(papers: pd.DataFrame, duplicates: pd.DataFrame) -> pd.DataFrame:
    """Fold each connected group of `duplicates` pairs (from `find_duplicates`, possibly
    filtered) into one paper; rows in no pair pass through unchanged.

    The kept copy is the one with an arXiv id, then the newest version, then the most
    fields; it keeps its own values and takes every field it lacks from the others (tags
    and categories are united, ``published`` is the earliest, a real title beats one made
    up from the abstract). Added columns: ``merged_from`` lists the ids folded into the
    paper and ``merged_sources`` the sources of all its copies (empty for unmerged papers).
    """
    papers = papers.reset_index(drop=True)
    rows = list(zip(duplicates["row_a"].astype(int), duplicates["row_b"].astype(int)))
    ids = papers["id"].tolist()
    for (a, b), pair in zip(rows, zip(duplicates["id_a"], duplicates["id_b"])):
        if max(a, b) >= len(ids) or (ids[a], ids[b]) != pair:
            raise CurateError(f"duplicates: pair {pair} does not match rows {a}, {b} of the papers; "
                              f"find duplicates in the same papers frame you merge")
    out = papers.copy()
    out["merged_from"] = [[] for _ in range(len(out))]
    out["merged_sources"] = [[] for _ in range(len(out))]
    if not rows:
        return validate_papers(out)
    graph = coo_matrix((np.ones(len(rows)), tuple(zip(*rows))), shape=(len(papers),) * 2)
    _, labels = connected_components(graph, directed=False)
    groups = [g for g in pd.Series(range(len(papers))).groupby(labels).agg(list) if len(g) > 1]
    merged = papers_frame(pd.DataFrame([_merge_group(papers.iloc[g]) for g in groups]))
    kept = out.drop(index=[row for g in groups for row in g])
    return validate_papers(papers_frame(pd.concat([kept, merged], ignore_index=True)))


def _rank(paper: pd.Series) -> tuple[bool, int, int, str]:
    """Sort key, best copy first: an arXiv id, then the newest version, then the most
    fields, then the smallest id (so the choice never depends on row order)."""
    version = 0 if pd.isna(paper["version"]) else int(paper["version"])
    filled = sum(not missing(paper[c]) for c in COLUMNS)
    return (not _is_arxiv(paper["id"]), -version, -filled, paper["id"])


def _merge_group(group: pd.DataFrame) -> dict:
    """One record from several copies of one paper (see `merge_duplicates`)."""
    copies = sorted((row for _, row in group.iterrows()), key=_rank)
    best = copies[0]
    record = {}
    for column in COLUMNS:
        values = [c[column] for c in copies if not missing(c[column])]
        if column in _UNITED:
            record[column] = list(dict.fromkeys(v for value in values for v in value))
        else:
            record[column] = values[0] if values else best[column]
    titled = [c for c in copies if not c["title_derived"]]
    if titled:
        record["title"], record["title_derived"] = titled[0]["title"], False
    dates = [c["published"] for c in copies if not pd.isna(c["published"])]
    record["published"] = min(dates) if dates else None
    record["merged_from"] = list(dict.fromkeys(c["id"] for c in copies[1:] if c["id"] != best["id"]))
    record["merged_sources"] = list(dict.fromkeys(c["source"] for c in copies))
    return record


def dedupe(papers: pd.DataFrame, threshold: float = 0.6, *,
           certain_at: float = 0.8) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Merge the certain duplicates; return ``(merged papers, uncertain pairs to review)``."""
    pairs = find_duplicates(papers, threshold, certain_at=certain_at)
    return (merge_duplicates(papers, pairs[pairs["certain"]]),
            pairs[~pairs["certain"]].reset_index(drop=True))


def dedupe_store(store: "Store", threshold: float = 0.6, *, certain_at: float = 0.8,
                 apply: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Find duplicates among the store's papers and, with `apply`, merge the certain ones
    into the store in one transaction (see `Store.merge_papers`).
    Returns ``(certain pairs, uncertain pairs)``."""
    papers = store.papers()
    pairs = find_duplicates(papers, threshold, certain_at=certain_at)
    certain = pairs[pairs["certain"]].reset_index(drop=True)
    if apply and len(certain):
        merged = merge_duplicates(papers, certain)
        merged = merged[merged["merged_from"].str.len() > 0]
        store.merge_papers(merged, {old: new for new, olds in zip(merged["id"], merged["merged_from"])
                                    for old in olds})
    return certain, pairs[~pairs["certain"]].reset_index(drop=True)
