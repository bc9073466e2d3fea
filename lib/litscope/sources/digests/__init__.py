"""Importers for existing digests: read a digest file into a papers DataFrame.

One module per format, each with a ``NAME``, ``looks_like(text)`` and ``parse(text)`` that
returns one record (dict of schema fields) per paper. `read_digest` repairs mojibake, detects
the format, gives papers without an arXiv id a content-hash id and returns the schema.

A digest may be cut off (a download interrupted, a copy-paste too short): parsers mark the
entries that end before their required parts (``record["cut_off"]`` says why) and
`read_digest` leaves them out, listing them in ``attrs["cut_off"]``: they are never stored.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from ...config import HEAD_BYTES, read_head, read_text
from ...errors import ImportFormatError, SchemaError
from ...schema import SUMMARY_FIELDS, check_text, content_id, papers_frame, validate_papers
from . import bilingual, bot, daily, topics
from ._common import CUT_OFF
from ._mojibake import repair_mojibake

__all__ = ["FORMATS", "detect_format", "read_digest", "parse_digest", "describe_cut_off",
           "repair_mojibake"]

#: format name -> parser module, in the order detection tries them
FORMATS = {module.NAME: module for module in (daily, bot, bilingual, topics)}


def detect_format(text: str, *, where: str = "text") -> str:
    """The name of the digest format `text` is in, told from its first `HEAD_BYTES`;
    `ImportFormatError` if none fits."""
    head = text[:HEAD_BYTES]
    for name, module in FORMATS.items():
        if module.looks_like(head):
            return name
    raise ImportFormatError(f"{where}: not a digest litscope can import (tried the formats "
                            f"{', '.join(FORMATS)}); pass --format to force one")


def read_digest(path: str | Path, format: str | None = None) -> pd.DataFrame:
    """The papers of one digest file as a schema-conforming frame (``attrs["format"]`` says
    which format it was read as, ``attrs["cut_off"]`` lists the entries left out as cut off;
    ``source`` is ``"<format>:<file name>"``)."""
    path = Path(path)
    _check_format(format)
    if format is None:   # told from the head, before the whole file is read
        format = detect_format(repair_mojibake(read_head(path, ImportFormatError, what="the digest")),
                               where=str(path))
    return parse_digest(read_text(path, ImportFormatError, what="the digest", cut_ok=True), name=path.name,
                        format=format, where=str(path))


def parse_digest(text: str, *, name: str = "digest", format: str | None = None,
                 where: str | None = None) -> pd.DataFrame:
    """`read_digest` for text in memory: `name` stands for the file name in ``source``,
    `where` for the file in messages."""
    _check_format(format)
    where = where or name
    text = repair_mojibake(text)
    format = format or detect_format(text, where=where)
    try:
        parsed = FORMATS[format].parse(text)
        _check_sizes(parsed, text, where)
        cut = [(_label(record), record[CUT_OFF]) for record in parsed if record.get(CUT_OFF)]
        records = _merge_duplicates(map(_identify, (r for r in parsed if not r.get(CUT_OFF))))
        if not records:
            found = f": {describe_cut_off(cut)}" if cut else ""
            raise ImportFormatError(f"{where}: no {'complete ' if cut else ''}papers found when "
                                    f"read as a {format!r} digest{found}")
        papers = papers_frame([_complete(record, f"{format}:{name}") for record in records])
        validate_papers(papers, where=where)
    except (ValueError, SchemaError) as exc:
        raise ImportFormatError(f"{where}: cannot read it as a {format!r} digest ({exc})") from None
    papers.attrs["format"] = format
    papers.attrs["cut_off"] = cut
    return papers


def describe_cut_off(cut: list[tuple[str, str]], most: int = 3) -> str:
    """``"2 entries cut off and skipped: 'Title' (why); ..."`` for `read_digest`'s
    ``attrs["cut_off"]``, naming at most `most` of them."""
    named = "; ".join(f"{title!r} ({why})" for title, why in cut[:most])
    more = f"; and {len(cut) - most} more" if len(cut) > most else ""
    return f"{len(cut)} {'entry' if len(cut) == 1 else 'entries'} cut off and skipped: {named}{more}"


def _check_sizes(records: list[dict[str, Any]], text: str, where: str) -> None:
    """Refuse a digest with a field longer than `MAX_TEXT`, naming the entry and its line."""
    for record in records:
        try:
            check_text(record, f"the entry {_label(record)!r}")
        except SchemaError as exc:
            line = text.count("\n", 0, max(text.find(str(record.get("title") or "")), 0)) + 1
            raise ImportFormatError(f"{where}: line {line}: {exc}") from None


def _check_format(format: str | None) -> None:
    if format is not None and format not in FORMATS:
        raise ImportFormatError(f"unknown digest format {format!r}; use one of {', '.join(FORMATS)}")


def _label(record: dict[str, Any]) -> str:
    """How a cut-off entry is named: its title, clipped."""
    title = " ".join(str(record.get("title") or "(untitled)").split())
    return title if len(title) <= 100 else title[:99] + "…"


def _identify(record: dict[str, Any]) -> dict[str, Any]:
    """Drop empty fields; give a paper without an arXiv id a hash of its text (a derived
    title is left out of the hash, so the id survives a better way of deriving titles)."""
    record = {key: value for key, value in record.items() if value not in (None, "", [])}
    if "id" not in record:
        title = None if record.get("title_derived") else record.get("title")
        text = record.get("abstract") or " ".join(record.get(f, "") for f in SUMMARY_FIELDS)
        record["id"] = content_id(title, text)
    return record


def _complete(record: dict[str, Any], source: str) -> dict[str, Any]:
    """Fill what every format fills the same way: arXiv links, source, summary source."""
    if not record["id"].startswith("h:"):
        record.setdefault("abs_url", f"https://arxiv.org/abs/{record['id']}")
        record.setdefault("pdf_url", f"https://arxiv.org/pdf/{record['id']}")
    if any(field in record for field in (*SUMMARY_FIELDS, "summary")):
        record["summary_source"] = "imported"
    return {**record, "source": source}


def _merge_duplicates(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per paper: a paper listed twice in one digest (under two categories or
    subtopics) keeps its first listing, with categories and tags united and gaps filled."""
    merged: dict[Any, dict[str, Any]] = {}
    for record in records:
        first = merged.setdefault(record["id"], record)
        if first is record:
            continue
        for field, value in record.items():
            if field in ("categories", "tags"):
                first[field] = list(dict.fromkeys([*first.get(field, []), *value]))
            elif first.get(field) in (None, "", []):
                first[field] = value
    return list(merged.values())
