"""Learning from the person's include/exclude labels: a text classifier, "what to label
next" for active learning, and the screening metrics ASReview reports.

The `Learner` reads title and abstract as tf-idf word uni- and bigrams and soft-votes two
classifiers: a logistic regression that treats the papers nobody labelled yet as weakly
weighted excludes (positive-unlabelled learning: the few excludes a person labels are the
near misses, the unlabelled corpus shows what "everything else" looks like), and ASReview's
Naive Bayes. `benchmarks/bench_learn.py` simulates screening with it and with ASReview 3's
default model on the embedded sample and reports both.

Metrics follow asreview-insights (priors left out of the screening order):

- ``recall_at_k``: the share of the relevant papers among the first k;
- ``precision_at_k``: the share of the first k that are relevant;
- ``wss_at(recall=r)``: Work Saved over Sampling, (N - n) / N - (1 - r) with n the papers
  screened until a share r of the relevant ones is found (exactly: the random screener's
  position of the ⌊rR⌋-th relevant paper minus ours, over N);
- ``recall_after(fraction=f)``: the recall after screening the first ⌊fN⌋ papers (RRF@10
  for f = 0.10).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterable, Literal, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import MultinomialNB
from tqdm.auto import tqdm

from ..errors import LearnError

#: Label values that train the model; "maybe" (and no label) leaves a paper unlabelled.
TARGETS = {"include": 1, "exclude": 0}
TEXT_FIELDS = ("title", "abstract")


def label_targets(labels: pd.DataFrame | pd.Series | Mapping[str, object]) -> pd.Series:
    """Labels as a 0/1 Series by paper id (include → 1, exclude → 0, "maybe" dropped).

    Takes `Store.labels()` (columns ``id`` and ``label``), a Series or a mapping from id to
    "include"/"exclude"/"maybe", or to booleans / 0 / 1.
    """
    if isinstance(labels, pd.DataFrame):
        missing = {"id", "label"} - set(labels.columns)
        if missing:
            raise LearnError(f"labels: missing column(s) {', '.join(sorted(missing))} "
                             "(expected the frame Store.labels() returns)")
        labels = pd.Series(labels["label"].to_numpy(), index=labels["id"].astype(str))
    series = pd.Series(labels, dtype=object)
    out = {}
    for paper_id, value in series.items():
        if isinstance(value, str):
            if value == "maybe":
                continue
            if value not in TARGETS:
                raise LearnError(f"labels: paper {paper_id!r} has label {value!r}; use "
                                 "'include', 'exclude' or 'maybe'")
            out[str(paper_id)] = TARGETS[value]
        elif value in (0, 1):    # also True/False
            out[str(paper_id)] = int(value)
        elif not pd.isna(value):
            raise LearnError(f"labels: paper {paper_id!r} has label {value!r}; use "
                             "'include', 'exclude' or 'maybe'")
    return pd.Series(out, dtype="int64", name="label").rename_axis("id")


def _texts(papers: pd.DataFrame, fields: Sequence[str]) -> list[str]:
    missing = [f for f in fields if f not in papers.columns]
    if missing:
        raise LearnError(f"papers: missing column(s) {', '.join(missing)} to learn from")
    if "id" not in papers.columns:
        raise LearnError("papers: missing column 'id'")
    text = papers[fields[0]].fillna("").astype(str)
    for field in fields[1:]:
        text = text + " " + papers[field].fillna("").astype(str)
    return text.tolist()


def _balanced_weights(y: np.ndarray, ratio: float) -> np.ndarray:
    """ASReview's balancer: all includes weigh `ratio` times all excludes; mean weight 1."""
    n_include, n_exclude = int((y == 1).sum()), int((y == 0).sum())
    if n_include == 0 or n_exclude == 0:
        return np.ones(len(y))
    weights = np.where(y == 1, 1.0, n_include / (ratio * n_exclude))
    return weights * len(y) / weights.sum()


