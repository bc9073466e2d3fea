"""Score corpora larger than memory, or on a cluster, with Dask: the same engine per partition.

A paper's score depends only on that paper (and the profile), so scoring each partition of a
Dask DataFrame on its own (`map_partitions`) gives exactly what `litscope.score.engine` gives on the
whole corpus at once::

    from litscope.score.scale import score_partitions, top
    scored = score_partitions("papers/", "profile.yml", now="2025-12-06")  # lazy: + score, excluded
    best = top("papers/", "profile.yml", k=100)                              # pandas, with rank

`papers` is a Dask DataFrame or anything ``dask.dataframe.read_parquet`` reads: a Parquet
file, a folder of them, a glob, or an object-store URL such as ``s3://bucket/papers/``.

On a cluster: install ``dask[distributed]`` (and litscope) where the workers run, start a
scheduler and workers (``dask scheduler`` / ``dask worker tcp://HOST:8786``, or a
Kubernetes / SLURM deployment), and connect before calling these functions::

    from dask.distributed import Client
    client = Client("tcp://HOST:8786")   # Client() alone starts local worker processes

Dask then runs the partitions on the workers; the Parquet path must be readable by every
worker (shared disk or object store). Without a client, Dask uses threads on this machine.
The learned blend (`alpha`) is not applied here: its scale depends on the whole corpus.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .profile import Profile, load_profile
from .engine import SCORE_COLUMNS, Scorer

try:
    import dask.dataframe as dd
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError("litscope.score.scale needs Dask: pip install 'litscope[dask]'") from exc


def _profile(profile: Profile | str | Path) -> Profile:
    return load_profile(profile) if isinstance(profile, (str, Path)) else profile


def _now(now: Any) -> pd.Timestamp:
    """One `now` for every partition (recency and max_age_days must agree across workers)."""
    stamp = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _score_partition(papers: pd.DataFrame, profile: Profile, now: pd.Timestamp) -> pd.DataFrame:
    """One partition with ``score`` and ``excluded`` added, rows in their order."""
    scorer = Scorer(profile, progress=False).fit(papers)
    return papers.assign(score=scorer.scores(now), excluded=scorer.excluded(now))


def read_dataset(papers: dd.DataFrame | str | Path, columns: Any = None) -> dd.DataFrame:
    """A Dask DataFrame of papers (a Parquet path, folder, glob or URL is read lazily, in
    partitions of ~64 MiB: memory per worker stays small)."""
    if isinstance(papers, dd.DataFrame):
        return papers
    return dd.read_parquet(str(papers), columns=columns, blocksize="64MiB")


def score_partitions(papers: dd.DataFrame | str | Path, profile: Profile | str | Path, *,
                     now: Any = None) -> dd.DataFrame:
    """The papers with ``score`` and ``excluded`` (lazy; rows keep their partitions)."""
    papers, profile = read_dataset(papers), _profile(profile)
    meta = papers._meta.assign(score=np.float64(0), excluded=False).iloc[:0]
    return papers.map_partitions(_score_partition, profile, _now(now), meta=meta)


def top(papers: dd.DataFrame | str | Path, profile: Profile | str | Path, k: int | None = None,
        *, now: Any = None, columns: Any = SCORE_COLUMNS) -> pd.DataFrame:
    """The best `k` papers (default: the profile's top_n) that are not excluded and reach
    min_score, best first, with ``rank``; only `columns` (plus score) are read and kept.
    Ties in score may be ordered differently from `Scorer.top`."""
    profile = _profile(profile)
    scored = score_partitions(read_dataset(papers, columns=list(columns) if columns else None),
                              profile, now=now)
    kept = scored[~scored["excluded"]]
    if profile.min_score is not None:
        kept = kept[kept["score"] >= profile.min_score]
    best = kept.nlargest(k or profile.top_n, "score").compute()
    best = best.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)
    return best.assign(rank=pd.array(np.arange(1, len(best) + 1), dtype="Int64"))
