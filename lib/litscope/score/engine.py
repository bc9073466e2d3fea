"""Score papers with a profile: compile once against a corpus, re-weight in milliseconds.

`Scorer(profile).fit(papers)` reads each field once and records how often every term
matches in every paper as a sparse papers x terms count matrix per field (`counts_`).
A paper's score is then

    keyword = sum over fields f and terms t of field_weight[f] * weight[t] * tf(count[f, t])
              + author boosts + category boosts
              + similarity.weight * similarity to the library (`litscope.score.similarity`)
    score   = (1 - alpha) * keyword * decay + alpha * K * learned

where ``tf`` is the profile's count scaling (log2(1 + n) by default), ``decay`` halves the
score every `half_life_days` since publication, ``learned`` is an optional relevance
score in [0, 1] from a trained model (`litscope.score.learn`) and ``K`` is the largest absolute
keyword score in the corpus, so the blend ranks like ``(1 - alpha) * keyword / K + alpha *
learned`` while scores stay in keyword units. Changing a weight touches only the papers
that match that term; adding a term scans the text for that term only.

Keywords and phrases are matched as sequences of word tokens (`litscope.score.tokens`):
one compiled pass over each field's UTF-8 bytes finds the tokens that are profile words,
so the cost does not grow with how often a word occurs inside other words ("RL" in
"world"). So are regular expressions that match whole words of a small set
(``\\befficien(t|cy|cies)\\b``). Terms with other characters inside their words ("C++",
"3.5") and other regular expressions run per paper with Python's `re`, on the papers that
contain the literal text every match needs. Large corpora: read them with `read_papers` (Parquet), or score them
per partition with Dask (`litscope.score.scale`). The result equals the per-paper regex
loop that `Term.regex` defines (see the tests).
"""
from __future__ import annotations

import html
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp
from pydantic import ValidationError
from tqdm.auto import tqdm

try:
    from re import _parser as _sre_parser          # Python >= 3.11
except ImportError:                                 # pragma: no cover - Python 3.10
    import sre_parse as _sre_parser  # type: ignore[no-redef]

from ..errors import ProfileError, SchemaError, ScoreError
from ..memory import BIG, release
from ..schema import read_parquet, take_all, take_rows
from .profile import FIELDS, Profile, Term, load_profile

Papers = pd.DataFrame | pa.Table
#: Rows per block when scanning text: bounds the memory a block's token tables take
#: (for each thread at once).
CHUNK_ROWS = 1 << 14
#: Threads that scan blocks of papers at once.
SCAN_THREADS = min(4, os.cpu_count() or 1)
_EPOCH = pd.Timestamp(0, tz="UTC")



# -- reading papers --------------------------------------------------------------------------
def _column(papers: Papers, name: str) -> pa.ChunkedArray | None:
    if isinstance(papers, pa.Table):
        return papers.column(name) if name in papers.column_names else None
    if name not in papers:
        return None
    series = papers[name]
    if series.dtype == object and name in ("authors", "categories"):
        values = [None if v is None or (isinstance(v, float) and np.isnan(v)) else list(v)
                  for v in series]
        return pa.chunked_array([pa.array(values, type=pa.list_(pa.string()))])
    return pa.chunked_array([pa.array(series, from_pandas=True)])


def _as_text(column: pa.ChunkedArray | None, n: int) -> pa.ChunkedArray:
    if column is None:
        return pa.chunked_array([pa.array([""] * n, pa.string())]) if n else \
            pa.chunked_array([], pa.string())
    if pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
        column = pc.binary_join(column, ", ")
    elif not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = column.cast(pa.string())
    return column if column.null_count == 0 else pc.fill_null(column, "")


def _field_text(papers: Papers, field: str) -> pa.ChunkedArray:
    """A field as text, nulls as "": authors become their names joined by ", "."""
    return _as_text(_column(papers, field), len(papers))


def _lists(papers: Papers, name: str) -> pa.Array:
    """A list column as one list<string> array (a string column stays strings)."""
    column = _column(papers, name)
    kind = pa.string() if name == "primary_category" else pa.list_(pa.string())
    if column is None:
        return pa.nulls(len(papers), kind)
    column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    return column.cast(kind)


def _published_days(papers: Papers) -> np.ndarray:
    column = _column(papers, "published")
    if column is None:
        return np.full(len(papers), np.nan)
    stamps = pd.to_datetime(pd.Series(column.to_pandas()), utc=True, errors="coerce")
    return ((stamps - _EPOCH) / pd.Timedelta(days=1)).to_numpy(float, na_value=np.nan)


def _bytes(strings: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes of a block of strings and each string's byte offsets (views)."""
    _, offsets, data = strings.buffers()
    dtype = np.int64 if pa.types.is_large_string(strings.type) else np.int32
    off = np.frombuffer(offsets, dtype, len(strings) + 1, strings.offset * np.dtype(dtype).itemsize)
    buf = np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)
    return buf[off[0]:off[-1]], off.astype(np.int64) - off[0]


