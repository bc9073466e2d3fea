"""The review's one ranking: the order in which the command line, the Explorer, the
website, the digest and the daily update list its papers.

A `Ranking` scores papers as the review's profile says — its terms, boosts, recency and
exclusions (`Scorer`) — blended with the model learned from the review's labels and its
library (``alpha``, `litscope.score.learn`) and with the similarity to the library
(``similarity:``, `litscope.score.similarity`); papers below ``min_score`` are not among
the best. `describe()` says what made it: the parts, their weights, and the labels and
library items the model learned from, as of when they last changed. A review project
makes its own with ``project.ranking()``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import pandas as pd
import pyarrow as pa

from ..errors import LitscopeError
from ..report import counted
from .engine import SCORE_COLUMNS, Papers, Scorer
from .profile import Profile, load_profile


@dataclass
class RankingDescription:
    """What made a ranking: the profile's part, the learned model's and the similarity's."""
    profile: str
    n_papers: int
    n_terms: int
    n_excludes: int
    n_boosts: int
    field_weights: dict[str, float]
    tf: str
    half_life_days: float | None
    min_score: float | None
    alpha: float
    #: The learned model: includes, excludes, own labels, library items, the day of the latest
    #: label and of the newest library item (as the decisions and the library files say).
    learned: dict[str, Any] | None = None
    #: Why alpha has no effect (no store, too few labels), when it has none.
    learned_error: str | None = None
    #: The similarity: weight, representation, reference papers, top_k, half-life.
    similarity: dict[str, Any] | None = None
    similarity_error: str | None = None

    def notes(self) -> list[tuple[str, bool]]:
        """Short lines for the terminal on the learned model and the similarity, each with
        whether it reports a part that has no effect."""
        notes = []
        if self.alpha and self.learned:
            got = self.learned
            library = f" ({got['n_library']} library items among them)" if got["n_library"] else ""
            notes.append((f"alpha {self.alpha:g}: blending in a model learned from "
                          f"{counted(got['n_include'], 'include')}{library} and {counted(got['n_exclude'], 'exclude')}.",
                          False))
        elif self.alpha:
            notes.append((f"alpha {self.alpha:g} has no effect yet: {self.learned_error}.", True))
        if self.similarity:
            sim = self.similarity
            notes.append((f"similarity (weight {sim['weight']:g}, {sim['representation']}): compared "
                          f"with the {sim['to']} ({sim['n_reference']} papers).", False))
        elif self.similarity_error:
            notes.append((f"similarity has no effect yet: {self.similarity_error}.", True))
        return notes

    def lines(self) -> list[str]:
        """The ranking in sentences (Markdown-free), for the methods page and the terminal."""
        weights = ", ".join(f"{k} {v:g}" for k, v in self.field_weights.items())
        lines = [f"Scores come from the profile {self.profile}: {counted(self.n_terms, 'term')}, "
                 f"{counted(self.n_excludes, 'exclude')} and {counted(self.n_boosts, 'author or category boost')} "
                 f"(field weights {weights}; term frequency {self.tf})."]
        if self.half_life_days:
            lines.append(f"A paper's score halves every {self.half_life_days:g} days after submission.")
        if self.alpha and self.learned:
            got = self.learned
            library = f", {got['n_library']} of them from the library" if got["n_library"] else ""
            when = [f"the latest label is from {got['latest_label']}" if got["latest_label"] else "",
                    f"the newest library item was added on {got['library_added']}" if got["library_added"] else ""]
            lines.append(f"A model learned from the review's decisions gives {self.alpha:.0%} of the "
                         f"score (alpha {self.alpha:g}): {got['model']} trained on "
                         f"{counted(got['n_include'], 'include')}{library} and {counted(got['n_exclude'], 'exclude')}"
                         + (f"; {' and '.join(w for w in when if w)}" if any(when) else "") + ".")
        elif self.alpha and self.learned_error:
            lines.append(f"alpha is {self.alpha:g}, but no model could be learned yet "
                         f"({self.learned_error}): the scores are the profile's alone.")
        elif self.alpha:
            lines.append(f"A model learned from the include/exclude labels gives {self.alpha:.0%} of "
                         f"the score (alpha {self.alpha:g}).")
        if self.similarity:
            sim = self.similarity
            recency = (f", each weighted by a recency that halves every {sim['half_life_days']:g} days"
                       if sim["half_life_days"] else "")
            lines.append(f"Similarity to the {sim['to']} adds up to {sim['weight']:g} points: the mean "
                         f"cosine ({sim['representation']}) to a paper's {sim['top_k']} nearest of "
                         f"{sim['n_reference']} reference papers{recency}.")
        elif self.similarity_error:
            lines.append(f"The profile asks for similarity to the library, which has no effect yet "
                         f"({self.similarity_error}).")
        if self.min_score is not None:
            lines.append(f"Papers the profile excludes, and papers scoring below {self.min_score:g}, "
                         f"are not among the best.")
        return lines


