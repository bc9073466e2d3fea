"""`litscope init`, `litscope update` (the daily job) and `litscope demo`, run as a user runs
them: through the CLI, in a project folder, against the local arXiv and LLM fixture servers."""
from __future__ import annotations

import json
import re
import shutil
import socket
from datetime import date
from pathlib import Path

import pytest
import yaml

from litscope.cli import main
from litscope.config import load_config
from litscope.publish.quarto_schema import check_site
from litscope.publish.record import read_record
from litscope.schema import papers_frame
from litscope.sources.digests import read_digest
from litscope.store import Store

REPO = Path(__file__).resolve().parents[1]
DAY = "2025-12-05"          # the fixture corpus holds papers for 2025-12-01..07
KEY_ENV, KEY = "LITSCOPE_TEST_UPDATE_KEY", "sk-update-test-3f9a7c"


def make_project(folder, arxiv_url: str, llm: str = "", update: str = "new") -> None:
    assert main(["init", str(folder)]) == 0
    config = folder / "litscope.yml"
    root = arxiv_url.removesuffix("/api/query")
    config.write_text(config.read_text(encoding="utf-8") + (
        f"\n# test settings\ncategories: [cs.CL]\ndays_back: 3\n"
        f"arxiv: {{base_url: '{arxiv_url}', feed_url: '{root}/rss/', oai_url: '{root}/oai', update: {update}, "
        f"delay_seconds: 0, backoff_seconds: 0, retries: 1, page_size: 5}}\n"
        + llm), encoding="utf-8")
    load_config(config)


