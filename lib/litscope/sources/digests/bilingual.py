"""Bilingual lists: papers separated by ``---``, each a ``# Title`` with its Chinese title,
authors, PDF link and the abstract in English and Chinese.

Every paper ends with a ``---`` line, the last one too: a paper the text ends in before that
line is cut off, and so is one whose labels come twice or appear inside a field (the text
between it and the next paper is missing)."""
from __future__ import annotations

import re
from typing import Any

from ._common import arxiv_id, collect_fields, cut_off, holds, labels, split_authors

NAME = "bilingual"

_SEPARATOR = re.compile(r"^---\s*$", re.MULTILINE)
_FIELDS = labels(
    (r"# ", "title"), (r"\*\*Title \(ZH\)\*\*:", "title_zh"), (r"\*\*Authors\*\*:", "authors"),
    (r"\*\*Link\*\*:", "link"), (r"\*\*Abstract\*\*:", "abstract"),
    (r"\*\*Abstract \(ZH\)\*\*:", "abstract_zh"),
)
#: A label in the middle of a field: the next paper run into this one.
_LABEL = re.compile(r"\*\*(?:Title \(ZH\)|Authors|Link|Abstract(?: \(ZH\))?)\*\*:")
_LINK = re.compile(r"\((?P<url>[^)\s]+)\)")
#: A paragraph a machine translator appended about its own translation ("注：上述翻译……").
_TRANSLATOR_NOTE = re.compile(r"^[（(]?(?:译者)?注[:：]")


def looks_like(text: str) -> bool:
    """``**Title (ZH)**:`` and ``**Abstract (ZH)**:`` labels."""
    return "**Title (ZH)**:" in text and "**Abstract (ZH)**:" in text


def parse(text: str) -> list[dict[str, Any]]:
    """One record per ``---``-separated chunk that has a title; abstract paragraphs keep their
    line breaks, translator notes after the Chinese abstract are dropped."""
    records = []
    chunks = _SEPARATOR.split(text)
    for n, chunk in enumerate(chunks, 1):
        fields = collect_fields(chunk.splitlines(), _FIELDS)
        if "title" not in fields:
            continue
        link = _LINK.search(fields.get("link", ""))
        url = link["url"] if link else None
        paper_id, version = arxiv_id(url) if url else (None, None)
        record = {
            "id": paper_id, "version": version, "title": fields["title"],
            "title_zh": fields.get("title_zh"), "authors": split_authors(fields.get("authors")),
            "pdf_url": url, "abstract": fields.get("abstract"),
            "abstract_zh": _without_notes(fields.get("abstract_zh")),
        }
        reason = ("no closing --- line" if n == len(chunks) else
                  "it runs into the next entry" if fields.repeated or holds(record, _LABEL) else None)
        records.append(cut_off(record, reason))
    return records


def _without_notes(text: str | None) -> str | None:
    paragraphs = (text or "").split("\n")
    while paragraphs and _TRANSLATOR_NOTE.match(paragraphs[-1]):
        paragraphs.pop()
    return "\n".join(paragraphs) or None