class Learner:
    """A relevance model trained on include/exclude labels (scikit-learn style).

    Configuration lives in `__init__`; `fit` learns the vocabulary from all papers it is
    given (labelled or not) and the classifiers from the labelled ones plus, as weak
    excludes, the unlabelled ones; `predict_proba` then scores any papers.

    fields:           text columns to read.
    C:                inverse regularisation of the logistic regression.
    ratio:            how much more all includes weigh than all excludes (class balance).
    unlabeled_weight: weight of each unlabelled paper as an exclude (labelled ones weigh ~1);
                      0.1 did best of 0.1 / 0.3 / 0.6 in the screening benchmark, most of
                      all on subtopics with many relevant papers (the unlabelled hold more
                      of them).
    max_unlabeled:    at most this many unlabelled papers are sampled (same total weight),
                      which bounds the cost of fitting on large corpora.
    nb_alpha:         smoothing of the Naive Bayes member.
    random_state:     seed of that sample.
    """

    name = "tfidf-pu-logistic+nb"

    def __init__(self, *, fields: Sequence[str] = TEXT_FIELDS, C: float = 10.0,
                 ratio: float = 9.8, unlabeled_weight: float = 0.1,
                 max_unlabeled: int = 20_000, nb_alpha: float = 3.822,
                 random_state: int = 0):
        self.fields = tuple(fields)
        self.C = C
        self.ratio = ratio
        self.unlabeled_weight = unlabeled_weight
        self.max_unlabeled = max_unlabeled
        self.nb_alpha = nb_alpha
        self.random_state = random_state

    def __repr__(self) -> str:
        return (f"Learner(C={self.C}, ratio={self.ratio}, unlabeled_weight="
                f"{self.unlabeled_weight}, max_unlabeled={self.max_unlabeled})")

    # -- public API --------------------------------------------------------------------
    def fit(self, papers: pd.DataFrame, labels: pd.DataFrame | pd.Series | Mapping) -> "Learner":
        """Learn from the labels of `papers` (labels of other papers are ignored)."""
        X = self._vectorize(papers)
        ids = pd.Index(papers["id"].astype(str))
        y = label_targets(labels).reindex(ids).to_numpy(dtype=float)
        self._fitted_on = (ids, X)    # predicting the same papers reuses their features
        return self._fit_matrix(X, y)

    def predict_proba(self, papers: pd.DataFrame) -> pd.Series:
        """Each paper's probability of being included, as a Series by paper id."""
        if not hasattr(self, "vectorizer_"):
            raise LearnError("this Learner is not fitted yet: call fit(papers, labels) first")
        ids = pd.Index(papers["id"].astype(str), name="id")
        fitted_ids, X = getattr(self, "_fitted_on", (None, None))
        if fitted_ids is None or not ids.equals(fitted_ids):
            X = self.vectorizer_.transform(_texts(papers, self.fields))
        return pd.Series(self._proba(X), index=ids, name="learned")

    # -- the parts simulate() and evaluate() reuse on one feature matrix ---------------
    def _vectorize(self, papers: pd.DataFrame) -> sparse.csr_matrix:
        self._fitted_on = (None, None)
        self.vectorizer_ = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, max_df=0.95,
                                           dtype=np.float32)
        return self.vectorizer_.fit_transform(_texts(papers, self.fields)).tocsr()

    def _fit_matrix(self, X: sparse.csr_matrix, y: np.ndarray) -> "Learner":
        """Fit on rows of `X`; `y` holds 1 (include), 0 (exclude) or NaN (unlabelled)."""
        labelled = np.flatnonzero(~np.isnan(y))
        y_labelled = y[labelled].astype(int)
        unlabelled = np.flatnonzero(np.isnan(y))
        self.n_include_ = int(y_labelled.sum())
        self.n_exclude_ = int(len(y_labelled) - self.n_include_)
        if self.n_include_ == 0:
            raise LearnError(f"no paper is labelled 'include' among the {len(y)} papers "
                             f"({self.n_exclude_} excludes): label at least one paper 'include'")
        if self.n_exclude_ == 0 and len(unlabelled) == 0:
            raise LearnError("every paper is labelled 'include': label at least one paper "
                             "'exclude' (or add unlabelled papers) so there is something to tell apart")
        weights = _balanced_weights(y_labelled, self.ratio)
        if len(unlabelled) > self.max_unlabeled:
            rng = np.random.default_rng(self.random_state)
            unlabelled = np.sort(rng.choice(unlabelled, self.max_unlabeled, replace=False))
        n_unlabelled = int(np.isnan(y).sum())
        rows = np.concatenate([labelled, unlabelled])
        targets = np.concatenate([y_labelled, np.zeros(len(unlabelled), int)])
        unlabelled_weight = self.unlabeled_weight * n_unlabelled / max(len(unlabelled), 1)
        sample_weight = np.concatenate([weights, np.full(len(unlabelled), unlabelled_weight)])
        self.logistic_ = LogisticRegression(C=self.C, solver="liblinear", dual=True).fit(
            X[rows], targets, sample_weight=sample_weight)
        if self.n_exclude_ > 0:
            self.bayes_ = MultinomialNB(alpha=self.nb_alpha).fit(
                X[labelled], y_labelled, sample_weight=_balanced_weights(y_labelled, 1.2))
        else:
            self.bayes_ = None
        return self

    def _proba(self, X: sparse.csr_matrix) -> np.ndarray:
        proba = self.logistic_.predict_proba(X)[:, 1]
        if self.bayes_ is None:
            return proba
        return (proba + self.bayes_.predict_proba(X)[:, 1]) / 2


