"""`litscope init`: a new review from templates, with its own title and subject, in git; the
repository's own review files are what `init` writes for the sample's title."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from litscope.cli import main
from litscope.config import load_config
from litscope.project import init_project, query_terms
from litscope.publish.quarto_schema import check_project_file, split_front_matter
from litscope.score.profile import load_profile

REPO = Path(__file__).resolve().parents[1]
#: What the repository's review (the sample) was made with.
SAMPLE = {"title": "LLM efficiency, alignment and agents on arXiv",
          "subject": "The sample review that ships with litscope, on making large language models faster "
                     "and cheaper, aligning them, and the agents built on them.",
          "categories": ["cs.CL", "cs.LG", "cs.AI", "cs.DC"], "site_url": "https://example.org/litscope-sample/"}


def test_the_repository_review_is_what_init_writes_for_the_sample(tmp_path):
    init_project(tmp_path, git=False, **SAMPLE)
    for name in ("_quarto.yml", "index.qmd", "litscope.yml"):
        assert (tmp_path / name).read_text(encoding="utf-8") == (REPO / name).read_text(encoding="utf-8"), name


def test_init_writes_the_reviews_title_and_subject_everywhere(tmp_path, capsys):
    root = tmp_path / "spec"
    assert main(["init", str(root), "--title", "Speculative decoding: drafts & checks", "--subject",
                 "Draft models, verification and the speed-ups they buy.", "--cat", "cs.CL",
                 "--query", 'abs:"speculative decoding" OR abs:"draft model"',
                 "--site-url", "https://me.github.io/spec"]) == 0
    assert "Created the review 'Speculative decoding: drafts & checks'" in capsys.readouterr().out
    site = yaml.safe_load((root / "_quarto.yml").read_text(encoding="utf-8"))
    assert check_project_file(site) == []
    assert site["website"]["title"] == "Speculative decoding: drafts & checks"
    assert site["website"]["site-url"] == "https://me.github.io/spec/"
    index, _ = split_front_matter((root / "index.qmd").read_text(encoding="utf-8"))
    assert index["title"] == "Speculative decoding: drafts & checks"
    assert index["subtitle"] == "Draft models, verification and the speed-ups they buy."
    config = load_config(root / "litscope.yml")
    assert (config.title, config.categories, config.query) == (
        "Speculative decoding: drafts & checks", ["cs.CL"], 'abs:"speculative decoding" OR abs:"draft model"')
    assert config.subject == "Draft models, verification and the speed-ups they buy."
    profile = load_profile(root / "profile.yml")
    assert [t.pattern for t in profile.terms] == ["speculative decoding", "draft model"]
    review = (root / "review.qmd").read_text(encoding="utf-8")
    assert "Speculative decoding lets" not in review and "preference" not in review   # not the sample's prose
    assert "project.ranked()" in review


def test_defaults_come_from_the_categories_and_the_query(tmp_path):
    init_project(tmp_path / "a", git=False)
    config = load_config(tmp_path / "a" / "litscope.yml")
    assert config.title == "New on arXiv in cs.CL and cs.LG"
    assert "cs.CL (Computation and Language) and cs.LG (Machine Learning)" in config.subject
    init_project(tmp_path / "b", categories=["cs.RO"], query="ti:grasping AND abs:\"tactile sensing\"", git=False)
    assert load_config(tmp_path / "b" / "litscope.yml").title == "Tactile sensing, grasping on arXiv"
    assert query_terms("(cat:cs.CL OR cat:cs.LG) AND all:RLHF") == ["RLHF"]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_review_is_a_git_repository_whose_store_is_ignored(tmp_path):
    root = tmp_path / "review"
    init_project(root)
    assert (root / ".git").is_dir()
    (root / "decisions").mkdir()
    (root / "decisions" / "me.jsonl").write_text("{}\n")
    (root / "data" / "litscope.sqlite").write_text("")
    ignored = subprocess.run(["git", "check-ignore", "data/litscope.sqlite", "curated/x.qmd",
                              "decisions/me.jsonl", "digests/2025-12-05.md", "library/mine.jsonl"],
                             cwd=root, capture_output=True, text=True).stdout.split()
    assert ignored == ["data/litscope.sqlite", "curated/x.qmd"]
    merge = subprocess.run(["git", "check-attr", "merge", "decisions/me.jsonl"], cwd=root,
                           capture_output=True, text=True).stdout
    assert merge.strip().endswith("merge: union")
    inner = root / "inner"
    init_project(inner)                                   # inside a repository already: no new one
    assert not (inner / ".git").exists()


def test_requirements_pin_the_litscope_that_made_the_review(tmp_path):
    init_project(tmp_path, git=False)
    lines = [l for l in (tmp_path / "requirements.txt").read_text(encoding="utf-8").splitlines()
             if l and not l.startswith("#")]
    assert len(lines) == 1 and lines[0].startswith("litscope[notebook]") and ("==" in lines[0] or "@" in lines[0])


@pytest.mark.parametrize("args, message", [
    (["--cat", "cs CL"], "--cat: 'cs CL' is not an arXiv category"),
    (["--site-url", "me.github.io"], "--site-url: 'me.github.io' is not an http(s) address"),
])
def test_bad_init_arguments_are_one_line(tmp_path, capsys, args, message):
    assert main(["init", str(tmp_path / "r"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and not (tmp_path / "r").exists()
