"""The Explorer's learning: refit the model on a background thread after each label.

`Relearner.request(labels)` hands the latest labels to one worker thread, which refits the
learner on the corpus's cached features (`litscope.score.features`), predicts every paper,
cross-validates it on the person's own labels (WSS@95 and ASReview's loss, as `litscope
learn --evaluate`) and reports a `Learned` result; requests that arrive while it works are folded into the
next fit, so a burst of clicks costs one or two fits, and nothing the person does waits
for one. With ``background=False`` (tests) the fit runs in the caller's thread.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd

from ..errors import LearnError, LitscopeError
from ..score.learn import Learner, evaluate, next_to_label
from ..score.stopping import TARGET, StoppingReport, stopping_report


@dataclass(frozen=True)
class Learned:
    """One fit: the labels it knew, every paper's learned score (row order), the stopping
    report, how long the fit took, the cross-validated quality on the person's labels
    (`evaluate`; None until there are 2 includes and 2 excludes), how unsure the model is
    of each paper (for the "uncertain" strategy); `error` instead when the labels cannot
    train a model."""

    labels: frozenset
    proba: np.ndarray | None
    stopping: StoppingReport | None
    seconds: float
    error: str | None = None
    quality: pd.Series | None = None
    uncertainty: np.ndarray | None = None

    def line(self) -> str:
        """The Explorer's learning line: the fit, what is left to find, and how well the
        model ranks the labelled papers (WSS@95 and loss next to the recall reached)."""
        stop = self.stopping
        if stop.estimated:
            need = stop.to_reach()[0]
            left = (f"about {stop.remaining()[0]:.0f} relevant left (random check sample), recall "
                    f"~{stop.recall()[0]:.0%}, " + (f"{need:.0f} more to find for {TARGET:.0%}"
                                                      if need else f"{TARGET:.0%} reached"))
        else:
            left = (f"label the {stop.sample_size - stop.sample_labelled} papers of the random "
                    f"check sample for an estimate of what is left")
        parts = [f"learned from {len(self.labels)} labels in {self.seconds * 1000:.0f} ms", left]
        if self.quality is not None:
            parts.append(f"cross-validated on your labels: WSS@95 {self.quality['wss@95']:.2f}, "
                         f"loss {self.quality['loss']:.2f}")
        return " · ".join(parts)

    def suggestions(self, ids: np.ndarray, labelled: set[str], strategy: str, n: int) -> list[str]:
        """The `n` unlabelled papers to label next, as `suggest_next` orders them."""
        if self.proba is None:
            return []
        return list(ids[next_to_label(self.proba, pd.Index(ids).isin(list(labelled)), strategy, n,
                                      self.uncertainty)])


class Relearner:
    """Refits a `Learner` on the latest labels, on a worker thread (see the module docstring).

    papers:         the Explorer's papers (features are cached per corpus, so a fit only
                    refits the classifier);
    library:        store ids that count as includes (the person's library), and papers
                    outside the corpus that do (`extra_includes`);
    on_state:       called with "relearning…" when a fit starts;
    on_done:        called with each `Learned` result.
    """

    def __init__(self, papers: pd.DataFrame, *, on_done: Callable[[Learned], None],
                 on_state: Callable[[str], None], background: bool = True, store: Any = None,
                 library_ids: frozenset = frozenset(), extra_includes: pd.DataFrame | None = None):
        self.papers, self.store = papers, store
        self.library_ids, self.extra_includes = library_ids, extra_includes
        self.on_done, self.on_state, self.background = on_done, on_state, background
        self.learner = Learner()
        self._pending: dict[str, str] | None = None
        self._wake = threading.Condition()
        self._busy = False
        self._thread: threading.Thread | None = None

    @property
    def busy(self) -> bool:
        """Whether a fit is running or waiting to run."""
        with self._wake:
            return self._busy or self._pending is not None

    def request(self, labels: dict[str, str]) -> None:
        """Fit on these labels (id -> include/exclude/maybe) as soon as the worker is free."""
        if not self.background:
            self.on_state("relearning…")
            self.on_done(self._fit(dict(labels)))
            return
        with self._wake:
            self._pending = dict(labels)
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="litscope-relearn", daemon=True)
                self._thread.start()
            self._wake.notify()

    def wait(self, timeout: float = 60.0) -> bool:
        """Block until no fit is running or pending (for tests and scripts)."""
        deadline = time.monotonic() + timeout
        with self._wake:
            while self._busy or self._pending is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._wake.wait(left)
        return True

    def _work(self) -> None:
        while True:
            with self._wake:
                while self._pending is None:
                    self._wake.wait()
                labels, self._pending, self._busy = self._pending, None, True
            try:
                self.on_state("relearning…")
                self.on_done(self._fit(labels))
            finally:
                with self._wake:
                    self._busy = False
                    self._wake.notify_all()

    def _fit(self, labels: dict[str, str]) -> Learned:
        start = time.perf_counter()
        training = {**dict.fromkeys(self.library_ids, "include"), **labels}
        try:
            self.learner.fit(self.papers, training, store=self.store, extra_includes=self.extra_includes)
            proba = self.learner.votes_[:len(self.learner.features_.ids)]   # what the fit scored
            uncertainty = self.learner._uncertainty(self.learner.features_.matrix)
        except LitscopeError as exc:
            return Learned(frozenset(labels.items()), None, None, time.perf_counter() - start, str(exc))
        seconds = time.perf_counter() - start
        own = pd.DataFrame({"id": list(labels), "label": list(labels.values())})
        try:
            quality = evaluate(self.papers, own, learner=self.learner, store=self.store)
        except LearnError:          # fewer than 2 includes and 2 excludes of the person's own
            quality = None
        return Learned(frozenset(labels.items()), proba, stopping_report(self.papers, own),
                       seconds, quality=quality, uncertainty=uncertainty)