# -- active learning ---------------------------------------------------------------------
def suggest_next(papers: pd.DataFrame, labels: pd.DataFrame | pd.Series | Mapping, n: int = 10,
                 strategy: Literal["uncertain", "top"] = "uncertain",
                 learner: Learner | None = None) -> pd.DataFrame:
    """The `n` unlabelled papers to label next, with their ``learned`` probability.

    "uncertain" picks those the model is least sure about (probability nearest 0.5: each
    label teaches it most); "top" picks the most likely includes (finds them soonest).
    Papers with any label, "maybe" included, are not suggested again.
    """
    if strategy not in ("uncertain", "top"):
        raise LearnError(f"strategy must be 'uncertain' or 'top', not {strategy!r}")
    if n < 1:
        raise LearnError(f"n must be at least 1, not {n}")
    learner = (learner or Learner()).fit(papers, labels)
    seen = set(pd.DataFrame(labels)["id"].astype(str)) if isinstance(labels, pd.DataFrame) \
        else {str(i) for i in pd.Series(labels, dtype=object).index}
    pool = papers[~papers["id"].astype(str).isin(seen)]
    learned = learner.predict_proba(pool).to_numpy()
    key = np.abs(learned - 0.5) if strategy == "uncertain" else -learned
    order = np.argsort(key, kind="stable")[:n]
    return pool.iloc[order].assign(learned=learned[order]).reset_index(drop=True)


# -- metrics -----------------------------------------------------------------------------
def _hits(ranking: Sequence[str] | pd.Index, relevant: Iterable[str]) -> np.ndarray:
    """Whether each paper of `ranking` (best first) is relevant; needs one relevant paper."""
    hits = pd.Index(ranking).astype(str).isin({str(r) for r in relevant})
    if not hits.any():
        raise LearnError("none of the relevant papers is in the ranking: metrics need at least one")
    return np.asarray(hits)


def _first(x: np.ndarray, y: np.ndarray, at: float) -> float:
    """asreview-insights' slicing: y at the last x not beyond `at`."""
    return float(y[max(int(np.searchsorted(x, at + 1e-12, side="right")) - 1, 0)])


def recall_at_k(ranking: Sequence[str], relevant: Iterable[str], k: int) -> float:
    """The share of the relevant papers found among the first `k` of `ranking`."""
    hits = _hits(ranking, relevant)
    return float(hits[:k].sum() / hits.sum())