def _blocks(text: pa.ChunkedArray) -> Iterable[tuple[int, pa.Array]]:
    for start in range(0, len(text), CHUNK_ROWS):
        block = text.slice(start, CHUNK_ROWS)
        yield start, block.chunk(0) if block.num_chunks == 1 else pa.concat_arrays(block.chunks)


#: The columns scoring reads (the others only travel along to the output).
SCORE_COLUMNS = ("id", "title", "abstract", "comment", "authors", "categories",
                 "primary_category", "published")


def read_papers(path: str | Path, columns: Sequence[str] | None = SCORE_COLUMNS) -> pa.Table:
    """Papers from a Parquet file or a folder of them, as a Table for `Scorer.fit` (one
    row group at a time: see `litscope.schema.read_parquet`)."""
    path = Path(path)
    files = sorted(path.glob("**/*.parquet")) if path.is_dir() else [path]
    if not files or not all(f.is_file() for f in files):
        raise ScoreError(f"{path}: no Parquet file to read")
    return read_parquet(files, columns)


# -- matching --------------------------------------------------------------------------------
def _required_literal(pattern: str) -> str | None:
    """The longest lower-case text every match of a regex contains, for skipping papers
    without it; None when there is none. Leaves out 'i' and 's', which case-fold to
    non-ASCII letters ('ı', 'ſ') that lower-casing the text would not turn into them."""
    try:
        parsed = _sre_parser.parse(pattern, re.IGNORECASE)
    except (re.error, RecursionError):
        return None
    best, run = "", ""
    for op, arg in parsed:
        if op is _sre_parser.LITERAL and arg < 128 and chr(arg).lower() not in "is":
            run += chr(arg).lower()
        else:
            best, run = max(best, run, key=len), ""
    best = max(best, run, key=len)
    return best or None


def _count_regex(chunk: pa.Array, low: pa.Array, term: Term) -> tuple[np.ndarray, np.ndarray]:
    """Papers (indexes in the block) where a regex matches, and how often (non-empty matches),
    running Python's `re` only on papers that contain the regex's required text."""
    literal = _required_literal(term.regex.pattern)
    rows = np.arange(len(chunk))
    if literal:
        rows = np.flatnonzero(pc.match_substring(low, literal).to_numpy(zero_copy_only=False))
    finditer = term.regex.finditer
    counts = np.fromiter((sum(1 for m in finditer(s) if m.end() > m.start())
                          for s in chunk.take(pa.array(rows, pa.int64())).to_pylist()),
                         np.int64, len(rows))
    return rows[counts > 0], counts[counts > 0]


def _scan(text: pa.ChunkedArray, terms: Sequence[Term],
          progress: tqdm | None = None) -> list[tuple[list[np.ndarray], list[np.ndarray]]]:
    """Count the matches of `terms` in every paper of one field: per term, the papers it
    matches (sorted) and how often, in pieces a block each (`_csc` joins them once)."""
    if not terms:
        return []
    from .tokens import Matcher, token_sequences     # compiled code (numba): imported when first needed
    sequences = [token_sequences(t) for t in terms]
    literal = [k for k, s in enumerate(sequences) if s is not None]
    regex = [k for k, s in enumerate(sequences) if s is None]
    matcher = Matcher([sequences[k] for k in literal]) if literal else None
    rows: list[list[np.ndarray]] = [[] for _ in terms]
    counts: list[list[np.ndarray]] = [[] for _ in terms]

    def scan_block(block: tuple[int, pa.Array]) -> tuple[int, list[tuple[int, np.ndarray, np.ndarray]]]:
        first, chunk = block
        found = []
        if matcher is not None:
            matrix = matcher.count(*_bytes(chunk))
            for j, k in enumerate(literal):
                lo, hi = matrix.indptr[j], matrix.indptr[j + 1]
                found.append((k, matrix.indices[lo:hi] + first, matrix.data[lo:hi]))
        low = pc.utf8_lower(chunk) if regex else None
        for k in regex:
            papers, n = _count_regex(chunk, low, terms[k])
            found.append((k, papers + first, n))
        return len(chunk), found

    # Blocks run on a few threads: the matcher, pyarrow and NumPy release the GIL for most
    # of the work. map() keeps the blocks' order, so each term's rows stay sorted.
    with ThreadPoolExecutor(max_workers=SCAN_THREADS) as pool:
        for n_rows, found in pool.map(scan_block, _blocks(text)):
            for k, docs, n in found:
                rows[k].append(docs.astype(np.int32))
                counts[k].append(n.astype(np.int32))
            if progress is not None:
                progress.update(n_rows)
    return list(zip(rows, counts))


