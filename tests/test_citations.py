"""The review's bibliography: export's keys among the review's papers, entries without
abstracts, and real Quarto rendering a page that cites two papers with a reference list."""
from __future__ import annotations

import re

import bibtexparser
import pytest

from litscope.curate.export import citation_keys
from litscope.publish.citations import citations, review_papers, write_bibliography
from litscope.sample import load_sample
from sites import render_pages


def test_keys_are_exports_keys_in_id_order_and_entries_parse(tmp_path):
    papers = load_sample().head(40)
    table = write_bibliography(papers, tmp_path / "references.bib")
    ordered = papers.sort_values("id").reset_index(drop=True)
    assert table["key"].tolist() == citation_keys(ordered).tolist()
    assert table["id"].tolist() == ordered["id"].tolist()
    library = bibtexparser.parse_file(str(tmp_path / "references.bib"))
    assert [e.key for e in library.entries] == table["key"].tolist()
    assert not any("abstract" in e.fields_dict for e in library.entries)


def test_the_file_is_rewritten_only_when_it_changes(tmp_path):
    path = tmp_path / "references.bib"
    write_bibliography(load_sample().head(5), path)
    stamp = path.stat().st_mtime_ns
    write_bibliography(load_sample().head(5).iloc[::-1], path)
    assert path.stat().st_mtime_ns == stamp
    write_bibliography(load_sample().head(6), path)
    assert path.stat().st_mtime_ns != stamp


def test_review_papers_are_curated_included_and_library_once(sample_store):
    papers = sample_store.papers()
    sample_store.set_label(papers["id"][5], "include")
    sample_store.set_label(papers["id"][6], "exclude")
    chosen = review_papers(papers.head(3), sample_store)
    assert set(chosen["id"]) == set(papers["id"][:3]) | {papers["id"][5]}
    assert chosen["id"].is_unique and chosen["id"].is_monotonic_increasing


@pytest.mark.render
def test_a_page_citing_two_papers_renders_a_reference_list_without_warnings(tmp_path):
    papers = load_sample().head(30)
    table = write_bibliography(papers, tmp_path / "site" / "references.bib")
    first, second = table["key"][0], table["key"][1]
    page = (f"---\ntitle: Review\nbibliography: references.bib\n---\n\n"
            f"As [@{first}] shows, and @{second} confirms, it works.\n")
    rendered = render_pages(tmp_path / "site", {"review.qmd": page})
    assert rendered.problems() == []
    html = (rendered.site / "review.html").read_text(encoding="utf-8")
    assert re.search(r'id="refs"', html)
    assert f'id="ref-{first}"' in html and f'id="ref-{second}"' in html
    assert f'data-cites="{first}"' in html and f'data-cites="{second}"' in html