@pytest.fixture(params=["new", "window"])
def project(request, tmp_path, arxiv_server, monkeypatch):
    """A project whose update reads the day's announcement ("new") or searches its window."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    arxiv_server.feed_day = date.fromisoformat(DAY)
    make_project(tmp_path, arxiv_server.url, update=request.param)
    return tmp_path


def test_init_writes_a_project_and_the_daily_github_workflow(tmp_path, capsys):
    assert main(["init", str(tmp_path / "review"), "--github-action"]) == 0
    review = tmp_path / "review"
    for name in ("litscope.yml", "profile.yml", "_quarto.yml", "_litscope.py", "index.qmd", "review.qmd",
                 ".gitignore", ".gitattributes", "requirements.txt", "notebooks/_metadata.yml",
                 "notebooks/02-score-and-explore.ipynb", ".github/workflows/litscope.yml", "_environment",
                 "_jupyter/kernels/python3/kernel.json"):
        assert (review / name).is_file(), name
    # the pages' code runs on a kernel that does not warn at every start (tests/test_render.py)
    assert "JUPYTER_PATH=_jupyter" in (review / "_environment").read_text(encoding="utf-8").splitlines()
    assert "--IPKernelApp.log_level=ERROR" in json.loads(
        (review / "_jupyter/kernels/python3/kernel.json").read_text(encoding="utf-8"))["argv"]
    assert load_config(review / "litscope.yml").site.out == "curated"
    site = yaml.safe_load((review / "_quarto.yml").read_text(encoding="utf-8"))
    assert "site-url" not in site["website"]     # the sample review's address is not copied
    assert site == {**yaml.safe_load((REPO / "_quarto.yml").read_text(encoding="utf-8")),
                    "website": site["website"]}
    assert "litscope" in (review / "requirements.txt").read_text(encoding="utf-8")

    workflow_text = (review / ".github/workflows/litscope.yml").read_text(encoding="utf-8")
    workflow = yaml.safe_load(workflow_text)
    assert workflow[True]["schedule"][0]["cron"]            # YAML 1.1 reads the key 'on' as True
    job = workflow["jobs"]["update"]
    assert 0 < job["timeout-minutes"] <= 120 and "env" not in job
    steps = job["steps"]
    # every action pinned to a commit, its release tag in a comment
    uses = re.findall(r"^\s*(?:- )?uses: (\S+)(.*)$", workflow_text, re.M)
    assert uses and all(re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref) and re.search(r"# v\d", tag)
                        for ref, tag in uses), uses
    checkout = next(step for step in steps if step.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["persist-credentials"] is False      # the token is not kept on disk
    runs = [step.get("run", "") for step in steps]
    assert any("pip install -r requirements.txt" in run for run in runs)
    order = [next(i for i, run in enumerate(runs) if command in run)
             for command in ("litscope rebuild", "litscope update", "git push", "litscope publish --render")]
    assert order == sorted(order)            # decisions applied, update, digest committed, site rendered
    update = steps[order[1]]
    assert "OPENAI_API_KEY" in update["env"]
    secret_steps = {i for i, step in enumerate(steps) if "secrets." in json.dumps(step)}
    pushing = {i for i, step in enumerate(steps) if "git push" in step.get("run", "")
               or "actions-gh-pages" in step.get("uses", "")}
    assert secret_steps == {order[1]} | pushing and len(pushing) == 2   # the LLM key; the two pushes
    assert "GITHUB_TOKEN" not in json.dumps(steps[order[1]]) and not steps[order[3]].get("env", {}).keys() \
        - {"QUARTO_PYTHON"}                        # update and render never see the repository token
    committed = steps[order[2]]["run"]
    assert all(folder in committed for folder in ("digests", "decisions", "library", "published"))
    cached = [(i, step["with"]["path"].split()) for i, step in enumerate(steps)
              if step.get("uses", "").startswith("actions/cache/")]
    assert [path for _, path in cached] == [["data"], ["data"], ["_site", ".quarto"], ["_site", ".quarto"]]
    assert cached[2][0] < order[3] < cached[3][0]   # a daily render adds to the last one, not a cold one

    capsys.readouterr()
    assert main(["init", str(review)]) == 2
    assert "litscope.yml exists already" in capsys.readouterr().err


@pytest.mark.slow
def test_update_runs_the_daily_job_and_a_second_run_does_nothing_new(project, arxiv_server, capsys):
    assert main(["update", "--date", DAY]) == 0
    printed = capsys.readouterr().out
    requests = len(arxiv_server.requests)
    store = Store(project / "data")
    papers = store.papers()
    if load_config(project / "litscope.yml").arxiv.update == "new":
        assert [r.path for r in arxiv_server.requests] == ["/rss/cs.CL", "/api/query"]
        # Friday's announcement: Thursday's submissions, and a replaced paper from Tuesday
        assert set(store.announcements()["day"]) == {DAY}
        assert dict(zip(store.announcements()["id"], store.announcements()["type"])) == \
            {"2512.00016": "new", "2512.00017": "new", "2512.00008": "replace"}
    else:
        assert requests == 2                                # one search of 3 days, pages of 5
        assert len(papers) > 0 and set(papers["published"].dt.strftime("%Y-%m-%d")) <= \
            {"2025-12-03", "2025-12-04", "2025-12-05"}
    assert papers["summary_source"].eq("extractive").all()  # no endpoint: extractive summaries
    digest = project / "digests" / f"{DAY}.md"
    assert digest.is_file() and papers["title"].iloc[0].split()[0] in digest.read_text(encoding="utf-8")
    assert (project / "curated" / "_listing.yml").is_file() and check_site(project) == []
    assert f"{len(papers)} new papers" in printed and "digest written" in printed
    recorded = read_record(project)              # what the website published today, and why
    assert len(recorded) > 0 and f"Published: {len(recorded)} new papers recorded in published/" in printed
    assert recorded["why"].map(len).gt(0).all() and set(recorded["at"].str[:10]) == {DAY}

    stamp = digest.stat().st_mtime_ns
    assert main(["update", "--date", DAY]) == 0
    again = capsys.readouterr().out
    assert len(arxiv_server.requests) == requests           # fetched windows cost no request
    assert "Nothing new since the last update" in again
    assert digest.stat().st_mtime_ns == stamp


@pytest.mark.slow
def test_update_summarises_through_the_endpoint_once(tmp_path, arxiv_server, openai_server,
                                                     monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(KEY_ENV, KEY)
    arxiv_server.feed_day = date.fromisoformat(DAY)
    make_project(tmp_path, arxiv_server.url, f"llm: {{base_url: '{openai_server.url}', "
                                             f"model: fake-model, api_key_env: {KEY_ENV}}}\n")
    assert main(["update", "--date", DAY]) == 0
    papers = Store(tmp_path / "data").papers()
    asked = len(openai_server.requests)
    assert asked == len(papers) > 0
    assert papers["summary_source"].eq("llm:fake-model").all()
    assert papers["tldr"].str.startswith("TLDR of ").all()
    digest = (tmp_path / "digests" / f"{DAY}.md").read_text(encoding="utf-8")
    assert "TLDR of " in digest and KEY not in digest
    assert main(["update", "--date", DAY]) == 0
    assert len(openai_server.requests) == asked              # cached: no request
    out = capsys.readouterr().out
    assert "Nothing new since the last update" in out and KEY not in out


def test_update_fails_clearly_when_arxiv_is_unreachable(tmp_path, monkeypatch, capsys):
    with socket.socket() as s:                              # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.chdir(tmp_path)
    url = f"http://127.0.0.1:{port}/api/query"
    make_project(tmp_path, url)
    assert main(["update", "--date", DAY]) == 2
    err = capsys.readouterr().err
    assert err.startswith("litscope: error:") and f"127.0.0.1:{port}" in err
    assert "Traceback" not in err
    assert Store(tmp_path / "data").count() == 0
    assert not (tmp_path / "digests").exists() and not (tmp_path / "curated").exists()


def test_update_needs_a_project(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["update"]) == 2
    assert "no litscope.yml" in capsys.readouterr().err


def test_update_rejects_a_bad_date(project, capsys):
    assert main(["update", "--date", "2025-13-01"]) == 2
    assert "--date" in capsys.readouterr().err


@pytest.mark.slow
def test_demo_gives_every_sample_paper_a_summary_and_writes_the_outputs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "."]) == 0
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    papers = Store(tmp_path / "data").papers()
    assert len(papers) == 904                    # two digests listed one paper: merged
    assert "1 certain pairs merged" in out
    summarised = papers[["tldr", "summary", "motivation"]].notna().any(axis=1)
    assert summarised.all()
    assert set(papers["summary_source"]) == {"imported", "extractive"}
    assert (tmp_path / "digests" / "2025-12-05.md").is_file()
    shown = len(json.loads((tmp_path / "curated" / "sections.json").read_text()))   # top_n, and the best per day
    assert check_site(tmp_path) == [] and f"{shown} of 904 papers" in out and 50 <= shown <= 50 + 10 * 12
    assert not (tmp_path / "published").exists()    # only the daily update records what is published
    assert "Quarto is not installed" in out or "Render the website" in out
    assert "RSS feed: none" in out                # init left website.site-url unset
    assert "Next:" in out and "905 new" in out
    assert main(["demo"]) == 0
    assert "(0 new," in capsys.readouterr().out
    assert Store(tmp_path / "data").count() == 904


@pytest.mark.slow
def test_consecutive_daily_digests_list_a_paper_once_unless_arxiv_announces_a_new_version(
        tmp_path, arxiv_server, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    make_project(tmp_path, arxiv_server.url)                 # days_back 3: the windows overlap
    listed = {}
    for day in ("2025-12-03", "2025-12-04", "2025-12-05"):
        arxiv_server.feed_day = date.fromisoformat(day)
        assert main(["update", "--date", day]) == 0
        digest = read_digest(tmp_path / "digests" / f"{day}.md")
        listed[day] = dict(zip(digest["id"], digest["version"]))
    out = capsys.readouterr().out
    assert "in earlier digests left out" in out
    # 12-03 announced 00008 v1; 12-05 announced its v2 (a replacement): listed again, marked
    assert listed["2025-12-03"]["2512.00008"] == 1 and listed["2025-12-05"]["2512.00008"] == 2
    text = (tmp_path / "digests" / "2025-12-05.md").read_text(encoding="utf-8")
    assert "Updated: new version v2 (v1 was in the digest of 2025-12-03)" in text
    days = sorted(listed)
    for i, first in enumerate(days):
        for later in days[i + 1:]:
            again = set(listed[first]) & set(listed[later])
            assert all(listed[later][p] > listed[first][p] for p in again), (first, later, again)
    assert set(listed["2025-12-04"]) == {"2512.00012", "2512.00013", "2512.00014", "2512.00015",
                                         "2512.00003", "2512.00004"}   # 12-03's papers not again

    # the record is the committed digests: a fresh clone (no store) lists nothing twice either
    shutil.rmtree(tmp_path / "data")
    assert main(["update", "--date", "2025-12-05"]) == 0
    again = read_digest(tmp_path / "digests" / "2025-12-05.md")
    assert dict(zip(again["id"], again["version"])) == listed["2025-12-05"]


def test_demo_refuses_a_store_with_papers_of_your_own(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "."]) == 0
    Store(tmp_path / "data").add_papers(papers_frame([{"id": "2512.99999", "title": "Mine", "source": "mine"}]))
    assert main(["demo"]) == 2
    assert "holds papers of your own" in capsys.readouterr().err
    assert Store(tmp_path / "data").count() == 1
