"""The methods page's figures, drawn with matplotlib's object API (no pyplot state)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

_SAVE = {"dpi": 110, "bbox_inches": "tight", "metadata": {"Software": None}}


def _bar(counts: pd.Series, path: Path, title: str, xlabel: str, rotate: bool) -> None:
    fig = Figure(figsize=(8, 3.2))
    ax = fig.add_subplot()
    ax.bar([str(k) for k in counts.index], counts.to_numpy(), color="#3b6ea5")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("papers")
    if rotate:
        ax.tick_params(axis="x", labelrotation=60)
    fig.savefig(path, **_SAVE)


def papers_per_day(papers: pd.DataFrame, path: Path) -> None:
    """Bar chart of papers per first-submission day."""
    days = papers["published"].dropna().dt.strftime("%Y-%m-%d")
    _bar(days.value_counts().sort_index(), path, "Papers per day", "submitted (UTC)", rotate=True)


def papers_per_category(papers: pd.DataFrame, path: Path, top: int = 15) -> None:
    """Bar chart of papers per primary arXiv category (the `top` largest)."""
    counts = papers["primary_category"].fillna("unknown").value_counts().head(top)
    _bar(counts, path, "Papers per primary category", "arXiv category", rotate=len(counts) > 6)


def score_distribution(scores: pd.Series, path: Path, cutoff: float | None) -> None:
    """Histogram of scores, with the lowest published score marked."""
    fig = Figure(figsize=(8, 3.2))
    ax = fig.add_subplot()
    ax.hist(scores.dropna().to_numpy(), bins=30, color="#3b6ea5")
    if cutoff is not None:
        ax.axvline(cutoff, color="#c0392b", linestyle="--", label="lowest published score")
        ax.legend()
    ax.set_title("Score distribution")
    ax.set_xlabel("score")
    ax.set_ylabel("papers")
    fig.savefig(path, **_SAVE)
