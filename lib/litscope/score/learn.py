"""Learning from the person's include/exclude labels: a text classifier, "what to label
next" for active learning, and the screening metrics ASReview reports.

The `Learner` reads title and abstract through a representation (`litscope.score.represent`;
tf-idf of single words' raw counts by default) whose features are computed once per corpus
(`litscope.score.features`): a refit after a new label only refits the classifier. The
classifier is a logistic regression that treats the papers nobody labelled yet as weakly
weighted excludes (positive-unlabelled learning: the few excludes a person labels are the
near misses, the unlabelled corpus shows what "everything else" looks like), optionally
soft-voted with ASReview's Naive Bayes. `benchmarks/bench_learn.py` simulates screening with
it and with ASReview 3's default model on the embedded sample, choosing every setting
leave-one-subtopic-out, and reports both.

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
from typing import Any, Iterable, Literal, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import MultinomialNB
from tqdm.auto import tqdm

from ..choices import STRATEGIES
from ..errors import LearnError
from .features import corpus_features, stack
from .represent import Representation, Tfidf, get_representation

#: Label values that train the model; "maybe" (and no label) leaves a paper unlabelled.
TARGETS = {"include": 1, "exclude": 0}
Strategy = Literal["top", "uncertain"]
#: What `suggest_next` lists unless told otherwise: the likeliest includes, which finds the
#: relevant papers soonest (best in the screening benchmark; "uncertain" is measured too,
#: but there it picks what "top" picks: with the unlabelled papers as weak excludes, every
#: unlabelled paper's probability stayed below 0.5, so the nearest to 0.5 is the likeliest).
DEFAULT_STRATEGY: Strategy = "top"
#: What the learner reads by default: tf-idf of single words, English stop words dropped,
#: raw term counts (no sublinear tf). On the screening benchmark's tuning priors it had the
#: best mean WSS@95 over the seven tasks: 0.652, against 0.639 with sublinear tf and 0.630
#: for sublinear uni- and bigrams (the first default); single words refit in half the time.
SCREENING_FEATURES = Tfidf(ngram_range=(1, 1), stop_words="english", sublinear_tf=False)


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
    pairs = labels.items() if isinstance(labels, Mapping) else pd.Series(labels, dtype=object).items()
    ids, targets = [], []
    for paper_id, value in pairs:
        if isinstance(value, str):
            if value == "maybe":
                continue
            target = TARGETS.get(value)
        elif value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            continue
        else:
            target = int(value) if value in (0, 1) else None    # also True/False
        if target is None:
            raise LearnError(f"labels: paper {paper_id!r} has label {value!r}; use "
                             "'include', 'exclude' or 'maybe'")
        ids.append(str(paper_id))
        targets.append(target)
    out = pd.Series(np.array(targets, np.int64), index=pd.Index(ids, dtype=object))
    return out.rename("label").rename_axis("id")


def _labelled_ids(labels: pd.DataFrame | pd.Series | Mapping[str, object]) -> pd.Index:
    """Every labelled paper's id, "maybe" included."""
    if isinstance(labels, pd.DataFrame):
        return pd.Index(labels["id"].astype(str)) if "id" in labels else pd.Index([])
    return pd.Index(pd.Series(labels, dtype=object).index.astype(str))


def _balanced_weights(y: np.ndarray, ratio: float) -> np.ndarray:
    """ASReview's balancer: all includes weigh `ratio` times all excludes; mean weight 1."""
    n_include, n_exclude = int((y == 1).sum()), int((y == 0).sum())
    if n_include == 0 or n_exclude == 0:
        return np.ones(len(y))
    weights = np.where(y == 1, 1.0, n_include / (ratio * n_exclude))
    return weights * len(y) / weights.sum()


