"""Learning from the person's include/exclude labels: a text classifier, "what to label
next" for active learning, and the screening metrics ASReview reports.

The `Learner` reads title and abstract through a representation (`litscope.score.represent`;
by default ASReview's tf-idf of words and word pairs of title and abstract) whose
features are computed once per corpus (`litscope.score.features`): a refit after a new
label only refits the classifiers -- ASReview 3's linear SVM on the labels alone, joined,
once includes are no longer rare, by a logistic regression that treats the unlabelled
papers as weak excludes (refitted when an include comes or every few excludes), voting by
rank.
`benchmarks/bench_learn.py` simulates screening with it and with ASReview 3's default model
on six real systematic reviews and seed 004's subtopics, choosing every setting leave one
task out, and reports both.

Metrics follow asreview-insights (priors left out of the screening order):

- ``recall_at_k``: the share of the relevant papers among the first k;
- ``precision_at_k``: the share of the first k that are relevant;
- ``wss_at(recall=r)``: Work Saved over Sampling, (N - n) / N - (1 - r) with n the papers
  screened until a share r of the relevant ones is found (exactly: the random screener's
  position of the ⌊rR⌋-th relevant paper minus ours, over N);
- ``recall_after(fraction=f)``: the recall after screening the first ⌊fN⌋ papers (RRF@10
  for f = 0.10);
- ``loss`` and ``ndcg``: ASReview's own measures of the whole recall curve
  (`asreview/metrics.py`): the normalised area between it and the perfect curve (lower is
  better), and the normalised discounted cumulative gain (higher is better).
"""
from __future__ import annotations

import copy
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
from sklearn.svm import LinearSVC
from tqdm.auto import tqdm

from ..choices import STRATEGIES
from ..errors import LearnError
from ..schema import missing
from .features import corpus_features, stack
from .represent import Representation, Tfidf, get_representation

#: Label values that train the model; "maybe" (and no label) leaves a paper unlabelled.
TARGETS = {"include": 1, "exclude": 0}
Strategy = Literal["top", "uncertain"]
#: What `suggest_next` lists unless told otherwise: the likeliest includes, which finds the
#: relevant papers soonest (ASReview's "max" query); "uncertain" lists the papers nearest
#: the SVM member's boundary instead, the classic way to teach a model more per label.
DEFAULT_STRATEGY: Strategy = "top"
#: What the learner reads by default: ASReview 3's tf-idf (words and word pairs, sublinear
#: tf, terms in over 95% of the texts dropped) of title and abstract, with an exact
#: vocabulary up to 20,000 papers (as ASReview's: hashing merges a few terms, which sways a
#: screening run) and hashed beyond (memory stays bounded). Compared in the screening
#: benchmark (benchmarks/RESULTS.md) with the title counted twice.
SCREENING_FEATURES = Tfidf(exact_up_to=20_000)