def precision_at_k(ranking: Sequence[str], relevant: Iterable[str], k: int) -> float:
    """The share of the first `k` papers of `ranking` that are relevant."""
    if k < 1:
        raise LearnError(f"k must be at least 1, not {k}")
    hits = _hits(ranking, relevant)
    return float(hits[:k].sum() / min(k, len(hits)))


def wss_at(ranking: Sequence[str], relevant: Iterable[str], recall: float = 0.95) -> float:
    """Work Saved over Sampling at `recall` (WSS@95 by default), as asreview-insights has it."""
    hits = _hits(ranking, relevant)
    n, n_relevant = len(hits), int(hits.sum())
    found = np.cumsum(hits)
    found_at_random = np.round(np.linspace(0, n_relevant, n))
    steps = np.arange(1, n_relevant + 1)
    saved = (np.searchsorted(found_at_random, steps) - np.searchsorted(found, steps)) / n
    return _first(steps / n_relevant, saved, recall)


def recall_after(ranking: Sequence[str], relevant: Iterable[str], fraction: float = 0.10) -> float:
    """Recall after screening the first `fraction` of `ranking` (RRF@10 by default)."""
    hits = _hits(ranking, relevant)
    screened = int(np.floor(fraction * len(hits) + 1e-9))
    return float(hits[:screened].sum() / hits.sum())


# -- simulation --------------------------------------------------------------------------
@dataclass(frozen=True)
class Screening:
    """A simulated screening: the order the papers were read in, and its metrics.

    `order` holds every paper id: the priors, then the papers screened one by one until the
    last relevant one was found (`n_screened` of them), then the rest as the last model
    ranked them. Metrics leave the priors out, as ASReview does.
    """

    order: pd.Index
    relevant: frozenset
    prior_ids: tuple[str, ...]
    n_screened: int
    n_fits: int
    seconds: float

    @property
    def ranking(self) -> pd.Index:
        """The screening order without the priors."""
        return self.order[len(self.prior_ids):]

    @property
    def _relevant(self) -> frozenset:
        return self.relevant - set(self.prior_ids)

    def wss(self, recall: float = 0.95) -> float:
        return wss_at(self.ranking, self._relevant, recall)

    def recall_after(self, fraction: float = 0.10) -> float:
        return recall_after(self.ranking, self._relevant, fraction)

    def curve(self) -> pd.DataFrame:
        """Recall after each screened paper: columns ``screened``, ``found``, ``recall``."""
        found = np.cumsum(_hits(self.ranking, self._relevant))
        return pd.DataFrame({"screened": np.arange(1, len(found) + 1), "found": found,
                             "recall": found / found[-1]})

    def metrics(self) -> dict[str, float]:
        return {"wss@95": self.wss(0.95), "rrf@10": self.recall_after(0.10),
                "screened": self.n_screened, "seconds": self.seconds}


def sample_priors(ids: Sequence[str], relevant: Iterable[str], n_included: int = 1,
                  n_excluded: int = 1, seed: int = 0) -> tuple[str, ...]:
    """Draw the papers a simulated reviewer knows before screening (relevant ones first)."""
    ids = pd.Index(ids).astype(str)
    hits = ids.isin({str(r) for r in relevant})
    rng = np.random.default_rng(seed)
    for n, pool, what in ((n_included, ids[hits], "relevant"), (n_excluded, ids[~hits], "irrelevant")):
        if n > len(pool):
            raise LearnError(f"cannot draw {n} {what} prior(s): only {len(pool)} {what} papers")
    return (*rng.choice(ids[hits], n_included, replace=False),
            *rng.choice(ids[~hits], n_excluded, replace=False))


