"""The review's one ranking: for a review with labels, alpha and a library, `litscope score`,
`litscope list`, the Explorer, the site's listing and the digest put the same papers in the
same order, and the methods page describes that ranking."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from curation import curate_sample
from litscope.cli import main
from litscope.config import open_project
from litscope.score.ranking import Ranking
from litscope.sources.digests import read_digest

pytestmark = pytest.mark.slow

DAY = "2025-12-05"


@pytest.fixture(scope="module")
def review(tmp_path_factory) -> Path:
    """A new review holding the sample, with 16 labels, alpha 0.6 and a library it is compared with."""
    root = tmp_path_factory.mktemp("ranked") / "review"
    assert main(["init", str(root), "--title", "Efficient LLMs"]) == 0
    profile = root / "profile.yml"
    profile.write_text(profile.read_text(encoding="utf-8").replace("alpha: 0.0 ", "alpha: 0.6 ")
                       + "similarity: {weight: 3, top_k: 3}\n", encoding="utf-8")
    curate_sample(open_project(root).store(), seed=1, library="mine")
    return root


@pytest.fixture(scope="module")
def ranking(review) -> Ranking:
    project = open_project(review)
    return project.ranking().fit(project.store().papers())


def _table_ids(out: str) -> list[str]:
    return re.findall(r"^\s*\d+\s+-?[\d.]+\s+\S+\s+\S+\s+(\S+)", out, re.M)


def test_the_ranking_blends_what_the_review_taught_it(ranking):
    described = ranking.describe()
    assert described.learned["n_include"] == 8 + 7 and described.learned["n_library"] == 7   # labels + library
    assert described.learned["n_exclude"] == 8 and described.similarity["n_reference"] == 7
    keywords = Ranking(ranking.profile.model_copy(update={"alpha": 0.0, "similarity": None})).fit(
        open_project(ranking.store.decisions.root).store().papers())
    assert list(keywords.top(20)["id"]) != list(ranking.top(20)["id"])   # the labels move papers


def test_score_list_explorer_site_and_digest_agree(review, ranking, monkeypatch, capsys):
    monkeypatch.chdir(review)
    best = list(ranking.top(20)["id"])
    order = {paper_id: i for i, paper_id in enumerate(ranking.score()["id"])}

    assert main(["score", "--top", "20"]) == 0
    assert _table_ids(capsys.readouterr().out) == best
    assert main(["list", "--top", "20"]) == 0
    listed = _table_ids(capsys.readouterr().out)
    assert listed == list(ranking.score()["id"][:20])

    from litscope.widgets import Explorer
    store = open_project(review).store()
    explorer = Explorer(store, review / "profile.yml", debounce=0, plots=False, top_n=20)
    assert explorer.shown_ids == best

    assert main(["publish"]) == 0
    sections = json.loads((review / "curated" / "sections.json").read_text(encoding="utf-8"))
    excluded = set(store.labels().query("label == 'exclude'")["id"])
    assert set(best) - excluded <= set(sections) and not excluded & set(sections)   # the curator's excludes are not
    for page in (review / "curated" / "days").glob("*.qmd"):
        anchors = re.findall(r"^## .* \{#(paper-[\w-]+)\}$", page.read_text(encoding="utf-8"), re.M)
        that_day = [next(i for i, href in sections.items() if href.endswith("#" + a)) for a in anchors]
        assert that_day == sorted(that_day, key=order.get), page.name   # within a day: the ranking's order
    methods = (review / "curated" / "methods.qmd").read_text(encoding="utf-8")
    assert "gives 60% of the score (alpha 0.6)" in methods and "15 includes, 7 of them from the library" in methods
    assert "Similarity to the library adds up to 3 points" in methods

    assert main(["digest", "--date", DAY, "--out", str(review / "digest.md")]) == 0
    digest = read_digest(review / "digest.md")
    for _, section in digest.groupby("primary_category", sort=False):
        ids = list(section["id"])
        assert ids == sorted(ids, key=order.get)                 # within a category: the ranking's order
