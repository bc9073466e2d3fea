"""The stopping report: the random check sample's estimate by hand, the heuristic, the CLI."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import beta

from litscope.cli import main
from litscope.errors import LearnError
from litscope.score.stopping import StoppingReport, check_sample, stopping_report

IDS = [f"p{i:03d}" for i in range(200)]


def test_check_sample_is_random_fixed_and_seeded():
    sample = check_sample(IDS, 20)
    assert len(sample) == 20 and sample.equals(check_sample(list(reversed(IDS)), 20))
    assert not sample.equals(check_sample(IDS, 20, seed=1))
    assert sample.isin(IDS).all() and sample.tolist() != IDS[:20]
    with pytest.raises(LearnError, match="size must be at least 1"):
        check_sample(IDS, 0)


def test_estimate_from_a_fully_labelled_sample_by_hand():
    sample = check_sample(IDS, 20)
    relevant = set(IDS[:40])                               # 20% of the corpus
    labels = {i: "include" if i in relevant else "exclude" for i in sample}
    found_elsewhere = [i for i in IDS[:40] if i not in sample][:5]
    labels.update({i: "include" for i in found_elsewhere})
    labels.update({i: "exclude" for i in IDS[150:180] if i not in sample})
    papers = pd.DataFrame({"id": IDS})
    report = stopping_report(papers, labels, sample_size=20)
    k = sum(i in relevant for i in sample)
    assert report.estimated and report.sample_includes == k
    total, low, high = report.total()
    assert total == pytest.approx(max(report.found, 200 * k / 20))
    assert report.found <= low < total < high
    left = report.remaining()[0]
    assert left == pytest.approx(max(total - report.found, 0))
    assert report.recall()[0] == pytest.approx(report.found / total)
    assert report.excludes_in_a_row > 0 and report.run_to_stop == 50
    text = report.summary()
    assert "random check sample (20 papers" in text and "recall is about" in text
    assert "consecutive excludes (heuristic)" in text


def test_relevant_papers_to_find_for_95_percent_by_hand():
    report = StoppingReport(papers=1000, screened=300, found=30, sample_size=50, sample_labelled=50,
                            sample_includes=2, excludes_in_a_row=10, run_to_stop=50)
    # 2 of 50 sampled: 40 relevant in all, 38 of them is 95%, 30 found: 8 to go
    assert report.total()[0] == pytest.approx(40)
    need, low, high = report.to_reach()
    assert need == 8
    assert low == 0                     # the low total (30, what was found) is reached already
    high_total = 1000 * beta.ppf(0.975, 3, 48)
    assert high == np.ceil(0.95 * high_total) - 30
    assert report.to_reach(1.0)[0] == 10
    assert f"to reach 95% recall: about 8 more relevant papers to find (95%: 0-{high:.0f})" \
        in report.summary()
    done = StoppingReport(papers=1000, screened=900, found=38, sample_size=50, sample_labelled=50,
                          sample_includes=2, excludes_in_a_row=10, run_to_stop=50)
    assert done.to_reach()[0] == 0 and "reached by the estimate (up to" in done.summary()
    with pytest.raises(LearnError, match="recall must be in"):
        report.to_reach(0)


def test_without_the_sample_labelled_there_is_no_estimate_but_the_heuristic():
    papers = pd.DataFrame({"id": IDS})
    labels = pd.DataFrame({"id": IDS[:60], "label": ["include"] * 5 + ["exclude"] * 55})
    report = stopping_report(papers, labels, sample_size=20)
    assert not report.estimated and report.excludes_in_a_row == 55
    assert np.isnan(report.to_reach()).all() and "to reach" not in report.summary()
    assert "label the other" in report.summary() and "reached: consider stopping" in report.summary()


@pytest.mark.slow
def test_cli_learn_reports_stopping_and_lists_the_check_sample(sample_store, capsys):
    data = str(sample_store.path.parent)
    papers = sample_store.papers()
    for subtopic, label in (("LLM 预训练", "include"), ("多模态基础模型", "exclude")):
        for paper_id in papers.loc[papers["subtopic"] == subtopic, "id"][:6]:
            sample_store.set_label(paper_id, label)
    assert main(["learn", "--data", data, "--sample-size", "10"]) == 0
    out = capsys.readouterr().out
    assert "Stopping: 6 includes found among 12 screened of 905 papers." in out
    assert "label the other" in out
    assert main(["learn", "--data", data, "--check-sample", "--sample-size", "10"]) == 0
    out = capsys.readouterr().out
    listed = [line.split()[2] for line in out.splitlines()[2:] if line.strip()]
    sample = check_sample(papers["id"], 10)
    assert set(listed) <= set(sample) and len(listed) >= 8
    for paper_id in sample:
        sample_store.set_label(paper_id, "exclude")
    assert main(["learn", "--data", data, "--sample-size", "10"]) == 0
    assert "random check sample (10 papers, 0 includes)" in capsys.readouterr().out
