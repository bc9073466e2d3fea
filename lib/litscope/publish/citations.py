"""The review's bibliography: one BibTeX file of its papers for Quarto, so that ``[@key]``
works in ``review.qmd`` and every page the person writes (Quarto's reference list and hover
previews), and each paper's key and entry for its place on the website.

Keys are `litscope export`'s (`litscope.curate.export.citation_keys`), given among all the
review's papers, so a key on the website is the key of the person's export of the same
papers; a newer paper that would share a key gets the suffix. Entries leave out the
abstract: the file is read by Pandoc for every page that declares it, and an entry shown
on a page is for copying.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ..curate.export import bibtex_entries
from ..schema import COLUMNS

__all__ = ["BIBLIOGRAPHY", "review_papers", "citations", "write_bibliography"]

#: The bibliography's file name in the pages folder (pages declare it as ``bibliography:``).
BIBLIOGRAPHY = "references.bib"


def review_papers(curated: pd.DataFrame, store: Any) -> pd.DataFrame:
    """The papers a review cites from: the curated ones, those labelled *include*, and the
    person's library (`library_papers`: store papers, or ``lib:`` items only in it), each
    once, in id order."""
    from ..sources.library import library_papers
    included = store.labels()
    included = store.papers(included.loc[included["label"] == "include", "id"].tolist())
    frames = [frame[list(COLUMNS)] for frame in (curated, included, library_papers(store)) if len(frame)]
    if not frames:
        return curated[list(COLUMNS)].iloc[:0]
    papers = pd.concat(frames, ignore_index=True).drop_duplicates("id")
    return papers.sort_values("id", kind="stable").reset_index(drop=True)


def citations(papers: pd.DataFrame) -> pd.DataFrame:
    """Each paper's ``id``, citation ``key`` and BibTeX entry (``bibtex``, no abstract),
    keys given among all of `papers`, in id order."""
    papers = papers.drop_duplicates("id").sort_values("id", kind="stable").reset_index(drop=True)
    entries = bibtex_entries(papers, abstracts=False)
    return pd.DataFrame({"id": papers["id"], "key": entries["key"], "bibtex": entries["bibtex"]})


def write_bibliography(papers: pd.DataFrame, path: str | Path) -> pd.DataFrame:
    """Write the BibTeX file of `papers` (`citations`) to `path` unless it already holds
    exactly that; returns the `citations` table."""
    table = citations(papers)
    text = "".join(f"{entry}\n\n" for entry in table["bibtex"])
    path = Path(path)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return table
