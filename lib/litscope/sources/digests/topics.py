"""Topic digests: sections ``<subtopic><N> 篇``, each paper a topic line, a subtopic line,
``#tags``, an optional English ``TL;DR:``, six emoji-labelled Chinese fields and the abstract.

Papers have neither title nor id: the display title is derived from the abstract
(``title_derived``) and the id is a hash of the abstract alone.

Nothing marks the end of a paper but the start of the next, so the paper the text ends in is
cut off when it has no abstract, when its section has fewer papers than its header announces,
or when its abstract stops mid-sentence (whole abstracts end with a sentence mark or a link).
"""
from __future__ import annotations

import bisect
import re
from typing import Any

from ._common import CUT_OFF, collect_fields, cut_off, ends_finished, labels

NAME = "topics"

_HEADER = re.compile(r"^(?P<subtopic>\S.*?)\s*(?P<count>\d+) 篇\s*$")
_TAGS = re.compile(r"^#\S")
_FIELDS = labels(
    ("TL;DR[:：]", "tldr"), ("🎯 ?研究动机[:：]?", "motivation"), ("❓ ?解决问题[:：]?", "problem"),
    ("🔍 ?现象分析[:：]?", "analysis"), ("🛠️? ?主要方法[:：]?", "method"),
    ("📊 ?数据与实验[:：]?", "result"), ("⭐ ?主要贡献[:：]?", "contribution"),
    (r"查看完整摘要 \(Abstract\)", "abstract"),
)
_TITLE_WORDS = 12
_TITLE_CHARS = 40   # for text written without spaces
_PHRASE_WORDS = 4
_VERB = r"\b[Ww]e\s+(?:propose|introduce|present|develop|release)\s+"
_NAME = r"(?P<name>[A-Z][\w\-]*[\w])(?:\s*\([^)]*\))?"
_WHAT = r"(?P<what>(?:a|an|the)\s[^.;:]+)"
#: "we propose GuardSpace, a guardrail framework for ..." / "we introduce a benchmark, called X, ..."
_NAMED = (re.compile(_VERB + _NAME + r"\s*[,:—]\s+" + _WHAT),
          re.compile(_VERB + r"(?P<what>(?:a|an)\s[^.;:,]+),?\s+(?:called|termed|named|dubbed)\s+" + _NAME))
#: "we propose a simple yet effective method for ..."
_PROPOSED = re.compile(_VERB + _WHAT)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])|(?<=[。！？])")


def looks_like(text: str) -> bool:
    """``<subtopic><N> 篇`` section headers and ``查看完整摘要`` abstract markers."""
    return bool(re.search(_HEADER.pattern, text, re.MULTILINE)) and "查看完整摘要" in text


def section_counts(text: str) -> dict[str, int]:
    """The paper count each section header announces, e.g. ``{"模型架构": 74}``."""
    return {m["subtopic"]: int(m["count"]) for m in map(_header, text.splitlines()) if m}


def _header(line: str) -> re.Match[str] | None:
    """A section header; the cheap test first (the pattern backtracks on long lines)."""
    return _HEADER.match(line) if " 篇" in line else None


def parse(text: str) -> list[dict[str, Any]]:
    """One record per ``#tags`` line: the two lines above it are topic and subtopic, the
    lines below it run up to the next paper or section header."""
    lines = text.splitlines()
    starts = [i - 2 for i, line in enumerate(lines) if i >= 2 and _TAGS.match(line)]
    headers = [i for i, line in enumerate(lines) if _header(line)]
    ends = sorted({*starts, *headers, len(lines)})
    topics = {lines[start].strip() for start in starts}
    records = [_record(lines[start:ends[bisect.bisect_right(ends, start)]], topics) for start in starts]
    if records and not any(h > starts[-1] for h in headers):   # the text ends in the last paper
        section = max((h for h in headers if h < starts[-1]), default=None)
        announced = int(_header(lines[section])["count"]) if section is not None else 0
        in_section = sum(1 for start in starts if section is None or start > section)
        records[-1] = cut_off(records[-1], records[-1].get(CUT_OFF) or _unfinished(
            records[-1], in_section, announced))
    return records


def _record(lines: list[str], topics: set[str]) -> dict[str, Any]:
    topic, subtopic, tags, *rest = lines
    fields = collect_fields(rest, _FIELDS, joiner=" ")
    record = {"title": derive_title(fields.get("abstract"), fields.get("tldr"), fields.get("method") or subtopic),
              "title_derived": True, "topic": topic.strip(), "subtopic": subtopic.strip(),
              "tags": [tag.strip() for tag in tags.split("#") if tag.strip()], **fields}
    # a topic line among its own lines: the next paper's tags line, and what was between, is missing
    ran_on = fields.repeated or any(line.strip() in topics for line in rest)
    return cut_off(record, "it runs into the next entry" if ran_on else None)


def _unfinished(record: dict[str, Any], in_section: int, announced: int) -> str | None:
    """Why the paper the text ends in is cut off, if it is: paper `in_section` of the
    `announced` ones its section header counts."""
    if "abstract" not in record:
        return "it ends before its abstract"
    if in_section < announced:
        return f"the text ends in it, paper {in_section} of the {announced} its section announces"
    return None if ends_finished(record["abstract"]) else "its abstract stops mid-sentence"


def proposed_name(*texts: str | None) -> str | None:
    """The name the first of `texts` that names what its paper proposes gives it ("we
    propose GuardSpace, a ..." -> "GuardSpace"), or None."""
    for pattern in _NAMED:
        for text in texts:
            if text and (match := pattern.search(text)):
                return match["name"]
    return None


def derive_title(*texts: str | None) -> str:
    """A display title for a paper without one, from the first of `texts` (abstract, TL;DR,
    ...) that names what the paper proposes (``"Name: a ... for ..."``, else ``"A ... for
    ..."``), else the first sentence of the first text; about twelve words."""
    texts = tuple(text.strip() for text in texts if text and text.strip())
    for pattern in _NAMED:
        for text in texts:
            if match := pattern.search(text):
                return _clip(f"{match['name']}: {_phrase(match['what'])}")
    for text in texts:
        if match := _PROPOSED.search(text):
            return _clip(_phrase(match["what"]))
    return _clip(_SENTENCE.split(texts[0], maxsplit=1)[0].rstrip(".。")) if texts else ""


def _phrase(text: str) -> str:
    """Capitalised, and cut at its first comma when what comes before says enough."""
    head = text.split(",", 1)[0]
    text = head if len(head.split()) >= _PHRASE_WORDS else text
    return text[:1].upper() + text[1:]


def _clip(text: str) -> str:
    words = text.split()
    if len(words) == 1 and len(text) > _TITLE_CHARS:
        return text[:_TITLE_CHARS] + "…"
    if len(words) <= _TITLE_WORDS:
        return text
    return " ".join(words[:_TITLE_WORDS]).rstrip(",;:") + "…"