def label_targets(labels: pd.DataFrame | pd.Series | Mapping[str, object]) -> pd.Series:
    """Labels as a 0/1 Series by paper id (include → 1, exclude → 0, "maybe" dropped).

    Takes `Store.labels()` (columns ``id`` and ``label``), a Series or a mapping from id to
    "include"/"exclude"/"maybe", or to booleans / 0 / 1.
    """
    if isinstance(labels, pd.DataFrame):
        absent = {"id", "label"} - set(labels.columns)
        if absent:
            raise LearnError(f"labels: missing column(s) {', '.join(sorted(absent))} "
                             "(expected the frame Store.labels() returns)")
        labels = pd.Series(labels["label"].to_numpy(), index=labels["id"].astype(str))
    pairs = labels.items() if isinstance(labels, Mapping) else pd.Series(labels, dtype=object).items()
    ids, targets = [], []
    for paper_id, value in pairs:
        if isinstance(value, str):
            if value == "maybe":
                continue
            target = TARGETS.get(value)
        elif missing(value):
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
    corpus, see `litscope.score.features`) and learns a committee of linear models from
    them; `predict_proba` then scores any papers. The members see the labels differently:

    - a logistic regression that also treats the papers nobody labelled yet as weakly
      weighted excludes (positive-unlabelled learning: the few excludes a person labels are
      the near misses, the unlabelled corpus shows what "everything else" looks like);
    - a linear SVM on the labelled papers alone (ASReview 3's default classifier, ELAS u4),
      which does not hold the unlabelled -- among them the relevant papers still to find --
      against what it ranks.

    Each member's vote for a paper is the share of the corpus it scores no higher (the
    members score on different scales, ranks do not); the learned score is the mean vote,
    in [0, 1]. The SVM joins once there is a labelled exclude; from then on the logistic
    regression votes only while the includes make up at least `pu_from` of the papers.
    Where relevant papers are rare (systematic reviews: often 1-5 %), the SVM alone --
    then exactly ASReview's ELAS u4 on its features -- screens as well as the pair or
    better; where they are common, the unlabelled corpus as excludes helps. A learner reused in a
    screening loop (`suggest_next(..., learner=learner)`, one label at a time) keeps its logistic
    regression while only a few excludes were added (`refit_every`): most labels are
    excludes, and one more barely moves a model that already counts the unlabelled corpus
    as excludes; the SVM, cheap on the labels alone, follows every one. `benchmarks/bench_learn.py`
    chose every setting below leave one task out across six real systematic reviews and
    seed 004's seven subtopics; see RESULTS.md.

    representation:   how texts become features (`litscope.score.represent`; by default
                      `SCREENING_FEATURES`).
    C:                inverse regularisation of the logistic regression.
    ratio:            how much more all includes weigh than all excludes (class balance).
    unlabeled_weight: weight of each unlabelled paper as an exclude, for the logistic
                      regression (a labelled exclude weighs ~1 / ratio, an include ~ratio).
    max_unlabeled:    at most this many unlabelled papers are drawn at random as its
                      excludes (same total weight), as Scholar Inbox draws random papers
                      from a large pool: a refit stays cheap on any corpus.
    svm_C:            inverse regularisation of the SVM member (ASReview's 0.11); None
                      leaves the SVM out.
    pu_from:          once there is a labelled exclude, the logistic regression votes only
                      when the includes number at least this share of the papers (0: always;
                      1: only before the first exclude, when the SVM cannot learn).
    refit_every:      in `suggest_next`, when the labels only gained excludes since the last
                      call, the logistic regression (the costly member) is kept until this
                      many have come since it was fitted, or an include comes; the SVM refits
                      on every label. 1 refits it every time; `fit` always does.
    random_state:     seed of the draw of unlabelled papers and of liblinear (fits repeat
                      exactly).
    """

    def __init__(self, *, representation: str | Representation = SCREENING_FEATURES, C: float = 10.0,
                 ratio: float = 9.8, unlabeled_weight: float = 0.3, max_unlabeled: int = 500,
                 svm_C: float | None = 0.11, pu_from: float = 0.05, refit_every: int = 5,
                 random_state: int = 0):
        self.representation = get_representation(representation)
        self.C = C
        self.ratio = ratio
        self.unlabeled_weight = unlabeled_weight
        self.max_unlabeled = max_unlabeled
        self.svm_C = svm_C
        self.pu_from = pu_from
        self.refit_every = refit_every
        self.random_state = random_state

    @property
    def name(self) -> str:
        since = f"@{self.pu_from:g}" if self.pu_from else ""
        return f"{self.representation.name}-pu-logistic{since}{'+svm' if self.svm_C is not None else ''}"

    def __repr__(self) -> str:
        return (f"Learner(representation={self.representation!r}, C={self.C}, ratio={self.ratio}, "
                f"unlabeled_weight={self.unlabeled_weight}, max_unlabeled={self.max_unlabeled}, "
                f"svm_C={self.svm_C}, pu_from={self.pu_from}, refit_every={self.refit_every})")

    # -- public API --------------------------------------------------------------------
    def fit(self, papers: pd.DataFrame, labels: pd.DataFrame | pd.Series | Mapping, *,
            store: Any = None, extra_includes: pd.DataFrame | None = None) -> "Learner":
        """Learn from the labels of `papers` (labels of other papers are ignored).

        store:          the store `papers` came from: its features are then cached per
                        corpus version (and embeddings per paper) across calls.
        extra_includes: papers outside the corpus that count as includes (library items
                        that are not in the store), represented like the corpus.
        """
        self.__dict__.pop("logistic_labels_", None)            # a fit starts afresh
        return self._refit(papers, labels, store=store, extra_includes=extra_includes)

    def _refit(self, papers: pd.DataFrame, labels: pd.DataFrame | pd.Series | Mapping, *,
               store: Any = None, extra_includes: pd.DataFrame | None = None) -> "Learner":
        """`fit`, keeping the logistic regression over a few new excludes (`refit_every`):
        the step of a screening loop, `suggest_next`."""
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
        """Each paper's learned score in [0, 1], the members' mean vote (higher: likelier an
        include; a rank, not a probability), as a Series by paper id."""
        if not hasattr(self, "reference_"):
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
        if self.n_exclude_ == 0 and self.unlabeled_weight == 0:
            raise LearnError("every labelled paper is an include and no unlabelled paper counts "
                             "as an exclude: label at least one paper 'exclude'")
        self.svm_ = None
        if self.svm_C is not None and self.n_exclude_ > 0:     # on the labels alone
            self.svm_ = LinearSVC(C=self.svm_C, random_state=self.random_state).fit(
                X[labelled], y_labelled, sample_weight=_balanced_weights(y_labelled, self.ratio))
        if self.svm_ is None or self.n_include_ >= self.pu_from * len(y):
            if not self._keeps_logistic(X, y):
                self._fit_logistic(X, y, labelled, y_labelled, unlabelled)
        else:
            self.logistic_ = None
            self.__dict__.pop("logistic_labels_", None)
        members = self._members(X)
        self.reference_ = [np.sort(m) for m in members]    # what a vote ranks among
        self.votes_ = self._vote(members)                  # the rows of X, as `_proba` gives them
        return self

    def _keeps_logistic(self, X: Any, y: np.ndarray) -> bool:
        """Whether the last logistic regression still serves: same matrix, every label it
        saw unchanged, and fewer than `refit_every` new labels since, all excludes."""
        seen = getattr(self, "logistic_labels_", None)
        if seen is None or getattr(self, "logistic_matrix_", None) is not X or len(seen) != len(y):
            return False
        was = ~np.isnan(seen)
        new = ~np.isnan(y) & ~was
        return bool(np.array_equal(seen[was], y[was]) and not y[new].any()
                    and new.sum() < self.refit_every)

    def _fit_logistic(self, X: Any, y: np.ndarray, labelled: np.ndarray, y_labelled: np.ndarray,
                      unlabelled: np.ndarray) -> None:
        n_unlabelled = len(unlabelled)
        if self.unlabeled_weight == 0:
            unlabelled = unlabelled[:0]
        elif n_unlabelled > self.max_unlabeled:
            rng = np.random.default_rng(self.random_state)
            unlabelled = np.sort(rng.choice(unlabelled, self.max_unlabeled, replace=False))
        rows = np.sort(np.concatenate([labelled, unlabelled]))
        weight = np.zeros(len(y))
        weight[labelled] = _balanced_weights(y_labelled, self.ratio)
        weight[unlabelled] = self.unlabeled_weight * n_unlabelled / max(len(unlabelled), 1)
        self.logistic_ = LogisticRegression(C=self.C, solver="liblinear", dual=sparse.issparse(X),
                                            random_state=self.random_state).fit(
            X[rows], np.nan_to_num(y[rows], nan=0.0).astype(int), sample_weight=weight[rows])
        self.logistic_matrix_, self.logistic_labels_ = X, y.copy()

    def _members(self, X: Any) -> list[np.ndarray]:
        """Each member's score of the rows of `X` (higher: likelier an include)."""
        scores = []
        if self.logistic_ is not None:
            scores.append(np.asarray(X @ self.logistic_.coef_.ravel()).ravel() + self.logistic_.intercept_[0])
        if self.svm_ is not None:
            scores.append(np.asarray(X @ self.svm_.coef_.ravel()).ravel() + self.svm_.intercept_[0])
        return scores

    def _vote(self, members: list[np.ndarray]) -> np.ndarray:
        return np.mean([np.searchsorted(ref, m, side="right") / len(ref)
                        for ref, m in zip(self.reference_, members)], axis=0)

    def _proba(self, X: Any) -> np.ndarray:
        return self._vote(self._members(X))

    def _uncertainty(self, X: Any) -> np.ndarray:
        """How unsure the model is of each row, smallest first: the distance to the boundary
        of the SVM member (trained on the labels alone, so its boundary separates them), or
        without it the logistic regression's probability's distance from 0.5."""
        members = self._members(X)
        return np.abs(members[-1]) if self.svm_ is not None else np.abs(expit(members[0]) - 0.5)


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
    """The `n` unlabelled papers to label next, with their ``learned`` score.

    "top" (the default) picks the most likely includes: it finds the relevant papers
    soonest; "uncertain" picks those the model is least sure about (nearest the SVM
    member's boundary, `Learner._uncertainty`). Papers with any label, "maybe" included,
    are not suggested again. The features are computed once per corpus (`store` keys them
    by its corpus version), so each call only refits the classifiers; `extra_includes` as
    in `Learner.fit`.
    """
    if strategy not in STRATEGIES:
        raise LearnError(f"strategy must be one of {', '.join(STRATEGIES)}, not {strategy!r}")
    if n < 1:
        raise LearnError(f"n must be at least 1, not {n}")
    learner = (learner or Learner())._refit(papers, labels, store=store, extra_includes=extra_includes)
    features = learner.features_
    learned = learner.votes_[:len(features.ids)]
    unsure = learner._uncertainty(features.matrix) if strategy == "uncertain" else None
    order = next_to_label(learned, features.ids.isin(_labelled_ids(labels)), strategy, n, unsure)
    return papers.iloc[order].assign(learned=learned[order]).reset_index(drop=True)


def next_to_label(learned: np.ndarray, labelled: np.ndarray, strategy: Strategy, n: int,
                  uncertainty: np.ndarray | None = None) -> np.ndarray:
    """Row positions of the `n` papers to label next by `strategy`, given every paper's
    learned score, which are labelled already and, for "uncertain", how unsure the model is
    of each (`Learner._uncertainty`; else the distance of the score from 0.5); ties in row
    order."""
    if strategy == "uncertain":
        key = np.abs(learned - 0.5) if uncertainty is None else uncertainty
    else:
        key = -learned
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


def _two_classes(ranking: Sequence[str] | pd.Index, relevant: Iterable[str]) -> np.ndarray:
    hits = _hits(ranking, relevant)
    if hits.all():
        raise LearnError("every paper in the ranking is relevant: loss and nDCG need an irrelevant one")
    return hits


def loss(ranking: Sequence[str], relevant: Iterable[str]) -> float:
    """ASReview's loss (`asreview.metrics.loss`): the area between the perfect recall curve
    and that of `ranking`, over the area between the perfect and the worst (every relevant
    paper last). 0 is perfect, 1 the worst, random screening about 0.5; lower is better."""
    hits = _two_classes(ranking, relevant)
    n, n_relevant = len(hits), int(hits.sum())
    perfect = n_relevant * (n - (n_relevant - 1) / 2)
    return float((perfect - np.cumsum(hits).sum()) / (n_relevant * (n - n_relevant)))


def ndcg(ranking: Sequence[str], relevant: Iterable[str]) -> float:
    """ASReview's nDCG (`asreview.metrics.ndcg`) of the whole ranking: relevant papers gain
    1 / log2(1 + position), over the gain of the perfect ranking; higher is better."""
    hits = _two_classes(ranking, relevant)
    discount = 1 / np.log2(np.arange(2, len(hits) + 2))
    return float(discount[hits].sum() / discount[:int(hits.sum())].sum())


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

    def loss(self) -> float:
        return loss(self.ranking, self._relevant)

    def ndcg(self) -> float:
        return ndcg(self.ranking, self._relevant)

    def curve(self) -> pd.DataFrame:
        """Recall after each screened paper: columns ``screened``, ``found``, ``recall``."""
        found = np.cumsum(_hits(self.ranking, self._relevant))
        return pd.DataFrame({"screened": np.arange(1, len(found) + 1), "found": found,
                             "recall": found / found[-1]})

    def metrics(self) -> dict[str, float]:
        return {"wss@95": self.wss(0.95), "loss": self.loss(), "ndcg": self.ndcg(),
                "rrf@10": self.recall_after(0.10), "screened": self.n_screened,
                "seconds": self.seconds}


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
             k: int = 10, learner: Learner | None = None, seed: int = 0, store: Any = None) -> pd.Series:
    """Cross-validated quality of the learner on the labelled papers.

    Each fold's labels are hidden and predicted by a model trained on the others; the
    labelled papers ranked by those held-out probabilities give recall@k, precision@k,
    WSS@95, ASReview's loss and nDCG, recall after 10% and ROC AUC. `learner` gives the
    settings; a copy is fitted, so a fitted learner stays as it was. `store` as in `fit`.
    """
    learner = copy.copy(learner or Learner())
    ids = pd.Index(papers["id"].astype(str))
    targets = label_targets(labels)
    targets = targets[targets.index.isin(ids)]
    n_include, n_exclude = int(targets.sum()), int((targets == 0).sum())
    folds = min(folds, n_include, n_exclude)
    if folds < 2:
        raise LearnError(f"cross-validation needs at least 2 includes and 2 excludes among the "
                         f"papers; there are {n_include} and {n_exclude}: label more papers")
    X = corpus_features(papers, learner.representation, store=store).matrix
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
        "loss": loss(ranking, relevant),
        "ndcg": ndcg(ranking, relevant),
        "recall@10%": recall_after(ranking, relevant, 0.10),
        "roc_auc": roc_auc_score(targets.to_numpy(), held_out),
    }, name=learner.name)
