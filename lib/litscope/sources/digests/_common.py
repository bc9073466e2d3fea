"""Pieces the digest parsers share: labelled-field collection, cut-off entries and small text
helpers."""
from __future__ import annotations

import re
from typing import Any, Callable, Iterable, Sequence

from ...errors import SchemaError
from ...schema import split_arxiv_id

#: A field label: a regex matching the start of a line (the label itself) and the field it opens.
Label = tuple[re.Pattern[str], str]
#: The key a parser sets, to a one-line reason, on an entry that the digest cuts off.
CUT_OFF = "cut_off"

_SENTENCE_END = tuple(".!?。！？…")
_CLOSING = ")]}>\"'”’」』 \t\n"


def labels(*pairs: tuple[str, str]) -> tuple[Label, ...]:
    """Compile ``(regex, field)`` pairs; each regex is anchored at the start of a line."""
    return tuple((re.compile(rf"^\s*(?:{pattern})\s*"), field) for pattern, field in pairs)


class Fields(dict):
    """Field name -> text, as `collect_fields` read them; `repeated` names the labels that
    came again (whose later text was dropped)."""

    def __init__(self, fields: dict[str, str], repeated: set[str]):
        super().__init__(fields)
        self.repeated = repeated


def collect_fields(lines: Iterable[str], fields: Sequence[Label], *, joiner: str = "\n",
                   skip: Callable[[str], bool] = lambda line: False, last: str | None = None) -> Fields:
    """Read ``Label: value`` lines into a dict; unlabelled lines continue the field above.

    Blank and skipped lines end nothing (fields may span paragraphs); the first occurrence
    of a label wins if a label repeats. The field `last` runs to the end: lines in it that
    look like labels (a structured abstract's ``Conclusion:`` paragraph) are its text.
    """
    parts: dict[str, list[str]] = {}
    repeated: set[str] = set()
    current: list[str] | None = None
    for line in lines:
        if skip(line):
            continue
        for pattern, field in fields if last is None or last not in parts else ():
            match = pattern.match(line)
            if match:
                if field in parts:
                    repeated.add(field)
                current = [] if field in parts else parts.setdefault(field, [])
                line = line[match.end():]
                break
        if current is not None and line.strip():
            current.append(line.strip())
    return Fields({field: joiner.join(texts) for field, texts in parts.items() if texts}, repeated)


def cut_off(record: dict[str, Any], reason: str | None) -> dict[str, Any]:
    """`record`, marked as cut off for `reason` (None: it is complete)."""
    return {**record, CUT_OFF: reason} if reason else record


def holds(record: dict[str, Any], marker: re.Pattern[str]) -> bool:
    """Whether a text field of `record` holds `marker` (e.g. the next entry's heading: an
    entry that ran into the next one because the text between them is missing)."""
    return any(isinstance(value, str) and marker.search(value) for value in record.values())


def ends_finished(text: str | None) -> bool:
    """Whether `text` ends the way whole abstracts end: with a sentence mark (before closing
    brackets or quotes) or with a link; a digest cut off mid-sentence does not."""
    if not text or not text.strip():
        return False
    return text.rstrip(_CLOSING).endswith(_SENTENCE_END) or "://" in text.split()[-1]


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
