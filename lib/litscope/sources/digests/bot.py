"""arxiv_rss_bot READMEs: numbered papers with bold-labelled metadata (authors, category,
published date, score, versioned arXiv id), a truncated abstract and, for some papers, a
collapsible markdown AI summary. Every paper ends with a ``---`` line: one the text ends in
before that line (or inside its summary) is cut off."""
from __future__ import annotations

import re
from typing import Any

from ._common import arxiv_id, collect_fields, cut_off, holds, labels, split_authors

NAME = "bot"

_PAPER = re.compile(r"^### \d+\. \[(?P<title>.+)\]\((?P<url>[^)\s]+)\)\s*$")
#: The start of a paper heading, anywhere: in a field, it is the next entry run into this one.
_HEADING = re.compile(r"### \d+\. \[")
_END = re.compile(r"^---\s*$")
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
    """One record per numbered heading; a ``## `` heading outside a summary ends the list; a
    heading cut off before its link is a cut-off entry of its own."""
    papers: list[tuple[re.Match[str], list[str]]] = []
    cut: list[dict[str, Any]] = []
    lines: list[str] | None = None
    in_summary = ended = False
    for line in text.splitlines():
        in_summary = (in_summary or line.startswith("<details>")) and not line.startswith("</details>")
        heading = None if in_summary else _PAPER.match(line)
        if heading:
            lines, ended = [], False
            papers.append((heading, lines))
        elif not in_summary and _HEADING.match(line):
            lines = None
            cut.append(cut_off({"title": line.split(". [", 1)[-1].strip()}, "its heading is cut off"))
        elif lines is not None and not in_summary and _SECTION.match(line):
            lines = None
        elif lines is not None:
            ended = ended or (not in_summary and bool(_END.match(line)))
            lines.append(line)
    if lines is None or ended:
        return [_record(*paper) for paper in papers] + cut
    # the text ends inside its last paper, maybe in the middle of a field
    try:
        last = _record(*papers[-1])
    except ValueError:
        last = {"title": papers[-1][0]["title"].strip()}
    reason = "no closing </details>" if in_summary else "no closing --- line"
    return [_record(*paper) for paper in papers[:-1]] + [cut_off(last, reason)] + cut


def _record(heading: re.Match[str], lines: list[str]) -> dict[str, Any]:
    start = next((i for i, line in enumerate(lines) if line.startswith("<details>")), len(lines))
    fields = collect_fields(lines[:start], _FIELDS, joiner=" ")
    paper_id, version = arxiv_id(fields.get("arxiv_id") or heading["url"])
    record = {"id": paper_id, "version": version, "title": heading["title"].strip(),
              "authors": split_authors(fields.get("authors")), "abs_url": heading["url"],
              "primary_category": fields.get("primary_category"),
              "categories": [fields["primary_category"]] if "primary_category" in fields else [],
              "published": fields.get("published"), "abstract": fields.get("abstract"),
              "external_score": float(fields["external_score"]) if "external_score" in fields else None}
    reason = "it runs into the next entry's heading" if holds(record, _HEADING) else None
    return cut_off({**record, "summary": _summary(lines[start:])}, reason)


def _summary(lines: list[str]) -> str | None:
    """The markdown between ``</summary>`` and the last ``</details>``."""
    opened = next((i for i, line in enumerate(lines) if "</summary>" in line), None)
    closed = max((i for i, line in enumerate(lines) if line.startswith("</details>")), default=len(lines))
    if opened is None:
        return None
    return "\n".join(lines[opened + 1:closed]).strip() or None
