"""Plots of a scored corpus: score distribution, papers per day per category, top terms.

Plain functions ``plot_*(df, ax=None) -> Axes`` on matplotlib's object API: without `ax`
they draw on a new `Figure` (no pyplot state), so the Explorer, the notebooks and the
site's methods page can all use them.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

_COLOR = "#3b6ea5"
_CUTOFF_COLOR = "#c0392b"


def _axes(ax: Axes | None, figsize: tuple[float, float] = (6.0, 3.2)) -> Axes:
    return ax if ax is not None else Figure(figsize=figsize, layout="constrained").add_subplot()


def _empty(ax: Axes, title: str, message: str) -> Axes:
    ax.set_title(title)
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def plot_score_distribution(df: pd.DataFrame, ax: Axes | None = None, cutoff: float | None = None,
                            bins: int = 30) -> Axes:
    """Histogram of the ``score`` column, with the cut-off (e.g. the profile's minimum score
    or the last listed paper's score) as a dashed line."""
    ax = _axes(ax)
    title = "Score distribution"
    scores = df["score"].dropna().to_numpy(dtype=float) if "score" in df else []
    if not len(scores):
        return _empty(ax, title, "no scored papers")
    ax.hist(scores, bins=bins, color=_COLOR)
    if cutoff is not None:
        above = int((scores >= cutoff).sum())
        ax.axvline(cutoff, color=_CUTOFF_COLOR, linestyle="--",
                   label=f"cut-off {cutoff:.2f} ({above} of {len(scores)} above)")
        ax.legend(loc="upper right", fontsize="small")
    ax.set_title(title)
    ax.set_xlabel("score")
    ax.set_ylabel("papers")
    return ax


def plot_papers_per_day(df: pd.DataFrame, ax: Axes | None = None, top_categories: int = 6,
                        most_bars: int = 60) -> Axes:
    """Stacked bars of papers per first-submission day, split by primary category (the
    `top_categories` largest; the rest as "other"). Undated papers are left out. More
    days than `most_bars` are counted per week, or per month (a year of daily bars would
    be unreadable, and slow to draw)."""
    ax = _axes(ax)
    dated = df[df["published"].notna()]
    if dated.empty:
        return _empty(ax, "Papers per day and category", f"no dated papers (of {len(df)})")
    published = dated["published"].dt.tz_localize(None)
    unit = "day"
    days = published.dt.strftime("%Y-%m-%d")
    if days.nunique() > most_bars:
        unit = "week" if days.nunique() <= most_bars * 7 else "month"
        days = published.dt.to_period("W" if unit == "week" else "M").dt.start_time.dt.strftime(
            "%Y-%m-%d" if unit == "week" else "%Y-%m")
    categories = dated["primary_category"].fillna("unknown").astype(str)
    largest = categories.value_counts().index[:top_categories]
    categories = categories.where(categories.isin(largest), "other")
    table = pd.crosstab(days, categories).sort_index()
    table = table[[c for c in [*largest, "other"] if c in table.columns]]
    bottom = pd.Series(0, index=table.index)
    for column in table.columns:
        ax.bar(table.index, table[column], bottom=bottom, label=column)
        bottom += table[column]
    ax.set_title(f"Papers per {unit} and category" + ("" if len(dated) == len(df)
                                                      else f" ({len(df) - len(dated)} undated)"))
    ax.set_xlabel("submitted (UTC)" if unit == "day" else f"submitted (UTC), by {unit}")
    ax.set_ylabel("papers")
    ax.xaxis.set_major_locator(MaxNLocator(12))
    ax.tick_params(axis="x", labelrotation=45 if len(table) > 4 else 0)
    ax.legend(fontsize="small", ncols=2)
    return ax


def plot_top_terms(terms: pd.DataFrame, ax: Axes | None = None, top: int = 15) -> Axes:
    """Horizontal bars of the profile terms that match the most papers.

    `terms` has a ``term`` and a ``papers`` column (papers matching the term), as
    `term_matches` returns; terms that match nothing are left out.
    """
    ax = _axes(ax)
    title = "Top matching terms"
    shown = terms[terms["papers"] > 0].nlargest(top, "papers").iloc[::-1]
    if shown.empty:
        return _empty(ax, title, "no term matches")
    labels = [t if len(t) <= 24 else t[:23] + "…" for t in shown["term"].astype(str)]
    ax.barh(labels, shown["papers"], color=_COLOR)
    ax.set_title(title)
    ax.set_xlabel("papers matching")
    return ax


def term_matches(scorer: Any, rows: np.ndarray | None = None) -> pd.DataFrame:
    """How many papers (of the boolean mask `rows`, default all) each term of a fitted
    `litscope.score.engine.Scorer` matches in any field, from its count matrices (no text scan)."""
    matrices = list(scorer.counts_.values())
    total = matrices[0].copy()
    for matrix in matrices[1:]:
        total = total + matrix
    if rows is not None:
        total = total[np.asarray(rows, bool)]
    papers = np.asarray((total > 0).sum(axis=0)).ravel()
    return pd.DataFrame({"term": [t.key for t in scorer.profile.terms], "papers": papers})