def simulate(papers: pd.DataFrame, relevant_ids: Iterable[str], n_prior_included: int = 1,
             n_prior_excluded: int = 1, seed: int = 0, *, prior_ids: Sequence[str] | None = None,
             learner: Learner | None = None, progress: bool = False) -> Screening:
    """Simulate screening `papers` with the learner, knowing which are relevant.

    Starts from priors (drawn with `seed`, or given as `prior_ids`), then repeatedly
    retrains on every label so far and screens the paper most likely to be relevant
    ("max" querying, as ASReview does), until every relevant paper is found. The features
    are computed once; each step refits only the classifiers.
    """
    start = time.perf_counter()
    learner = learner or Learner()
    ids = pd.Index(papers["id"].astype(str))
    relevant = frozenset(ids[ids.isin({str(r) for r in relevant_ids})])
    if not relevant:
        raise LearnError("relevant_ids: none of them is among the papers")
    if prior_ids is None:
        prior_ids = sample_priors(ids, relevant, n_prior_included, n_prior_excluded, seed)
    positions = ids.get_indexer(list(prior_ids))
    if (positions < 0).any():
        raise LearnError(f"prior_ids: {list(prior_ids)[int(np.argmax(positions < 0))]!r} is not "
                         "among the papers")
    truth = ids.isin(relevant).astype(float)
    X = learner._vectorize(papers)
    y = np.full(len(ids), np.nan)
    y[positions] = truth[positions]
    order = list(positions)
    to_find = len(relevant) - int(truth[positions].sum())
    n_fits = 0
    with tqdm(total=to_find, desc="relevant found", disable=not progress) as bar:
        while True:
            learner._fit_matrix(X, y)
            n_fits += 1
            pool = np.flatnonzero(np.isnan(y))
            proba = learner._proba(X[pool])
            if to_find == 0:
                break
            pick = pool[int(np.argmax(proba))]
            y[pick] = truth[pick]
            order.append(pick)
            to_find -= int(truth[pick])
            bar.update(int(truth[pick]))
    n_screened = len(order) - len(positions)
    rest = pool[np.argsort(-proba, kind="stable")]
    return Screening(order=ids[np.concatenate([order, rest]).astype(int)], relevant=relevant,
                     prior_ids=tuple(ids[positions]), n_screened=n_screened, n_fits=n_fits,
                     seconds=time.perf_counter() - start)


# -- evaluation on the person's labels --------------------------------------------------
def evaluate(papers: pd.DataFrame, labels: pd.DataFrame | pd.Series | Mapping, *, folds: int = 5,
             k: int = 10, learner: Learner | None = None, seed: int = 0) -> pd.Series:
    """Cross-validated quality of the learner on the labelled papers.

    Each fold's labels are hidden and predicted by a model trained on the others; the
    labelled papers ranked by those held-out probabilities give recall@k, precision@k,
    WSS@95, recall after 10% and ROC AUC.
    """
    learner = learner or Learner()
    ids = pd.Index(papers["id"].astype(str))
    targets = label_targets(labels)
    targets = targets[targets.index.isin(ids)]
    n_include, n_exclude = int(targets.sum()), int((targets == 0).sum())
    folds = min(folds, n_include, n_exclude)
    if folds < 2:
        raise LearnError(f"cross-validation needs at least 2 includes and 2 excludes among the "
                         f"papers; there are {n_include} and {n_exclude}: label more papers")
    X = learner._vectorize(papers)
    rows = ids.get_indexer(targets.index)
    held_out = np.empty(len(rows))
    splits = StratifiedKFold(folds, shuffle=True, random_state=seed).split(rows, targets)
    for train, test in splits:
        y = np.full(len(ids), np.nan)
        y[rows[train]] = targets.to_numpy()[train]
        held_out[test] = learner._fit_matrix(X, y)._proba(X[rows[test]])
    ranking = targets.index[np.argsort(-held_out, kind="stable")]
    relevant = targets.index[targets == 1]
    return pd.Series({
        "includes": n_include, "excludes": n_exclude, "folds": folds,
        f"recall@{k}": recall_at_k(ranking, relevant, k),
        f"precision@{k}": precision_at_k(ranking, relevant, k),
        "wss@95": wss_at(ranking, relevant, 0.95),
        "recall@10%": recall_after(ranking, relevant, 0.10),
        "roc_auc": roc_auc_score(targets.to_numpy(), held_out),
    }, name=learner.name)
