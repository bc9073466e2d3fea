"""The PRISMA 2020 flow diagram: counts from the store that add up, labels that stay text
(tests/test_render.py checks the methods page Quarto draws it on, with its own mermaid.js)."""
from __future__ import annotations

import re

import pytest

from litscope.publish.prisma import prisma_counts, prisma_mermaid
from litscope.schema import papers_frame


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
