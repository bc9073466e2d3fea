"""The record of what the website published: written once per paper, read back whole, merged
lines tolerated, bad lines named; the website shows recorded papers as recorded."""
from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd
import pytest

from litscope.config import SiteSettings
from litscope.errors import PublishError
from litscope.publish.record import FOLDER, explanation_rows, read_record, record_papers
from litscope.publish.site import shown_papers, site_papers
from litscope.schema import papers_frame

NOW = datetime(2025, 12, 6, 6, 30, tzinfo=timezone.utc)


def _papers() -> pd.DataFrame:
    frame = papers_frame([{"id": f"2512.0000{i}", "title": f"Paper {i}", "source": "t",
                           "published": f"2025-12-0{1 + i % 2}T10:00:00Z"} for i in range(5)])
    frame["score"] = [5.0, 4.0, 3.0, 2.0, 1.0]
    frame["rank"] = [1, 2, 3, 4, 5]
    frame["excluded"] = False
    return frame


def _recorded(ids, day="2025-12-01", score=9.5) -> pd.DataFrame:
    return pd.DataFrame({"id": ids, "day": day, "score": score,
                         "why": [[{"term": "decoding", "field": "title", "matches": 1, "contribution": score}]] * len(ids)})


def test_a_paper_is_recorded_once_and_read_back(tmp_path):
    assert read_record(tmp_path).empty
    assert record_papers(tmp_path, _recorded(["2512.00000", "2512.00001"]), now=NOW) == 2
    assert record_papers(tmp_path, _recorded(["2512.00001", "2512.00002"], score=1.0), now=NOW) == 1
    assert sorted(p.name for p in (tmp_path / FOLDER).iterdir()) == ["2025-12.jsonl"]
    record = read_record(tmp_path)
    assert record["id"].tolist() == ["2512.00000", "2512.00001", "2512.00002"]
    assert record.set_index("id").at["2512.00001", "score"] == 9.5          # the first line wins
    assert record.at[0, "why"][0]["term"] == "decoding" and record.at[0, "at"].startswith("2025-12-06")


def test_lines_two_machines_merged_keep_the_first_and_a_bad_line_is_named(tmp_path):
    record_papers(tmp_path, _recorded(["2512.00000"]), now=NOW)
    path = tmp_path / FOLDER / "2025-12.jsonl"
    later = '{"id": "2512.00000", "day": "2025-12-09", "score": 1, "why": [], "at": "2025-12-09T00:00:00+00:00"}\n'
    path.write_text(later + path.read_text(encoding="utf-8") + "\n", encoding="utf-8")   # union merge order
    assert read_record(tmp_path).at[0, "day"] == "2025-12-01"
    path.write_text(path.read_text(encoding="utf-8") + "{not json\n", encoding="utf-8")
    with pytest.raises(PublishError, match=r"2025-12\.jsonl, line 4: not a record"):
        read_record(tmp_path)


def test_explanations_keep_their_terms_and_numbers():
    table = pd.DataFrame({"term": ["decoding", "recency"], "field": ["title", "published"], "matches": [2, float("nan")],
                          "weight": [1.5, 0.5], "field_weight": [2.0, float("nan")], "contribution": [6.0, -0.25]})
    assert explanation_rows(table) == [
        {"term": "decoding", "field": "title", "matches": 2, "weight": 1.5, "field_weight": 2.0, "contribution": 6.0},
        {"term": "recency", "field": "published", "weight": 0.5, "contribution": -0.25}]


def test_the_website_shows_recorded_papers_as_recorded_and_todays_picks_as_they_are():
    papers = _papers()
    chosen, _ = site_papers(papers, SiteSettings(top_n=2, per_day=0))
    record = _recorded(["2512.00004"], day="2025-11-30").assign(at="2025-12-01T06:00:00+00:00")
    shown = shown_papers(papers, chosen, record).set_index("id")
    assert shown.index.tolist() == ["2512.00001", "2512.00000", "2512.00004"]   # newest day first
    assert shown.at["2512.00004", "score"] == 9.5 and shown.at["2512.00004", "day"] == "2025-11-30"
    assert shown.at["2512.00004", "scored_on"] == "2025-12-01" and shown.at["2512.00004", "recorded"]
    assert shown.at["2512.00000", "score"] == 5.0 and not shown.at["2512.00000", "recorded"]
    labels = pd.DataFrame({"id": ["2512.00004", "2512.00000"], "label": ["exclude", "include"]})
    assert shown_papers(papers, chosen, record, labels)["id"].tolist() == ["2512.00001", "2512.00000"]
    included = shown_papers(papers, chosen, record, labels, settings=SiteSettings(curate="include"))
    assert included["id"].tolist() == ["2512.00000"]


def test_a_paper_without_a_date_is_shown_on_the_day_the_review_first_saw_it_after_that_days_dated_ones():
    papers = _papers()
    papers.loc[0, "published"] = pd.NaT                        # the best paper has no date
    chosen, _ = site_papers(papers, SiteSettings(top_n=5, per_day=0))
    shown = shown_papers(papers, chosen, first_seen={"2512.00000": "2025-12-02T23:00:00+00:00"})
    assert shown["id"].tolist() == ["2512.00001", "2512.00003", "2512.00000", "2512.00002", "2512.00004"]
    assert shown.set_index("id").at["2512.00000", "day"] == "2025-12-02"
    assert shown_papers(papers, chosen)["id"].tolist()[-1] == "2512.00000"   # unknown: the undated page, last
