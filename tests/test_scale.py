"""Dask scale-out: scoring partitions of a Parquet dataset equals scoring it in memory."""
from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest

from litscope.score.profile import parse_profile
from litscope.sample import load_sample
from litscope.schema import to_arrow
from litscope.score.engine import Scorer, score

dd = pytest.importorskip("dask.dataframe")
from litscope.score.scale import score_partitions, top  # noqa: E402

NOW = "2026-01-01"
PROFILE = parse_profile("""
terms:
  - LLM: 1.5
  - speculative decoding: 3
  - reinforcement learning: 1
  - /\\bMoE\\b/: 2
  - {pattern: agent, weight: -0.5, fields: [title]}
exclude:
  - {pattern: benchmark, fields: [title]}
category_boosts: {cs.CL: 0.5}
half_life_days: 400
min_score: 0.5
""")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """The embedded sample written as a Parquet folder of three files."""
    papers = load_sample()
    folder = tmp_path_factory.mktemp("papers")
    table = to_arrow(papers)
    for i, start in enumerate(range(0, len(papers), 350)):
        pq.write_table(table.slice(start, 350), folder / f"part-{i}.parquet")
    return papers, folder


def test_partitions_score_like_the_whole_corpus(dataset):
    papers, folder = dataset
    lazy = score_partitions(folder, PROFILE, now=NOW)
    assert lazy.npartitions == 3
    scored = lazy.compute().set_index("id")
    expected = score(papers, PROFILE, now=NOW).set_index("id")
    assert sorted(scored.index) == sorted(expected.index)
    np.testing.assert_allclose(scored.loc[expected.index, "score"], expected["score"], rtol=1e-12)
    assert (scored.loc[expected.index, "excluded"].to_numpy() == expected["excluded"].to_numpy()).all()
    assert expected["excluded"].any() and (expected["score"] > 0).sum() > 100


def test_top_over_partitions_equals_top_in_memory(dataset):
    papers, folder = dataset
    best = top(dd.read_parquet(folder), PROFILE, k=25, now=NOW)
    expected = Scorer(PROFILE).fit(papers).top(25, now=NOW)
    assert best["rank"].tolist() == list(range(1, 26))
    np.testing.assert_allclose(best["score"], expected["score"], rtol=1e-12)
    unique = ~expected["score"].duplicated(keep=False)
    assert best["id"][unique].tolist() == expected["id"][unique].tolist()
    assert best["score"].min() >= PROFILE.min_score
