"""Daily per-category digests: one section per arXiv category, each paper with its abs link,
authors, main category, Chinese TL;DR/Motivation/Method/Result/Conclusion and the abstract."""
from __future__ import annotations

import re
from typing import Any

from ._common import arxiv_id, collect_fields, labels, split_authors

NAME = "daily"

_SECTION = re.compile(r"^# (?P<category>[\w.\-]+) \[\[Back\]\]")
_PAPER = re.compile(r"^### \[\d+\] \[(?P<title>.+)\]\((?P<url>[^)\s]+)\)\s*$")
_AUTHORS = re.compile(r"^\*(?P<authors>[^*].*)\*\s*$")
_FIELDS = labels(
    ("Main category:", "primary_category"), ("TL;DR:", "tldr"), ("Motivation:", "motivation"),
    ("Method:", "method"), ("Result:", "result"), ("Conclusion:", "conclusion"),
    ("Abstract:", "abstract"),
)
_MARKUP = re.compile(r"^\s*</?(details|summary|div)\b")


def looks_like(text: str) -> bool:
    """A ``### [1] [Title](arXiv link)`` heading and ``Main category:`` lines."""
    return bool(re.search(_PAPER.pattern, text, re.MULTILINE)) and "\nMain category:" in text


def parse(text: str) -> list[dict[str, Any]]:
    """One record per paper heading, tagged with the category section it sits under."""
    papers: list[tuple[re.Match[str], list[str], str | None]] = []
    category: str | None = None
    lines: list[str] | None = None
    for line in text.splitlines():
        section, heading = _SECTION.match(line), _PAPER.match(line)
        if section:
            category, lines = section["category"], None
        elif heading:
            lines = []
            papers.append((heading, lines, category))
        elif lines is not None:
            lines.append(line)
    return [_record(*paper) for paper in papers]


def _record(heading: re.Match[str], lines: list[str], category: str | None) -> dict[str, Any]:
    paper_id, version = arxiv_id(heading["url"])
    authors = next((m["authors"] for m in map(_AUTHORS.match, lines) if m), None)
    fields = collect_fields(lines, _FIELDS, joiner=" ",
                            skip=lambda line: bool(_MARKUP.match(line) or _AUTHORS.match(line)))
    return {"id": paper_id, "version": version, "title": heading["title"].strip(),
            "authors": split_authors(authors), "abs_url": heading["url"],
            "categories": [c for c in dict.fromkeys([fields.get("primary_category"), category]) if c],
            **fields}
