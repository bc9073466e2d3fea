"""`litscope init`, `litscope update` (the daily job) and `litscope demo`, run as a user runs
them: through the CLI, in a project folder, against the local arXiv and LLM fixture servers."""
from __future__ import annotations

import socket
from datetime import date

import pytest
import yaml

from litscope.cli import main
from litscope.config import load_config
from litscope.publish.quarto_schema import check_site
from litscope.store import Store

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
    for name in ("litscope.yml", "profile.yml", "_quarto.yml", ".gitignore",
                 "notebooks/02-score-and-explore.ipynb", ".github/workflows/litscope.yml"):
        assert (review / name).is_file(), name
    config = load_config(review / "litscope.yml")
    assert config.site.site_url is None          # the sample review's address is not copied
    workflow = yaml.safe_load((review / ".github/workflows/litscope.yml").read_text(encoding="utf-8"))
    assert workflow[True]["schedule"][0]["cron"]            # YAML 1.1 reads the key 'on' as True
    steps = workflow["jobs"]["update"]["steps"]
    assert any(step.get("run") == "litscope update" for step in steps)
    cached = [step for step in steps if step.get("uses", "").startswith("actions/cache")]
    assert cached and cached[0]["with"]["path"] == "data"
    assert any("quarto-actions/publish" in step.get("uses", "") for step in steps)

    capsys.readouterr()
    assert main(["init", str(review)]) == 2
    assert "litscope.yml exists already" in capsys.readouterr().err


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
    assert (project / "site" / "index.qmd").is_file() and check_site(project / "site") == []
    assert f"{len(papers)} new papers" in printed and "digest written" in printed

    stamp = digest.stat().st_mtime_ns
    assert main(["update", "--date", DAY]) == 0
    again = capsys.readouterr().out
    assert len(arxiv_server.requests) == requests           # fetched windows cost no request
    assert "Nothing new since the last update" in again
    assert digest.stat().st_mtime_ns == stamp


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
    assert not (tmp_path / "digests").exists() and not (tmp_path / "site").exists()


def test_update_needs_a_project(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["update"]) == 2
    assert "no litscope.yml" in capsys.readouterr().err


def test_update_rejects_a_bad_date(project, capsys):
    assert main(["update", "--date", "2025-13-01"]) == 2
    assert "--date" in capsys.readouterr().err


def test_demo_gives_every_sample_paper_a_summary_and_writes_the_outputs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "."]) == 0
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    papers = Store(tmp_path / "data").papers()
    assert len(papers) == 905
    summarised = papers[["tldr", "summary", "motivation"]].notna().any(axis=1)
    assert summarised.all()
    assert set(papers["summary_source"]) == {"imported", "extractive"}
    assert (tmp_path / "digests" / "2025-12-05.md").is_file()
    assert check_site(tmp_path / "site") == []
    assert "Quarto is not installed" in out or "Rendered it with Quarto" in out
    assert "RSS feed: none" in out                # init left site_url unset
    assert "Next:" in out and "905 new" in out
    assert main(["demo"]) == 0
    assert "905 already there" in capsys.readouterr().out
    assert Store(tmp_path / "data").count() == 905