def _csc(n_rows: int, width: int,
         columns: Sequence[tuple[int, tuple[list[np.ndarray], list[np.ndarray]]]]) -> sp.csc_matrix:
    """A papers x `width` count matrix from (column, (rows, counts)) pairs, each given in
    pieces (`_scan`): one copy into the matrix, no COO."""
    sizes = np.zeros(width, np.int64)
    ordered = sorted(columns, key=lambda c: c[0])
    for j, (rows, _) in ordered:
        sizes[j] = sum(map(len, rows))
    empty = np.zeros(0, np.int32)
    indices = np.concatenate([empty, *(piece for _, (rows, _) in ordered for piece in rows)])
    data = np.concatenate([empty, *(piece for _, (_, counts) in ordered for piece in counts)])
    indptr = np.r_[0, np.cumsum(sizes)].astype(np.int32 if len(data) < 2**31 else np.int64)
    return sp.csc_matrix((data, indices, indptr), shape=(n_rows, width))


def _indicator(lists: pa.ListArray, keys: Sequence[str], normalise: bool = False,
               extra: pa.Array | None = None) -> sp.csc_matrix:
    """Papers x keys: 1 where a paper's list (or `extra` value) holds the key."""
    values = pa.array([_person(k) for k in keys] if normalise else list(keys), pa.string())
    flat = pc.list_flatten(lists)
    if normalise:
        flat = pc.utf8_lower(pc.utf8_trim_whitespace(pc.replace_substring_regex(flat, r"\s+", " ")))
    parts = [(pc.list_parent_indices(lists), pc.index_in(flat, value_set=values))]
    if extra is not None:
        parts.append((pa.array(np.arange(len(extra), dtype=np.int32)),
                      pc.index_in(extra.cast(pa.string()), value_set=values)))
    matrix = sp.csc_matrix((len(lists), len(keys)), dtype=np.float64)
    for parents, index in parts:
        hit = pc.is_valid(index)
        rows = pc.filter(parents, hit).to_numpy().astype(np.int32, copy=False)
        cols = pc.filter(index, hit).to_numpy().astype(np.int32, copy=False)
        matrix = matrix + sp.csc_matrix((np.ones(len(rows)), (rows, cols)), shape=matrix.shape)
    matrix.data[:] = 1.0
    return matrix


def _any_of(lists: pa.ListArray, keys: Sequence[str], extra: pa.Array) -> np.ndarray:
    """Per paper, whether its list or its `extra` value is one of `keys` (the category
    filter: a boolean per paper, without the papers x keys matrix)."""
    values = pa.array(list(keys), pa.string())
    found = pc.is_in(extra.cast(pa.string()), value_set=values).to_numpy(zero_copy_only=False)
    hit = pc.is_in(pc.list_flatten(lists), value_set=values)
    found[pc.filter(pc.list_parent_indices(lists), hit).to_numpy()] = True
    return found


def _person(name: str) -> str:
    """How author names are compared: case-insensitive, whitespace collapsed."""
    return " ".join(name.split()).lower()


