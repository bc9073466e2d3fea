"""The embedded sample corpus: shipped in the package, schema-conforming, rebuildable."""
from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from litscope.sample import build_sample, load_sample
from litscope.schema import validate_papers

PER_SOURCE = {
    "bilingual:003_ff23a70d5ce3452c.txt": 64,
    "bot:002_baecffce6b9bd657.txt": 30,
    "daily:000_ecb2433472e73668.txt": 1,    # its other 5 papers are also in 001, which wins
    "daily:001_bba050d9d3787bb2.txt": 7,
    "topics:004_a3708f861c8db2d6.txt": 803,
}


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return load_sample()


def test_sample_is_schema_conforming_with_counts_per_source(sample):
    validate_papers(sample)
    assert sample["source"].value_counts().to_dict() == PER_SOURCE
    assert len(sample) == 905


def test_papers_in_two_digests_are_merged_once(sample):
    both = sample[sample["id"].isin(["2511.10618", "2511.10621", "2511.10628", "2511.10643", "2511.10645"])]
    assert len(both) == 5
    assert set(both["source"]) == {"daily:001_bba050d9d3787bb2.txt"}
    know = both.set_index("id").loc["2511.10618"]
    assert know["tldr"].startswith("本文介绍了编码器增强的因果解码器模型架构")   # 001's wording


@pytest.mark.slow
def test_sample_loads_from_the_installed_package_alone(tmp_path):
    """A fresh interpreter in an empty folder finds the sample inside the package."""
    code = "from litscope import load_sample; print(len(load_sample()))"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "905"


@pytest.mark.slow
def test_rebuilding_from_the_seeds_gives_the_same_frame(sample, seeds_dir):
    rebuilt = build_sample(sorted(seeds_dir.iterdir()))
    pd.testing.assert_frame_equal(rebuilt, sample)
