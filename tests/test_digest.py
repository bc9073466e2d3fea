"""Digest markdown: the seed formats reproduced, re-importable, and hostile text inert."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pandas as pd
import pytest

from hostile import SCRIPT, hostile_papers
from litscope.cli import main
from litscope.publish.digest import papers_between, render_digest
from litscope.errors import PublishError
from litscope.sources.digests import read_digest
from litscope.store import Store

SEEDS = {"000": "daily", "001": "daily", "002": "bot"}
COMPARED = ["version", "title", "authors", "abstract", "primary_category", "categories", "tldr",
            "motivation", "method", "result", "conclusion", "summary", "external_score",
            "published", "abs_url"]


def _seed(seeds_dir, prefix: str):
    return next(seeds_dir.glob(f"{prefix}_*.txt"))


def _values(frame: pd.DataFrame, column: str) -> list:
    return [v if isinstance(v, list) or not pd.isna(v) else None for v in frame[column]]


@pytest.mark.parametrize("prefix", sorted(SEEDS))
@pytest.mark.slow
def test_seed_papers_survive_a_round_trip(seeds_dir, tmp_path, prefix):
    papers = read_digest(_seed(seeds_dir, prefix))
    out = tmp_path / "digest.md"
    out.write_text(render_digest(papers, SEEDS[prefix]), encoding="utf-8")
    again = read_digest(out)
    assert again.attrs["format"] == SEEDS[prefix]
    before, after = papers.set_index("id").sort_index(), again.set_index("id").sort_index()
    assert list(before.index) == list(after.index)
    for column in COMPARED:
        assert _values(before, column) == _values(after, column), column


def test_daily_format_has_the_seed_structure(seeds_dir):
    text = render_digest(read_digest(_seed(seeds_dir, "000")), "daily")
    assert text.startswith("<div id=toc></div>\n\n# Table of Contents\n\n- [cs.CL](#cs.CL) [Total: 5]\n"
                           "- [cs.AI](#cs.AI) [Total: 1]\n")
    assert "<div id='cs.CL'></div>\n\n# cs.CL [[Back]](#toc)\n\n### [1] [" in text
    assert "### [6] [Querying Labeled Time Series Data with Scenario Programs]" in text
    assert text.count("<details>\n  <summary>Details</summary>\nMotivation: ") == 6
    assert "*Benjamin L. Badger,Matthew Neligeorge*\n\nMain category: cs.CL\n\nTL;DR: " in text


@pytest.mark.slow
def test_bot_format_numbers_papers_by_score(seeds_dir):
    papers = read_digest(_seed(seeds_dir, "002"))
    text = render_digest(papers, "bot", title="My bot", now=datetime(2025, 12, 5, tzinfo=timezone.utc))
    assert text.startswith("# My bot\n")
    assert "- **Last Updated**: 2025-12-05 00:00:00 UTC\n- **Total Papers Found**: 30\n" in text
    first = text.split("### 1. ", 1)[1].split("\n---\n", 1)[0]
    assert first.startswith("[RLHFSpec: Breaking the Efficiency Bottleneck")
    for label in ("**Authors**: Siqi Wang", "**Category**: cs.LG", "**Published**: 2025-12-05",
                  "**Score**: 13.0", "**ArXiv ID**: 2512.04752v1", "#### Abstract\n",
                  "<details>\n<summary><strong>🤖 AI Summary (by imported)</strong> - Click to expand</summary>"):
        assert label in first, label
    assert text.index("### 2. ") < text.index("### 30. ")


@pytest.mark.slow
def test_litscope_scores_take_precedence(seeds_dir):
    papers = read_digest(_seed(seeds_dir, "002"))
    papers["score"] = range(len(papers))
    text = render_digest(papers, "bot")
    assert text.split("### 1. [", 1)[1].startswith(papers.iloc[-1]["title"])
    assert f"**Score**: {float(len(papers) - 1)}" in text


def _one_hostile(summary: str | None) -> pd.DataFrame:
    papers = hostile_papers().iloc[[0]].copy()
    papers["summary"] = pd.array([summary], dtype="string")
    return papers


def test_structured_fields_become_the_bot_summary():
    papers = _one_hostile(None)
    text = render_digest(papers, "bot")
    assert "**TL;DR**: &lt;script>alert(1)&lt;/script> @cite" in text


@pytest.mark.parametrize("fmt", ["daily", "bot"])
def test_hostile_text_cannot_open_tags_or_break_the_structure(tmp_path, fmt):
    papers = hostile_papers()
    text = render_digest(papers, fmt)
    assert "<script" not in text and "<img" not in text and "<!--" not in text
    assert text.count("<details>") == text.count("</details>") == 3
    out = tmp_path / "d.md"
    out.write_text(text, encoding="utf-8")
    again = read_digest(out)
    assert len(again) == 3
    assert "&lt;script>alert(1)&lt;/script>" in again.set_index("id").loc["2512.00001", "title"]


@pytest.mark.parametrize("fmt", ["daily", "bot"])
@pytest.mark.slow
def test_links_from_outside_stay_links_only_to_http_addresses(fmt):
    pypandoc = pytest.importorskip("pypandoc")
    papers = _one_hostile("[x](javascript:alert(4)) [ok](https://example.org/ok) ![i](data:x)\n\n"
                          "[ref][r] [r]: javascript:alert(8)\n\n[r]: vbscript:alert(9)")
    papers["title"] = pd.array(["A [t](javascript:alert(10)) title"], dtype="string")
    html = pypandoc.convert_text(render_digest(papers, fmt), "html", format="markdown")
    hrefs = re.findall(r'(?:href|src)="([^"]*)"', html)
    assert hrefs and all(h.startswith(("https://", "http://", "#")) for h in hrefs), hrefs
    assert "https://example.org/ok" in hrefs or fmt == "daily"   # the daily digest shows no summary
    assert "[t](javascript:alert(10))" in html                      # the text is still there


def test_formatting_tags_in_summaries_stay():
    papers = _one_hostile("a<br>b <li>c</li> <td onclick=x>")
    text = render_digest(papers, "bot")
    assert "a<br>b <li>c</li> &lt;td onclick=x>" in text


def test_papers_between_days():
    papers = hostile_papers()
    assert list(papers_between(papers, on="2025-12-02")["id"]) == ["h:0123456789abcdef"]
    assert len(papers_between(papers, since="2025-12-01")) == 3
    with pytest.raises(PublishError, match="exactly one"):
        papers_between(papers)
    with pytest.raises(Exception, match="--date"):
        papers_between(papers, on="yesterday")
    assert list(papers_between(papers, since="2025-11-30", until="2025-12-01")["id"]) == \
        ["2512.00001", "2512.00002"]


def test_undated_papers_are_never_between_days():
    undated = hostile_papers()
    undated["published"] = pd.Series(pd.NaT, index=undated.index, dtype=undated["published"].dtype)
    assert papers_between(undated, since="2025-12-01").empty
    assert papers_between(undated, on="2025-12-01").empty


def test_digest_command_lists_the_days_announcement_when_the_store_has_it(tmp_path, capsys):
    papers = hostile_papers()
    store = Store(tmp_path / "data")
    store.add_papers(papers, announcements=pd.DataFrame(
        {"id": ["2512.00002"], "day": ["2025-12-03"], "type": ["new"], "version": [1],
         "categories": [["cs.CL"]]}))
    run = ["digest", "--data", str(tmp_path / "data"), "--format", "bot"]
    assert main([*run, "--date", "2025-12-03"]) == 0            # announced that day
    out = capsys.readouterr().out
    assert "2512.00002" in out and "2512.00001" not in out
    assert main([*run, "--date", "2025-12-01"]) == 0            # no announcement: submitted then
    out = capsys.readouterr().out
    assert "2512.00001" in out and "2512.00002" in out


def test_unknown_format_is_refused():
    with pytest.raises(PublishError, match="daily, bot"):
        render_digest(hostile_papers(), "html")


def test_digest_command(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    Store(tmp_path / "data").add_papers(hostile_papers().drop(columns=["score", "rank"]))
    assert main(["digest", "--data", "data", "--date", "2025-12-01", "--format", "bot", "--out", "d.md"]) == 0
    assert "2 papers" in capsys.readouterr().out
    assert read_digest(tmp_path / "d.md").attrs["format"] == "bot"
    assert main(["digest", "--data", "data", "--since", "2025-12-01"]) == 0
    assert capsys.readouterr().out.startswith("<div id=toc></div>")
    assert main(["digest", "--data", "data", "--date", "2024-01-01"]) == 2
    assert "no paper" in capsys.readouterr().err
    assert SCRIPT not in (tmp_path / "d.md").read_text(encoding="utf-8")
