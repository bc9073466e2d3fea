"""arxiv_rss_bot READMEs: numbered papers with bold-labelled metadata (authors, category,
published date, score, versioned arXiv id), a truncated abstract and, for some papers, a
collapsible markdown AI summary."""
from __future__ import annotations

import re
from typing import Any

from ._common import arxiv_id, collect_fields, labels, split_authors

NAME = "bot"

_PAPER = re.compile(r"^### \d+\. \[(?P<title>.+)\]\((?P<url>[^)\s]+)\)\s*$")
_SECTION = re.compile(r"^## ")
_FIELDS = labels(
    (r"\*\*Authors\*\*:", "authors"), (r"\*\*Category\*\*:", "primary_category"),
    (r"\*\*Published\*\*:", "published"), (r"\*\*Score\*\*:", "external_score"),
    (r"\*\*ArXiv ID\*\*:", "arxiv_id"), (r"\*\*Type\*\*:", "type"),
    (r"#### Abstract", "abstract"), (r"---\s*$", "end"),
)


def looks_like(text: str) -> bool:
    """Numbered ``### 1. [Title](link)`` headings with ``**ArXiv ID**:`` lines."""
    return bool(re.search(_PAPER.pattern, text, re.MULTILINE)) and "**ArXiv ID**:" in text


def parse(text: str) -> list[dict[str, Any]]:
    """One record per numbered heading; a ``## `` heading outside a summary ends the list."""
    papers: list[tuple[re.Match[str], list[str]]] = []
    lines: list[str] | None = None
    in_summary = False
    for line in text.splitlines():
        in_summary = (in_summary or line.startswith("<details>")) and not line.startswith("</details>")
        heading = None if in_summary else _PAPER.match(line)
        if heading:
            lines = []
            papers.append((heading, lines))
        elif lines is not None and not in_summary and _SECTION.match(line):
            lines = None
        elif lines is not None:
            lines.append(line)
    return [_record(*paper) for paper in papers]


def _record(heading: re.Match[str], lines: list[str]) -> dict[str, Any]:
    start = next((i for i, line in enumerate(lines) if line.startswith("<details>")), len(lines))
    fields = collect_fields(lines[:start], _FIELDS, joiner=" ")
    paper_id, version = arxiv_id(fields.get("arxiv_id") or heading["url"])
    return {"id": paper_id, "version": version, "title": heading["title"].strip(),
            "authors": split_authors(fields.get("authors")), "abs_url": heading["url"],
            "primary_category": fields.get("primary_category"),
            "categories": [fields["primary_category"]] if "primary_category" in fields else [],
            "published": fields.get("published"), "abstract": fields.get("abstract"),
            "external_score": float(fields["external_score"]) if "external_score" in fields else None,
            "summary": _summary(lines[start:])}


def _summary(lines: list[str]) -> str | None:
    """The markdown between ``</summary>`` and the last ``</details>``."""
    opened = next((i for i, line in enumerate(lines) if "</summary>" in line), None)
    closed = max((i for i, line in enumerate(lines) if line.startswith("</details>")), default=len(lines))
    if opened is None:
        return None
    return "\n".join(lines[opened + 1:closed]).strip() or None
