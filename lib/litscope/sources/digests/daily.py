"""Daily per-category digests: one section per arXiv category, each paper with its abs link,
authors, main category, Chinese TL;DR/Motivation/Method/Result/Conclusion and the abstract.

The details (summary and abstract) sit in a ``<details>`` block: an entry that opens one and
does not close it is cut off, and so is a last entry that ends before its abstract.
"""
from __future__ import annotations

import re
from typing import Any

from ._common import arxiv_id, collect_fields, cut_off, holds, labels, split_authors

NAME = "daily"

_SECTION = re.compile(r"^# (?P<category>[\w.\-]+) \[\[Back\]\]")
_PAPER = re.compile(r"^### \[\d+\] \[(?P<title>.+)\]\((?P<url>[^)\s]+)\)\s*$")
#: The start of a paper heading, anywhere: in a field, it is the next entry run into this one.
_HEADING = re.compile(r"### \[\d+\] \[")
_AUTHORS = re.compile(r"^\*(?P<authors>[^*].*)\*\s*$")
_FIELDS = labels(
    ("Main category:", "primary_category"), ("TL;DR:", "tldr"), ("Motivation:", "motivation"),
    ("Method:", "method"), ("Result:", "result"), ("Conclusion:", "conclusion"),
    ("Abstract:", "abstract"),
)
_MARKUP = re.compile(r"^\s*</?(details|summary|div)\b")
_OPEN, _CLOSE = re.compile(r"^\s*<details\b"), re.compile(r"^\s*</details>")


def looks_like(text: str) -> bool:
    """A ``### [1] [Title](arXiv link)`` heading and ``Main category:`` lines."""
    return bool(re.search(_PAPER.pattern, text, re.MULTILINE)) and "\nMain category:" in text


def parse(text: str) -> list[dict[str, Any]]:
    """One record per paper heading, tagged with the category section it sits under; a
    heading cut off before its link is a cut-off entry of its own."""
    papers: list[tuple[re.Match[str], list[str], str | None]] = []
    cut: list[dict[str, Any]] = []
    category: str | None = None
    lines: list[str] | None = None
    for line in text.splitlines():
        section, heading = _SECTION.match(line), _PAPER.match(line)
        if section:
            category, lines = section["category"], None
        elif heading:
            lines = []
            papers.append((heading, lines, category))
        elif _HEADING.match(line):
            lines = None
            cut.append(cut_off({"title": line.split("] [", 1)[-1].strip()}, "its heading is cut off"))
        elif lines is not None:
            lines.append(line)
    last = len(papers) - 1 if lines is not None else None   # the entry the text ends in
    return [_record(*paper, at_end=i == last) for i, paper in enumerate(papers)] + cut


def _record(heading: re.Match[str], lines: list[str], category: str | None, *,
            at_end: bool) -> dict[str, Any]:
    paper_id, version = arxiv_id(heading["url"])
    opened = next((i for i, line in enumerate(lines) if _OPEN.match(line)), None)
    closed = next((i for i, line in enumerate(lines) if _CLOSE.match(line) and i > opened), None) \
        if opened is not None else None
    lines = lines[:closed]                 # what follows </details> belongs to no field
    authors = next((m["authors"] for m in map(_AUTHORS.match, lines) if m), None)
    fields = collect_fields(lines, _FIELDS, joiner=" ", last="abstract",
                            skip=lambda line: bool(_MARKUP.match(line) or _AUTHORS.match(line)))
    record = {"id": paper_id, "version": version, "title": heading["title"].strip(),
              "authors": split_authors(authors), "abs_url": heading["url"],
              "categories": [c for c in dict.fromkeys([fields.get("primary_category"), category]) if c],
              **fields}
    if opened is not None and closed is None:
        return cut_off(record, "no closing </details>")
    if at_end and "abstract" not in fields:
        return cut_off(record, "it ends before its abstract")
    return cut_off(record, "it runs into the next entry's heading" if holds(record, _HEADING) else None)
