"""When to stop screening: how many relevant papers are probably still unscreened.

Two methods, each named in the report:

- **random check sample** (the estimate): a fixed random sample of the corpus -- the
  `size` papers first in a seeded hash order of their ids, so it needs no stored state and
  does not depend on what the model ranked first. Once every paper in it is labelled, the
  share of includes in it estimates the share in the corpus (a Clopper-Pearson 95%
  interval), hence the relevant papers in all (N x share), the ones still unscreened
  (that minus those found), the recall reached (found / estimated total) and how many
  more must be found to reach 95% of the estimated total.
- **consecutive excludes** (a heuristic, as ASReview offers): the run of excludes at the
  end of the labels in the order they were given; screening is commonly stopped once it
  reaches max(50, 5% of the corpus). It gives no count, only a signal.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd
from scipy.stats import beta

from ..errors import LearnError
from .learn import label_targets

#: Papers in the random check sample unless told otherwise.
SAMPLE_SIZE = 50
#: The recall the report counts down to (WSS@95's level, the common target in screening).
TARGET = 0.95


def check_sample(ids: Any, size: int = SAMPLE_SIZE, seed: int = 0) -> pd.Index:
    """The random check sample: the `size` ids first in the order of a seeded hash."""
    if size < 1:
        raise LearnError(f"check sample: size must be at least 1, not {size}")
    ids = pd.Index(ids).astype(str)
    keys = [hashlib.blake2b(f"{seed}:{i}".encode(), digest_size=8).digest() for i in ids]
    return ids[np.argsort(keys, kind="stable")[:size]]


def _interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Clopper-Pearson interval of a binomial share k / n."""
    a = (1 - level) / 2
    low = 0.0 if k == 0 else float(beta.ppf(a, k, n - k + 1))
    high = 1.0 if k == n else float(beta.ppf(1 - a, k + 1, n - k))
    return low, high


@dataclass(frozen=True)
class StoppingReport:
    """What the labels say about the relevant papers not screened yet."""

    papers: int                 # N: papers in the corpus
    screened: int               # labelled include or exclude
    found: int                  # labelled include
    sample_size: int
    sample_labelled: int
    sample_includes: int
    excludes_in_a_row: int
    run_to_stop: int            # the heuristic's threshold, max(50, 5% of N)

    @property
    def estimated(self) -> bool:
        """Whether the check sample is fully labelled, so that there is an estimate."""
        return self.sample_labelled == self.sample_size

    def total(self) -> tuple[float, float, float]:
        """Relevant papers in the corpus: estimate, low, high (95%); NaN before the sample."""
        if not self.estimated:
            return (np.nan,) * 3
        share = self.sample_includes / self.sample_size
        low, high = _interval(self.sample_includes, self.sample_size)
        # the corpus holds at least the includes found
        return tuple(max(self.found, self.papers * x) for x in (share, low, high))

    def remaining(self) -> tuple[float, float, float]:
        """Relevant papers still unscreened: estimate, low, high."""
        unscreened = self.papers - self.screened
        return tuple(min(max(t - self.found, 0.0), unscreened) for t in self.total())

    def to_reach(self, recall: float = TARGET) -> tuple[float, float, float]:
        """Relevant papers still to find to reach `recall` of the estimated total: estimate,
        low, high (from the low and high totals); 0 once reached, NaN before the sample."""
        if not 0 < recall <= 1:
            raise LearnError(f"recall must be in (0, 1], not {recall}")
        if not self.estimated:
            return (np.nan,) * 3
        unscreened = self.papers - self.screened
        return tuple(min(max(float(np.ceil(recall * t - 1e-9)) - self.found, 0.0), unscreened)
                     for t in self.total())

    def recall(self) -> tuple[float, float, float]:
        """Recall reached: estimate, and its range (from the high and low totals)."""
        total, low, high = self.total()
        return tuple(self.found / t if t else 1.0 for t in (total, high, low))

    def summary(self) -> str:
        lines = [f"Stopping: {self.found} includes found among {self.screened} screened of "
                 f"{self.papers} papers."]
        if self.estimated:
            left, lo, hi = self.remaining()
            recall, r_lo, r_hi = self.recall()
            lines.append(f"  random check sample ({self.sample_size} papers, {self.sample_includes} "
                         f"includes): about {left:.0f} relevant papers still unscreened (95%: "
                         f"{lo:.0f}-{hi:.0f}), so recall is about {recall:.0%} ({r_lo:.0%}-{r_hi:.0%}).")
            need, n_lo, n_hi = self.to_reach(TARGET)
            lines.append(f"  to reach {TARGET:.0%} recall: " + (
                "reached, even at the high end of the estimate." if not n_hi else
                f"reached by the estimate (up to {n_hi:.0f} more relevant papers at its high end)."
                if not need else
                f"about {need:.0f} more relevant papers to find (95%: {n_lo:.0f}-{n_hi:.0f})."))
        else:
            lines.append(f"  random check sample: {self.sample_labelled} of its {self.sample_size} "
                         f"papers labelled; label the other {self.sample_size - self.sample_labelled} "
                         f"('litscope learn --check-sample') for an estimate of what is left.")
        verdict = "reached: consider stopping" if self.excludes_in_a_row >= self.run_to_stop else \
            f"stop at {self.run_to_stop}"
        lines.append(f"  consecutive excludes (heuristic): the last {self.excludes_in_a_row} labels "
                     f"were excludes ({verdict}).")
        return "\n".join(lines)


def stopping_report(papers: pd.DataFrame, labels: pd.DataFrame | Mapping, *,
                    sample_size: int = SAMPLE_SIZE, seed: int = 0) -> StoppingReport:
    """The stopping estimate for screening `papers` given the `labels` so far (a frame as
    `Store.labels()` returns, in the order given, or a mapping id -> label in that order)."""
    ids = pd.Index(papers["id"]).astype(str)
    targets = label_targets(labels)
    targets = targets[targets.index.isin(ids)]
    sample = check_sample(ids, min(sample_size, len(ids)), seed)
    in_sample = targets.reindex(sample).dropna()
    ordered = targets.to_numpy()[::-1]
    run = int(np.argmax(ordered == 1)) if (ordered == 1).any() else len(ordered)
    return StoppingReport(papers=len(ids), screened=len(targets), found=int(targets.sum()),
                          sample_size=len(sample), sample_labelled=len(in_sample),
                          sample_includes=int(in_sample.sum()), excludes_in_a_row=run,
                          run_to_stop=max(50, int(np.ceil(0.05 * len(ids)))))