class Ranking:
    """A review's papers ranked as its profile, labels and library say (see the module
    docstring).

    profile:          a `Profile` or the path of a profile YAML;
    store:            the review's store: its labels and library teach the learned model and
                      are what similarity compares with (without one, the profile alone);
    client:           the embeddings endpoint for a similarity ``representation: endpoint``;
    now:              the moment recency counts from (default: now).
    """

    def __init__(self, profile: Profile | str | Path, *, store: Any = None, client: Any = None,
                 endpoint_model: str | None = None, now: Any = None):
        self.profile = load_profile(profile) if isinstance(profile, (str, Path)) else profile
        self.store, self.client, self.endpoint_model, self.now = store, client, endpoint_model, now

    def __repr__(self) -> str:
        return f"Ranking({self.profile.name or 'profile'!r}, store={self.store!r})"

    @property
    def needs_frame(self) -> bool:
        """Whether fitting needs the papers as a DataFrame (the learned model, similarity),
        not only the columns the scorer reads."""
        return self.store is not None and (self.profile.alpha > 0 or self.profile.similarity is not None)

    def fit(self, papers: Papers | None = None, *, frame: pd.DataFrame | None = None) -> "Ranking":
        """Score `papers` (default: the store's) and learn what the profile asks for.
        `frame`: the same papers as a DataFrame, when `papers` is a pyarrow Table."""
        if papers is None:
            papers = self.store.papers() if self.needs_frame else self.store.table(SCORE_COLUMNS)
        self.scorer_ = Scorer(self.profile).fit(papers)
        if self.needs_frame and frame is None:
            frame = papers if isinstance(papers, pd.DataFrame) else _frame(papers)
        self.learned_error_: str | None = None
        self.learned_ = self._learn(frame)
        self.similarity_error_ = self._compare(frame)
        return self

    def _learn(self, frame: pd.DataFrame | None) -> dict[str, Any] | None:
        if self.profile.alpha <= 0:
            return None
        if self.store is None:
            self.learned_error_ = "no store holds labels to learn from"
            return None
        from ..sources.library import training_labels
        from .learn import fit_on_store
        try:
            learner = fit_on_store(self.store, frame)
        except LitscopeError as exc:
            self.learned_error_ = str(exc)
            return None
        self.scorer_.set_learned(learner.predict_proba(frame))
        labels = training_labels(self.store)
        library = self.store.library()
        own = self.store.labels()
        return {"model": "a logistic regression on the words of titles and abstracts",
                "n_include": learner.n_include_, "n_exclude": learner.n_exclude_,
                "n_labels": len(own),
                "n_library": int((labels["source"] != "label").sum() + library["paper_id"].isna().sum()),
                "latest_label": str(own["updated_at"].max())[:10] if len(own) else None,
                "library_added": str(library["added"].dropna().max())[:10] if library["added"].notna().any() else None}

    def _compare(self, frame: pd.DataFrame | None) -> str | None:
        settings = self.profile.similarity
        if settings is None:
            return None
        if self.store is None:
            return "it needs a store with a library"
        from .similarity import store_similarity
        try:
            similarity = store_similarity(self.store, frame, settings, now=self.now, client=self.client,
                                          endpoint_model=self.endpoint_model)
            self.scorer_.set_similarity(similarity)
        except LitscopeError as exc:
            return str(exc)
        self.n_reference_ = len(similarity.reference_ids)
        return None

    # -- results ---------------------------------------------------------------------------
    def score(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Every paper in rank order with ``score``, ``rank`` and ``excluded`` (see `Scorer.score`)."""
        return self.scorer_.score(now=self.now, columns=columns)

    def top(self, k: int | None = None, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The best `k` papers (default: the profile's top_n) that are not excluded and reach
        ``min_score``, best first."""
        return self.scorer_.top(k, now=self.now, columns=columns)

    def explain(self, paper_id: str) -> pd.DataFrame:
        """Where one paper's score comes from, term by term (see `Scorer.explain`)."""
        return self.scorer_.explain(paper_id, now=self.now)

    def describe(self) -> RankingDescription:
        """What made the ranking (see `RankingDescription`)."""
        settings = self.profile.similarity
        similarity = None
        if settings is not None and self.similarity_error_ is None:
            similarity = {"weight": settings.weight, "to": "library" if settings.to == "library"
                          else "library and the includes", "representation": settings.representation,
                          "top_k": settings.top_k, "half_life_days": settings.half_life_days,
                          "n_reference": self.n_reference_}
        return describe_profile(self.profile, self.scorer_.n_papers_, learned=self.learned_,
                                learned_error=self.learned_error_, similarity=similarity,
                                similarity_error=self.similarity_error_)


def describe_profile(profile: Profile, n_papers: int, **parts: Any) -> RankingDescription:
    """The description of a ranking by `profile` (its learned and similarity `parts`, when
    known, as `RankingDescription` names them)."""
    return RankingDescription(
        profile=profile.name or "(unnamed)", n_papers=n_papers, n_terms=len(profile.terms),
        n_excludes=len(profile.exclude), n_boosts=len(profile.author_boosts) + len(profile.category_boosts),
        field_weights=profile.field_weights.model_dump(), tf=profile.tf,
        half_life_days=profile.half_life_days, min_score=profile.min_score, alpha=profile.alpha, **parts)


def _frame(table: pa.Table) -> pd.DataFrame:
    """A pyarrow Table of papers as a DataFrame of Arrow-backed columns (lists as lists)."""
    frame = table.to_pandas(types_mapper=pd.ArrowDtype)
    if "tags" in frame:
        frame["tags"] = pd.Series(table["tags"].to_pylist(), dtype=object)
    return frame