# -- the scorer ------------------------------------------------------------------------------
class Scorer:
    """A profile compiled against one corpus; re-weight, add terms, explain, highlight.

    ``Scorer(profile).fit(papers)`` (papers: a DataFrame of the paper schema or a pyarrow
    Table with some of its columns) scans the text once; ``score()`` returns the papers
    with ``score``, ``rank`` and ``excluded``; ``top(k)`` is the fast path for live
    re-ranking. `profile` holds the current weights, ready for `save_profile`.
    """

    def __init__(self, profile: Profile | str | Path, *, progress: bool | None = None):
        self.profile = load_profile(profile) if isinstance(profile, (str, Path)) \
            else profile.model_copy(deep=True)
        self.progress = progress
        self._now: pd.Timestamp | None = None
        self._learned: np.ndarray | None = None
        self._similarity: Any = None     # a litscope.score.similarity.Similarity of these papers

    # -- compiling ---------------------------------------------------------------------------
    def fit(self, papers: Papers) -> Scorer:
        """Scan `papers` once: count every term in every field, find boosted authors/categories."""
        if isinstance(papers, pd.DataFrame) and "id" not in papers:
            raise SchemaError("papers to score: missing column 'id'")
        if isinstance(papers, pa.Table) and "id" not in papers.column_names:
            raise SchemaError("papers to score: missing column 'id'")
        self.papers_ = papers
        self.n_papers_ = len(papers)
        self._columns: dict[str, Any] = {}
        self._ids: pd.Index | None = None
        self.counts_, self.exclude_counts_ = self._count(self.profile.terms, self.profile.exclude)
        for field in FIELDS:     # joined authors, filled-in comments: made again when needed
            self._columns.pop(field, None)
        self.author_matrix_ = self._boost_matrix("author_boosts", list(self.profile.author_boosts))
        self.category_matrix_ = self._boost_matrix("category_boosts",
                                                   list(self.profile.category_boosts))
        self._in_categories = np.ones(len(papers), bool)
        if self.profile.categories:
            self._in_categories = _any_of(self._lists("categories"), self.profile.categories,
                                          self._lists("primary_category"))
        self._static_excluded = ~self._in_categories
        for matrix in self.exclude_counts_.values():
            self._static_excluded |= np.diff(matrix.tocsr().indptr) > 0
        self._published = _published_days(papers)
        self._similarity = None          # it belonged to the papers fitted before
        self._recompute()
        self._release()                  # the scan's and the filters' buffers
        return self

    def _count(self, *groups: Sequence[Term]) -> list[dict[str, sp.csc_matrix]]:
        """Per group of terms and field, the papers x terms match counts (columns of terms
        not looked for there stay empty); all groups are matched in one pass per field."""
        terms = [t for group in groups for t in group]
        bounds = np.cumsum([0, *map(len, groups)])
        show = self.progress if self.progress is not None else self.n_papers_ >= 200_000
        fields = {f: [j for j, t in enumerate(terms) if f in t.applies_to()] for f in FIELDS}
        total = self.n_papers_ * sum(1 for cols in fields.values() if cols)
        out: list[dict[str, sp.csc_matrix]] = [{} for _ in groups]
        with tqdm(total=total, disable=not show or not total, unit="paper-field",
                  desc="matching terms") as bar:
            for field, cols in fields.items():
                found = _scan(self._text(field), [terms[j] for j in cols], bar) if cols else []
                for g, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
                    out[g][field] = _csc(self.n_papers_, int(hi - lo),
                                         [(j - lo, f) for j, f in zip(cols, found) if lo <= j < hi])
                del found
                self._release()          # the field's matching buffers, before the next field
        return out

    def _release(self) -> None:
        """Hand the memory a scan freed back to the system (`litscope.memory`; only after
        a big scan: ~1 KiB of text a paper)."""
        release(self.n_papers_ * 1024)

    def _text(self, field: str) -> pa.ChunkedArray:
        """A field's text (authors joined by ", "; nulls as ""), made on first use."""
        if field not in self._columns:
            self._columns[field] = _field_text(self.papers_, field)
        return self._columns[field]

    def _lists(self, name: str) -> pa.Array:
        """Authors or categories as lists of strings; primary_category as strings."""
        key = f"list:{name}"
        if key not in self._columns:
            self._columns[key] = _lists(self.papers_, name)
        return self._columns[key]

    def _tf(self, counts: np.ndarray) -> np.ndarray:
        """What `counts` matches are worth under the profile's tf (log, linear or binary)."""
        if self.profile.tf == "binary" or not len(counts):
            return np.ones(len(counts))
        worth = np.arange(int(counts.max()) + 1, dtype=float)
        return (np.log2(1.0 + worth) if self.profile.tf == "log" else worth)[counts]

    def _recompute(self) -> None:
        """The keyword score of every paper, from scratch (one column at a time: no copies)."""
        self._base = np.zeros(self.n_papers_)
        for field, matrix in self.counts_.items():
            for j, term in enumerate(self.profile.terms):
                self._add_column(matrix, j, term.weight * getattr(self.profile.field_weights, field))
        for matrix, boosts in ((self.author_matrix_, self.profile.author_boosts),
                               (self.category_matrix_, self.profile.category_boosts)):
            for j, boost in enumerate(boosts.values()):
                self._add_column(matrix, j, boost, counts=False)
        if self._similarity is not None:
            self._base += self._similarity_weight() * self._similarity.values

    def _add_column(self, matrix: sp.csc_matrix, column: int, factor: float,
                    counts: bool = True) -> None:
        """Add `factor` times a column (match counts through tf, or 0/1 boosts) to the scores."""
        lo, hi = matrix.indptr[column], matrix.indptr[column + 1]
        if factor and hi > lo:
            data = matrix.data[lo:hi]
            self._base[matrix.indices[lo:hi]] += factor * (self._tf(data) if counts else data)

    # -- changing the profile ----------------------------------------------------------------
    def _term_index(self, key: str) -> int:
        term = self.profile.term(key)
        return self.profile.terms.index(term)

    def set_weight(self, key: str, weight: float) -> None:
        """Change one term's weight; only the papers matching it are touched."""
        j = self._term_index(key)
        weight = _finite(weight, f"weight of {key!r}")
        delta = weight - self.profile.terms[j].weight
        self.profile.terms[j] = self.profile.terms[j].model_copy(update={"weight": weight})
        for field, matrix in self.counts_.items():
            self._add_column(matrix, j, delta * getattr(self.profile.field_weights, field))

    def set_field_weight(self, field: str, weight: float) -> None:
        """Change how much matches in one field count (title, abstract, comment, authors)."""
        if field not in FIELDS:
            raise ProfileError(f"field weight: unknown field {field!r} (fields: {', '.join(FIELDS)})")
        weight = _finite(weight, f"field weight of {field!r}")
        if weight < 0:
            raise ProfileError(f"field weight of {field!r} must be >= 0, got {weight}")
        delta = weight - getattr(self.profile.field_weights, field)
        setattr(self.profile.field_weights, field, weight)
        for j, term in enumerate(self.profile.terms):
            self._add_column(self.counts_[field], j, delta * term.weight)

    def set_author_boost(self, name: str, boost: float) -> None:
        """Add `boost` to the score of every paper by `name` (0 removes the boost)."""
        self._set_boost("author_boosts", name, boost)

    def set_category_boost(self, category: str, boost: float) -> None:
        """Add `boost` to the score of every paper in `category` (0 removes the boost)."""
        self._set_boost("category_boosts", category, boost)

    def _boost_matrix(self, kind: str, names: Sequence[str]) -> sp.csc_matrix:
        if not names:
            return sp.csc_matrix((self.n_papers_, 0))
        if kind == "author_boosts":
            return _indicator(self._lists("authors"), names, normalise=True)
        return _indicator(self._lists("categories"), names, extra=self._lists("primary_category"))

    def _set_boost(self, kind: str, name: str, boost: float) -> None:
        boost = _finite(boost, f"boost of {name!r}")
        attr = "author_matrix_" if kind == "author_boosts" else "category_matrix_"
        boosts, matrix = dict(getattr(self.profile, kind)), getattr(self, attr)
        if name in boosts:
            j = list(boosts).index(name)
            self._add_column(matrix, j, boost - boosts[name], counts=False)
            boosts[name] = boost
            if not boost:
                del boosts[name]
                matrix = matrix[:, [k for k in range(matrix.shape[1]) if k != j]].tocsc()
        elif boost:
            boosts[name] = boost
            _validated(self.profile, kind, boosts)
            matrix = sp.hstack([matrix, self._boost_matrix(kind, [name])], format="csc")
            self._add_column(matrix, matrix.shape[1] - 1, boost, counts=False)
        _validated(self.profile, kind, boosts)
        setattr(self, attr, matrix)

    def set_alpha(self, alpha: float) -> None:
        """Set the weight of the learned model in the blend (0..1)."""
        _validated(self.profile, "alpha", alpha)

    def set_learned(self, learned: pd.Series | np.ndarray | None) -> None:
        """Use these learned relevance scores in [0, 1] (a Series by paper id, or an array in
        row order)."""
        if learned is None:
            self._learned = None
            return
        if isinstance(learned, pd.Series):
            values = learned.astype(float).reindex(self.ids_).to_numpy(dtype=float, copy=True)
        else:
            values = np.array(learned, float)   # a copy: missing values are filled below
            if values.shape != (self.n_papers_,):
                raise ScoreError(f"learned scores: expected {self.n_papers_} values in row order, "
                                 f"got shape {values.shape}")
        missing = np.isnan(values)
        if missing.all():
            raise ScoreError("learned scores: none of them belongs to a scored paper (index by paper id)")
        values[missing] = np.median(values[~missing])
        self._learned = values

    def set_similarity(self, similarity: Any) -> None:
        """Add weight x similarity to the library to every paper's keyword score: a
        `litscope.score.similarity.Similarity` of the fitted papers (None removes it); the
        weight is the profile's ``similarity.weight``."""
        if similarity is not None and len(similarity.values) != self.n_papers_:
            raise ScoreError(f"similarity: expected {self.n_papers_} values in row order, "
                             f"got {len(similarity.values)}")
        if similarity is not None and self.profile.similarity is None:
            _validated(self.profile, "similarity", {})
        self._similarity = similarity
        self._recompute()

    def set_similarity_weight(self, weight: float) -> None:
        """Change the weight of the similarity component (needs a profile `similarity:`)."""
        if self.profile.similarity is None:
            raise ProfileError("similarity weight: the profile has no 'similarity:' section")
        weight = _finite(weight, "similarity weight")
        if self._similarity is not None:
            self._base += (weight - self._similarity_weight()) * self._similarity.values
        self.profile.similarity.weight = weight

    def _similarity_weight(self) -> float:
        return self.profile.similarity.weight if self.profile.similarity is not None else 0.0

    def add_term(self, term: Term | str | dict[str, Any]) -> str:
        """Add a term (a `Term`, ``"LLM"``, ``{"LLM": 2}`` ...); scans the text for it only."""
        term = _validated_term(term)
        _validated(self.profile, "terms", [*self.profile.terms, term])
        new, = self._count([term])
        for field, matrix in new.items():
            self.counts_[field] = sp.hstack([self.counts_[field], matrix], format="csc")
            self._add_column(self.counts_[field], len(self.profile.terms) - 1,
                             term.weight * getattr(self.profile.field_weights, field))
        self._release()                  # the old matrices' buffers
        return term.key

    def remove_term(self, key: str) -> None:
        """Remove a term (its matches stop counting)."""
        j = self._term_index(key)
        del self.profile.terms[j]
        keep = [k for k in range(len(self.profile.terms) + 1) if k != j]
        self.counts_ = {f: m[:, keep].tocsc() for f, m in self.counts_.items()}
        self._recompute()

    # -- scores ------------------------------------------------------------------------------
    def _set_now(self, now: Any) -> None:
        """Score as of `now`; without one, as of the last `now` given (or the first call)."""
        if now is not None:
            stamp = pd.Timestamp(now)
            self._now = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
        elif self._now is None:
            self._now = pd.Timestamp.now(tz="UTC")

    def _age_days(self, now: Any) -> np.ndarray:
        """Days since publication (NaN when unknown)."""
        self._set_now(now)
        return (self._now - _EPOCH) / pd.Timedelta(days=1) - self._published

    def _decay(self, age: np.ndarray) -> np.ndarray | None:
        if self.profile.half_life_days is None:
            return None
        decay = 0.5 ** (np.maximum(age, 0.0) / self.profile.half_life_days)
        return np.where(np.isnan(decay), 1.0, decay)

    def excluded(self, now: Any = None) -> np.ndarray:
        """Which papers are excluded (exclude term, category filter or too old), in row order."""
        return self._excluded(now).copy()

    def _excluded(self, now: Any) -> np.ndarray:
        """Which papers are excluded; may be the scorer's own array (callers must not change it)."""
        if self.profile.max_age_days is None:
            self._set_now(now)
            return self._static_excluded
        return self._static_excluded | (self._age_days(now) > self.profile.max_age_days)

    def scores(self, now: Any = None) -> np.ndarray:
        """Every paper's score, in row order (see the module docstring for the formula)."""
        return self._values(now).copy()

    def _values(self, now: Any) -> np.ndarray:
        """The scores; may be the scorer's own array (callers must not change it)."""
        keyword = self._base
        self._set_now(now)
        if self.profile.half_life_days is not None:
            keyword = keyword * self._decay(self._age_days(now))
        if self._learned is None or self.profile.alpha == 0:
            return keyword
        alpha = self.profile.alpha
        return (1 - alpha) * keyword + alpha * self._scale(keyword) * self._learned

    def _scale(self, keyword: np.ndarray) -> float:
        """K: the largest absolute keyword score of a paper that is not excluded (1 if none)."""
        kept = np.abs(keyword[~self._excluded(None)])
        top = float(kept.max()) if kept.size else 0.0
        return top if top > 0 else 1.0

    def _ordered(self, values: np.ndarray, excluded: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """`rows` sorted by rank: not excluded first, higher score first, then row order."""
        return rows[np.lexsort((rows, -values[rows], excluded[rows]))]

    def score(self, papers: Papers | None = None, *, now: Any = None,
              learned: pd.Series | np.ndarray | None = None,
              columns: Sequence[str] | None = None, hand_over: bool = False) -> pd.DataFrame:
        """The papers sorted by rank, with ``score``, ``rank`` (1 = best; <NA> when excluded)
        and ``excluded``; only `columns` of the papers when given. Passing `papers`
        compiles against them first. Papers given as a pyarrow Table come back in
        Arrow-backed columns (``pd.ArrowDtype``; lists stay Arrow lists), taken in one copy.

        With `hand_over`, the frame takes the papers from the scorer: each column of the
        Table is freed as its sorted copy is made (`litscope.gather.take_all`), so the two
        are never both in memory, and the scorer forgets the papers (fit it again to use
        it). Only worth it when nothing else holds the Table (`litscope.score` of a path)."""
        if papers is not None:
            self.fit(papers)
        self._require_fit()
        if learned is not None:
            self.set_learned(learned)
        values, excluded = self._values(now), self._excluded(now)
        order = self._ordered(values, excluded, np.arange(self.n_papers_))
        if hand_over and isinstance(self.papers_, pa.Table):
            return self._handed_frame(order, values, excluded, columns)
        return self._frame(order, values, excluded, columns)

    def _handed_frame(self, order: np.ndarray, values: np.ndarray, excluded: np.ndarray,
                      columns: Sequence[str] | None) -> pd.DataFrame:
        """`_frame` of every paper, taking the Table's columns over (see `score`)."""
        names = self._frame_names(columns)
        values, excluded = values[order], excluded[order]
        handed = [self.papers_.column(name) for name in names]
        self._forget()
        frame = pa.Table.from_arrays(take_all(handed, order), names=names) \
            .to_pandas(types_mapper=pd.ArrowDtype)
        return _ranked(frame, values, excluded)

    def _forget(self) -> None:
        """Drop the papers and all that was compiled from them; keep the profile."""
        kept = {"profile": self.profile, "progress": self.progress}
        vars(self).clear()
        vars(self).update(kept, _now=None, _learned=None, _similarity=None)
        release(BIG)

    def top_rows(self, k: int | None = None, *, now: Any = None,
                 within: np.ndarray | None = None) -> np.ndarray:
        """Row positions of the best `k` papers (default: the profile's top_n) that are not
        excluded and reach min_score, best first: argpartition over the score array only.
        `within`, a boolean mask in row order, says which papers may be listed instead (the
        Explorer's filters)."""
        self._require_fit()
        k = self.profile.top_n if k is None else int(k)
        values, excluded = self._values(now), self._excluded(now)
        if within is not None:
            eligible = np.where(within, values, -np.inf)
        else:
            eligible = np.where(excluded, -np.inf, values)
            if self.profile.min_score is not None:
                eligible[values < self.profile.min_score] = -np.inf
        k = min(k, int(np.count_nonzero(eligible > -np.inf)))
        if k <= 0:
            return np.zeros(0, np.int64)
        threshold = eligible[np.argpartition(eligible, len(eligible) - k)[len(eligible) - k:]].min()
        above = np.flatnonzero(eligible > threshold)
        ties = np.flatnonzero(eligible == threshold)[: k - len(above)]
        return self._ordered(values, excluded, np.concatenate([above, ties]))

    def top(self, k: int | None = None, *, now: Any = None,
            columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The best `k` papers as a DataFrame (see `top_rows`); no copy of the corpus."""
        rows = self.top_rows(k, now=now)
        return self._frame(rows, self._values(None), self._excluded(None), columns)

    def _frame(self, rows: np.ndarray, values: np.ndarray, excluded: np.ndarray,
               columns: Sequence[str] | None) -> pd.DataFrame:
        """The papers at `rows` (best first, excluded last) with score, rank and excluded."""
        names = self._frame_names(columns)
        if isinstance(self.papers_, pa.Table):
            frame = take_rows(self.papers_.select(names), rows).to_pandas(types_mapper=pd.ArrowDtype)
        else:
            frame = self.papers_[names].iloc[rows].reset_index(drop=True)
        return _ranked(frame, values[rows], excluded[rows])

    def _frame_names(self, columns: Sequence[str] | None) -> list[str]:
        """The papers' columns a frame shows: `columns` (all when None), checked."""
        names = [c for c in (columns or _names(self.papers_)) if c not in ("score", "rank", "excluded")]
        missing = [c for c in names if c not in _names(self.papers_)]
        if missing:
            raise ScoreError(f"no column {missing[0]!r} among the scored papers' columns "
                             f"({', '.join(_names(self.papers_))})")
        return names

    # -- looking inside ----------------------------------------------------------------------
    @property
    def ids_(self) -> pd.Index:
        """The fitted papers' ids, in row order."""
        self._require_fit()
        if self._ids is None:
            column = _column(self.papers_, "id")
            self._ids = pd.Index(column.to_pandas().astype(str))
        return self._ids

    def _row(self, paper_id: str) -> int:
        try:
            where = self.ids_.get_loc(paper_id)
        except KeyError:
            raise ScoreError(f"no paper with id {paper_id!r} among the {self.n_papers_} scored "
                             f"papers") from None
        if isinstance(where, slice):
            return where.start
        return int(np.flatnonzero(where)[0]) if isinstance(where, np.ndarray) else int(where)

    def explain(self, paper_id: str, *, now: Any = None) -> pd.DataFrame:
        """Why a paper scored what it did: one row per (term, field) match, boost, recency
        and learned blend; the ``contribution`` column sums to the paper's score."""
        self._require_fit()
        i = self._row(paper_id)
        blend = self._learned is not None and self.profile.alpha > 0
        keep = 1 - self.profile.alpha if blend else 1.0
        age = self._age_days(now)
        decay = self._decay(age)
        rows: list[tuple[Any, ...]] = []
        for field in FIELDS:
            columns, counts = _row_of(self.counts_[field], i)
            fw = getattr(self.profile.field_weights, field)
            for j, n, x in zip(columns, counts, self._tf(counts)):
                term = self.profile.terms[j]
                rows.append((term.key, field, int(n), term.weight, fw, keep * fw * term.weight * x))
        for kind, matrix, field in (("author", self.author_matrix_, "authors"),
                                    ("category", self.category_matrix_, "categories")):
            boosts = list(getattr(self.profile, f"{kind}_boosts").items())
            for j in _row_of(matrix, i)[0]:
                name, boost = boosts[j]
                rows.append((f"{kind}: {name}", field, 1, boost, 1.0, keep * boost))
        if self._similarity is not None:
            for label, reference, value in self._similarity.explain_rows(i, self._similarity_weight()):
                rows.append((label, "library", np.nan, self._similarity_weight(), np.nan, keep * value))
        if decay is not None:
            rows.append(("recency", "published", np.nan, decay[i], np.nan,
                         keep * self._base[i] * (decay[i] - 1)))
        if blend:
            keyword = self._base if decay is None else self._base * decay
            rows.append(("learned", "model", np.nan, self.profile.alpha, np.nan,
                         self.profile.alpha * self._scale(keyword) * self._learned[i]))
        for field in FIELDS:
            for j, n in zip(*_row_of(self.exclude_counts_[field], i)):
                rows.append((f"exclude: {self.profile.exclude[j].key}", field, int(n), np.nan, np.nan, 0.0))
        if not self._in_categories[i]:
            rows.append(("exclude: not in categories", "categories", np.nan, np.nan, np.nan, 0.0))
        if self.profile.max_age_days is not None and age[i] > self.profile.max_age_days:
            rows.append(("exclude: older than max_age_days", "published", np.nan, np.nan, np.nan, 0.0))
        frame = pd.DataFrame(rows, columns=["term", "field", "matches", "weight", "field_weight",
                                            "contribution"])
        frame.attrs.update(paper_id=paper_id, score=float(self.scores(now)[i]),
                           excluded=bool(self.excluded(now)[i]))
        return frame

    def highlight(self, paper_id: str, field: str = "abstract") -> str:
        """The field's text as HTML, every term match in ``<mark>``, all text escaped."""
        self._require_fit()
        if field not in FIELDS:
            raise ScoreError(f"highlight: unknown field {field!r} (fields: {', '.join(FIELDS)})")
        text = self._text(field)[self._row(paper_id)].as_py()
        spans = []
        for term, css in [*((t, "pos" if t.weight >= 0 else "neg") for t in self.profile.terms),
                          *((t, "exclude") for t in self.profile.exclude)]:
            if field in term.applies_to():
                spans += [(m.start(), m.end(), term.key, css) for m in term.regex.finditer(text)
                          if m.end() > m.start()]
        spans.sort(key=lambda s: (s[0], -s[1]))
        out, pos = [], 0
        for start, end, key, css in spans:
            if start < pos:
                continue
            out.append(html.escape(text[pos:start]))
            out.append(f'<mark class="litscope-{css}" title="{html.escape(key)}">'
                       f"{html.escape(text[start:end])}</mark>")
            pos = end
        out.append(html.escape(text[pos:]))
        return "".join(out)

    def _require_fit(self) -> None:
        if not hasattr(self, "counts_"):
            raise ScoreError("the scorer has not seen any papers yet: call fit(papers) first")


def _ranked(frame: pd.DataFrame, values: np.ndarray, excluded: np.ndarray) -> pd.DataFrame:
    """A frame of papers in rank order with their score, rank and excluded columns."""
    kept = ~excluded
    frame["score"] = values
    frame["rank"] = pd.arrays.IntegerArray(np.cumsum(kept), ~kept)
    frame["excluded"] = excluded
    return frame


def _row_of(matrix: sp.csc_matrix, i: int) -> tuple[np.ndarray, np.ndarray]:
    """The columns and values of row `i` of a CSC matrix with sorted indices, by a binary
    search per column (`getrow` would scan every stored value)."""
    if not matrix.has_sorted_indices:
        matrix.sort_indices()
    columns, values = [], []
    for j in range(matrix.shape[1]):
        lo, hi = matrix.indptr[j], matrix.indptr[j + 1]
        k = lo + int(np.searchsorted(matrix.indices[lo:hi], i))
        if k < hi and matrix.indices[k] == i:
            columns.append(j)
            values.append(matrix.data[k])
    return np.array(columns, np.int64), np.array(values, matrix.dtype)


def _names(papers: Papers) -> list[str]:
    return list(papers.column_names if isinstance(papers, pa.Table) else papers.columns)


def _finite(value: Any, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ProfileError(f"{what} must be a number, got {value!r}") from None
    if not np.isfinite(number):
        raise ProfileError(f"{what} must be a finite number, got {value!r}")
    return number


def _validated_term(term: Term | str | dict[str, Any]) -> Term:
    if isinstance(term, Term):
        return term
    try:
        return Term.model_validate(term)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ProfileError(f"term {term!r}: {where + ': ' if where else ''}"
                           f"{first['msg'].removeprefix('Value error, ')}") from None


def _validated(profile: Profile, name: str, value: Any) -> None:
    """Assign a profile setting through its validation; errors name the setting."""
    try:
        setattr(profile, name, value)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ProfileError(f"{name}: {first['msg'].removeprefix('Value error, ')}") from None


# -- conveniences ----------------------------------------------------------------------------
def score(papers: Papers | str | Path, profile: Profile | str | Path, *, now: Any = None,
          learned: pd.Series | None = None, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Score papers with a profile: the papers (or only `columns` of them) sorted by rank,
    with score, rank and excluded (see `Scorer.score`).

    `papers` may be the path of a Parquet file or a folder of them (a dataset of
    `litscope.score.scale`, a `litscope score --out` file): read, scored, then each column
    handed to the frame and freed as its sorted copy is made. The papers then peak near
    the frame's own size; a frame of papers the caller holds needs their size twice
    (benchmarks/RESULTS.md)."""
    if isinstance(papers, (str, Path)):
        return Scorer(profile).fit(read_papers(papers, None)).score(
            now=now, learned=learned, columns=columns, hand_over=True)
    return Scorer(profile).score(papers, now=now, learned=learned, columns=columns)


def explain(papers: Papers, profile: Profile | str | Path, paper_id: str, *,
            now: Any = None) -> pd.DataFrame:
    """Why one paper scored what it did (see `Scorer.explain`)."""
    return Scorer(profile).fit(papers).explain(paper_id, now=now)