class Learner:
    """A relevance model trained on include/exclude labels (scikit-learn style).

    Configuration lives in `__init__`; `fit` takes the corpus's features (computed once per
    corpus, see `litscope.score.features`) and learns the classifier from the labelled
    papers plus, as weak excludes, the unlabelled ones; `predict_proba` then scores any
    papers. Every setting below that a benchmark measured was chosen there across tasks
    (leave one subtopic out), not on the task it is reported on.

    representation:   how texts become features (`litscope.score.represent`; by default
                      `SCREENING_FEATURES`, tf-idf of single words' raw counts without stop
                      words).
    C:                inverse regularisation of the logistic regression.
    ratio:            how much more all includes weigh than all excludes (class balance).
    unlabeled_weight: weight of each unlabelled paper as an exclude (labelled ones weigh ~1);
                      on the screening benchmark's tuning priors 0.3 and 0.5 share the best
                      mean WSS@95 (0.652, against 0.622 for 0 and 0.645 for 0.1; raw-count
                      tf-idf).
    max_unlabeled:    at most this many unlabelled papers are sampled (same total weight),
                      which bounds the cost of a refit on large corpora (5,000: under a second
                      at 100k papers; on the benchmark's 803 papers every unlabelled one counts).
    naive_bayes:      also soft-vote ASReview's Naive Bayes (tf-idf only); off by default,
                      as it did not help in the screening benchmark.
    nb_alpha:         smoothing of the Naive Bayes member.
    random_state:     seed of that sample and of liblinear's shuffling (fits repeat exactly).
    """

    def __init__(self, *, representation: str | Representation = SCREENING_FEATURES, C: float = 10.0,
                 ratio: float = 9.8, unlabeled_weight: float = 0.3, max_unlabeled: int = 5_000,
                 naive_bayes: bool = False, nb_alpha: float = 3.822, random_state: int = 0):
        self.representation = get_representation(representation)
        self.C = C
        self.ratio = ratio
        self.unlabeled_weight = unlabeled_weight
        self.max_unlabeled = max_unlabeled
        self.naive_bayes = naive_bayes
        self.nb_alpha = nb_alpha
        self.random_state = random_state

    @property
    def name(self) -> str:
        return f"{self.representation.name}-pu-logistic{'+nb' if self.naive_bayes else ''}"

    def __repr__(self) -> str:
        return (f"Learner(representation={self.representation!r}, C={self.C}, ratio={self.ratio}, "
                f"unlabeled_weight={self.unlabeled_weight}, naive_bayes={self.naive_bayes})")

    # -- public API --------------------------------------------------------------------
    def fit(self, papers: pd.DataFrame, labels: pd.DataFrame | pd.Series | Mapping, *,
            store: Any = None, extra_includes: pd.DataFrame | None = None) -> "Learner":
        """Learn from the labels of `papers` (labels of other papers are ignored).

        store:          the store `papers` came from: its features are then cached per
                        corpus version (and embeddings per paper) across calls.
        extra_includes: papers outside the corpus that count as includes (library items
                        that are not in the store), represented like the corpus.
        """
        if "id" not in papers.columns:
            raise LearnError("papers: missing column 'id'")
        self.features_ = features = corpus_features(papers, self.representation, store=store)
        targets = label_targets(labels)
        rows = features.ids.get_indexer(targets.index)
        y = np.full(len(features.ids), np.nan)
        y[rows[rows >= 0]] = targets.to_numpy()[rows >= 0]
        X = features.matrix
        if extra_includes is not None and len(extra_includes):
            X = stack(X, features.vectors(extra_includes))
            y = np.concatenate([y, np.ones(len(extra_includes))])
        return self._fit_matrix(X, y)

    def predict_proba(self, papers: pd.DataFrame) -> pd.Series:
        """Each paper's probability of being included, as a Series by paper id."""
        if not hasattr(self, "logistic_"):
            raise LearnError("this Learner is not fitted yet: call fit(papers, labels) first")
        ids = pd.Index(papers["id"].astype(str), name="id")
        return pd.Series(self._proba(self.features_.vectors(papers)), index=ids, name="learned")

    # -- the parts simulate() and evaluate() reuse on one feature matrix ---------------
    def _fit_matrix(self, X: Any, y: np.ndarray) -> "Learner":
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
        n_unlabelled = len(unlabelled)
        if self.unlabeled_weight == 0:
            unlabelled = unlabelled[:0]
        elif n_unlabelled > self.max_unlabeled:
            rng = np.random.default_rng(self.random_state)
            unlabelled = np.sort(rng.choice(unlabelled, self.max_unlabeled, replace=False))
        weight = np.zeros(len(y))
        weight[labelled] = _balanced_weights(y_labelled, self.ratio)
        weight[unlabelled] = self.unlabeled_weight * n_unlabelled / max(len(unlabelled), 1)
        target = np.nan_to_num(y, nan=0.0).astype(int)
        if len(labelled) + len(unlabelled) < len(y):   # fit on the rows that weigh only
            rows = np.sort(np.concatenate([labelled, unlabelled]))
            X, target, weight = X[rows], target[rows], weight[rows]
        if target.min() == target.max():
            raise LearnError("every labelled paper is an include and no unlabelled paper counts "
                             "as an exclude: label at least one paper 'exclude'")
        self.logistic_ = LogisticRegression(C=self.C, solver="liblinear", dual=sparse.issparse(X),
                                            random_state=self.random_state).fit(
            X, target, sample_weight=weight)
        self.bayes_ = None
        if self.naive_bayes and self.n_exclude_ > 0 and sparse.issparse(X):
            self.bayes_ = MultinomialNB(alpha=self.nb_alpha).fit(
                X[labelled] if len(labelled) < X.shape[0] else X, y_labelled,
                sample_weight=_balanced_weights(y_labelled, 1.2))
        return self

    def _proba(self, X: Any) -> np.ndarray:
        proba = expit(np.asarray(X @ self.logistic_.coef_.ravel()).ravel()
                      + self.logistic_.intercept_[0])
        if self.bayes_ is None:
            return proba
        return (proba + self.bayes_.predict_proba(X)[:, 1]) / 2


