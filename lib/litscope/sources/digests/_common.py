"""Pieces the digest parsers share: labelled-field collection and small text helpers."""
from __future__ import annotations

import re
from typing import Callable, Iterable, Sequence

from ...errors import SchemaError
from ...schema import split_arxiv_id

#: A field label: a regex matching the start of a line (the label itself) and the field it opens.
Label = tuple[re.Pattern[str], str]


def labels(*pairs: tuple[str, str]) -> tuple[Label, ...]:
    """Compile ``(regex, field)`` pairs; each regex is anchored at the start of a line."""
    return tuple((re.compile(rf"^\s*(?:{pattern})\s*"), field) for pattern, field in pairs)


def collect_fields(lines: Iterable[str], fields: Sequence[Label], *, joiner: str = "\n",
                   skip: Callable[[str], bool] = lambda line: False) -> dict[str, str]:
    """Read ``Label: value`` lines into a dict; unlabelled lines continue the field above.

    Blank and skipped lines end nothing (fields may span paragraphs); the first occurrence
    of a label wins if a label repeats.
    """
    parts: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lines:
        if skip(line):
            continue
        for pattern, field in fields:
            match = pattern.match(line)
            if match:
                current = [] if field in parts else parts.setdefault(field, [])
                line = line[match.end():]
                break
        if current is not None and line.strip():
            current.append(line.strip())
    return {field: joiner.join(texts) for field, texts in parts.items() if texts}


def split_authors(text: str | None) -> list[str]:
    """``"A. Smith,B. Jones"`` or ``"A. Smith, B. Jones"`` -> ``["A. Smith", "B. Jones"]``."""
    return [name.strip() for name in (text or "").split(",") if name.strip()]


def arxiv_id(text: str) -> tuple[str | None, int | None]:
    """The versionless id and version in an arXiv id or link; ``(None, None)`` for other links
    (the importer then gives the paper a content-hash id)."""
    try:
        return split_arxiv_id(text)
    except SchemaError:
        return None, None
