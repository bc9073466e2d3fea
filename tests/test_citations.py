"""The review's bibliography: export's keys among the review's papers, entries without
abstracts (tests/test_render.py checks a review page citing two papers in real Quarto)."""
from __future__ import annotations

import bibtexparser
import pytest

from litscope.curate.export import citation_keys
from litscope.publish.citations import review_papers, write_bibliography
from litscope.sample import load_sample


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


@pytest.mark.slow
def test_review_papers_are_curated_included_and_library_once(sample_store):
    papers = sample_store.papers()
    sample_store.set_label(papers["id"][5], "include")
    sample_store.set_label(papers["id"][6], "exclude")
    chosen = review_papers(papers.head(3), sample_store)
    assert set(chosen["id"]) == set(papers["id"][:3]) | {papers["id"][5]}
    assert chosen["id"].is_unique and chosen["id"].is_monotonic_increasing