def fit_on_store(store: Any, papers: pd.DataFrame | None = None,
                 learner: Learner | None = None) -> Learner:
    """A learner fitted on the store's papers (or `papers` from it) with the person's labels
    and their library as includes (`litscope.sources.library.training_labels`); library
    items that are not in the store count through their own title and abstract."""
    from ..sources.library import library_only_papers, training_labels
    papers = store.papers() if papers is None else papers
    outside = library_only_papers(store)
    return (learner or Learner()).fit(papers, training_labels(store), store=store,
                                      extra_includes=outside)


# -- active learning ---------------------------------------------------------------------
def suggest_next(papers: pd.DataFrame, labels: pd.DataFrame | pd.Series | Mapping, n: int = 10,
                 strategy: Strategy = DEFAULT_STRATEGY, learner: Learner | None = None, *,
                 store: Any = None, extra_includes: pd.DataFrame | None = None) -> pd.DataFrame:
    """The `n` unlabelled papers to label next, with their ``learned`` probability.

    "top" (the default) picks the most likely includes: it finds the relevant papers
    soonest; "uncertain" picks those the model is least sure about (probability nearest
    0.5). Papers with any label, "maybe" included, are not suggested again. The features
    are computed once per corpus (`store` keys them by its corpus version), so each call
    only refits the classifier; `extra_includes` as in `Learner.fit`.
    """
    if strategy not in STRATEGIES:
        raise LearnError(f"strategy must be one of {', '.join(STRATEGIES)}, not {strategy!r}")
    if n < 1:
        raise LearnError(f"n must be at least 1, not {n}")
    learner = (learner or Learner()).fit(papers, labels, store=store, extra_includes=extra_includes)
    features = learner.features_
    learned = learner._proba(features.matrix)
    order = next_to_label(learned, features.ids.isin(_labelled_ids(labels)), strategy, n)
    return papers.iloc[order].assign(learned=learned[order]).reset_index(drop=True)


def next_to_label(learned: np.ndarray, labelled: np.ndarray, strategy: Strategy, n: int) -> np.ndarray:
    """Row positions of the `n` papers to label next by `strategy`, given every paper's
    probability and which are labelled already (ties in row order)."""
    key = np.abs(learned - 0.5) if strategy == "uncertain" else -learned
    key = np.where(labelled, np.inf, key)
    n = min(n, int(np.isfinite(key).sum()))
    if n <= 0:
        return np.zeros(0, np.int64)
    best = np.argpartition(key, n - 1)[:n] if n < len(key) else np.arange(len(key))
    return best[np.lexsort((best, key[best]))]


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
             learner: Learner | None = None, strategy: Strategy = DEFAULT_STRATEGY,
             stop_at: float = 1.0, progress: bool = False) -> Screening:
    """Simulate screening `papers` with the learner, knowing which are relevant.

    Starts from priors (drawn with `seed`, or given as `prior_ids`), then labels, one at a
    time, the paper `suggest_next` proposes with `strategy` (the public path a person's
    clicks take: it refits on every label), until a share `stop_at` of the relevant papers
    (not counting the priors) is found; the rest follow in the last model's order. WSS@r
    depends only on the order up to recall r, so ``stop_at=0.95`` gives WSS@95 exactly.
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
    labels = {ids[i]: int(ids[i] in relevant) for i in positions}
    to_find = int(np.floor(stop_at * (len(relevant) - sum(labels.values())) + 1e-9))
    n_fits = 0
    with tqdm(total=to_find, desc="relevant found", disable=not progress) as bar:
        while to_find:
            pick = suggest_next(papers, labels, 1, strategy, learner)["id"].iloc[0]
            n_fits += 1
            labels[pick] = int(pick in relevant)
            to_find -= labels[pick]
            bar.update(labels[pick])
    learner.fit(papers, labels)
    rest = ~ids.isin(list(labels))
    proba = learner._proba(learner.features_.matrix)
    order = [*ids.get_indexer(list(labels)), *np.flatnonzero(rest)[np.argsort(-proba[rest], kind="stable")]]
    return Screening(order=ids[np.asarray(order, int)], relevant=relevant,
                     prior_ids=tuple(ids[positions]), n_screened=len(labels) - len(positions),
                     n_fits=n_fits + 1, seconds=time.perf_counter() - start)


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
    X = corpus_features(papers, learner.representation).matrix
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
