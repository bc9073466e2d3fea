"""The PRISMA 2020 flow diagram: counts from the store that add up, and real Quarto drawing
its Mermaid chart with its own mermaid.js (no outside service)."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from litscope.publish.prisma import prisma_counts, prisma_mermaid
from litscope.schema import papers_frame
from sites import render_pages


def _paper(pid: str, source: str) -> dict:
    return {"id": pid, "title": f"Paper {pid}", "abstract": "Text.", "source": source}


@pytest.fixture
def store(store):
    store.add_papers(papers_frame([_paper(f"2501.0000{i}", "arxiv") for i in range(6)]))
    store.add_papers(papers_frame([_paper("2501.00001", "arxiv:announcement"),
                                   _paper("h:0000aaaa00000001", "topics:004.txt")]))
    for pid, label in (("2501.00002", "include"), ("2501.00003", "exclude"), ("2501.00004", "exclude"),
                       ("2501.00005", "maybe")):
        store.set_label(pid, label)
    return store


def test_counts_follow_the_store_and_add_up(store):
    counts = prisma_counts(store, included=["2501.00000", "2501.00003"])
    assert counts.databases == {"arXiv search API": 6, "arXiv announcements": 1}
    assert counts.other == {"digests": 1}
    assert counts.identified == 8 and counts.duplicates == 1 and counts.screened == 7
    assert (counts.excluded, counts.undecided, counts.included) == (2, 1, 2)   # exclude wins over published
    assert counts.excluded_by_ranking == 2                                     # 2501.00001 and the digest's
    assert (counts.excluded_by_ranking + counts.excluded + counts.undecided + counts.included
            == counts.screened)


def test_reasons_come_from_a_reason_column_when_labels_carry_one(store):
    labels = store.labels().assign(reason=lambda f: ["", "off topic", None, ""])
    counts = prisma_counts(store, labels=labels)
    assert counts.reasons == {"off topic": 1, "no reason given": 1}


def test_mermaid_labels_keep_outside_text_inert(store):
    labels = store.labels().assign(reason=['x', 'a "quoted" <b>{{< env K >}}</b> | #1', "y", "z"])
    chart = prisma_mermaid(prisma_counts(store, labels=labels))
    assert chart.startswith("flowchart TD\n")
    assert "{{<" not in chart and "<b>" not in chart and '"quoted"' not in chart
    assert re.search(r'excluded\["Records excluded by the reviewer \(n = 2\)<br/>.*#quot;quoted#quot;', chart)


@pytest.mark.render
def test_quarto_draws_the_diagram_with_its_own_mermaid(store, tmp_path):
    chart = prisma_mermaid(prisma_counts(store, included=["2501.00000"]))
    page = f"---\ntitle: Methods\n---\n\n## Flow of records\n\n```{{mermaid}}\n{chart}```\n"
    rendered = render_pages(tmp_path / "site", {"methods.qmd": page})
    assert rendered.problems() == []
    html = (rendered.site / "methods.html").read_text(encoding="utf-8")
    assert "Records screened (n = 7)" in html
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', html)
    mermaid = [s for s in scripts if "mermaid" in s]
    assert mermaid and all(not s.startswith(("http:", "https:", "//")) for s in scripts)
    assert all((rendered.site / s).is_file() for s in mermaid)
