"""Digests cut off at many offsets, for the tests of importing and storing cut-off digests:
the seeds as texts to cut, where their entries end, a deterministic sweep of cut positions."""
from __future__ import annotations

import re
from pathlib import Path

from litscope.sources.digests import repair_mojibake

TOPICS = "004_a3708f861c8db2d6.txt"

#: The start of each format's entries: once the next one is here, an entry is whole (a topic
#: digest's entries are told apart by their tags line).
ENTRY_START = {"daily": r"^### \[\d+\] \[", "bot": r"^### \d+\. \[", "bilingual": r"^# ", "topics": r"^#\S"}
#: What ends the last entry (a topic digest's ends with the text).
LAST_END = {"daily": "</details>\n", "bot": "\n---\n", "bilingual": "\n---\n", "topics": None}


def seed_texts(seeds_dir: Path, name: str) -> list[tuple[str, int]]:
    """(text, how far into it to cut): the seed, repaired; for the 2 MB topic digest, its
    first 30 kB and, whole, its last section (a digest in itself)."""
    text = repair_mojibake((seeds_dir / name).read_text(encoding="utf-8"))
    if name != TOPICS:
        return [(text, len(text))]
    last_section = text[text.rindex("\nLLM 预训练69 篇\n") + 1:]
    return [(text, 30_000), (last_section, len(last_section))]


def entry_ends(text: str, fmt: str) -> list[int]:
    """Offsets at which each entry of `text` is whole."""
    starts = [m.end() for m in re.finditer(ENTRY_START[fmt], text, re.MULTILINE)]
    last = text.index(LAST_END[fmt], starts[-1]) + len(LAST_END[fmt]) if LAST_END[fmt] else len(text)
    return [*starts[1:], last]


def cut_positions(text: str, limit: int, lines: int = 100, spread: int = 60, last: int = 40) -> list[int]:
    """A deterministic sweep: both sides of the line breaks (every one in a small text, a
    stride of them in a big one, always the `last` ones), plus offsets spread over the text."""
    breaks = [m.end() for m in re.finditer(r"\n", text[:limit])]
    chosen = breaks[::max(1, len(breaks) // lines)] + breaks[-last:]
    return sorted({*chosen, *(b - 1 for b in chosen), *range(7, limit, max(1, limit // spread))})


def last_sentence_cut(text: str) -> int:
    """In a topic digest, the end of the first line of its last abstract that ends a
    sentence: a cut there is the undetectable kind."""
    abstract = text.rindex("查看完整摘要 (Abstract)\n")
    return text.index(".\n", abstract) + 1


def undetectable(record: dict, whole: dict, fmt: str) -> bool:
    """The one cut no parser can see: a topic digest (nothing marks an entry's end) cut in
    its last abstract right after a sentence mark or inside a link, so the abstract looks
    whole. The store keeps the whole one over it (test_store.py)."""
    abstract = record.get("abstract") or ""
    return (fmt == "topics" and {k for k in record if record[k] != whole.get(k)} <= {"abstract", "title"}
            and whole["abstract"].startswith(abstract) and abstract != whole["abstract"]
            and (abstract.endswith((".", "!", "?", "。")) or "://" in abstract.split()[-1]))
