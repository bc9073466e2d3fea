"""Importers for existing digests: read a digest file into a papers DataFrame.

One module per format, each with a ``NAME``, ``looks_like(text)`` and ``parse(text)`` that
returns one record (dict of schema fields) per paper. `read_digest` repairs mojibake, detects
the format, gives papers without an arXiv id a content-hash id and returns the schema.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from ...errors import ImportFormatError, SchemaError
from ...schema import SUMMARY_FIELDS, content_id, papers_frame, validate_papers
from . import bilingual, bot, daily, topics
from ._mojibake import repair_mojibake

__all__ = ["FORMATS", "detect_format", "read_digest", "repair_mojibake"]

#: format name -> parser module, in the order detection tries them
FORMATS = {module.NAME: module for module in (daily, bot, bilingual, topics)}


def detect_format(text: str, *, where: str = "text") -> str:
    """The name of the digest format `text` is in; `ImportFormatError` if none fits."""
    for name, module in FORMATS.items():
        if module.looks_like(text):
            return name
    raise ImportFormatError(f"{where}: not a digest litscope can import (tried the formats "
                            f"{', '.join(FORMATS)}); pass --format to force one")


def read_digest(path: str | Path, format: str | None = None) -> pd.DataFrame:
    """The papers of one digest file as a schema-conforming frame (``attrs["format"]`` says
    which format it was read as; ``source`` is ``"<format>:<file name>"``)."""
    path = Path(path)
    if format is not None and format not in FORMATS:
        raise ImportFormatError(f"unknown digest format {format!r}; use one of {', '.join(FORMATS)}")
    try:
        text = repair_mojibake(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ImportFormatError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8 "
                                f"and import it again") from None
    except OSError as exc:
        raise ImportFormatError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    name = format or detect_format(text, where=str(path))
    try:
        records = _merge_duplicates(map(_identify, FORMATS[name].parse(text)))
        if not records:
            raise ImportFormatError(f"{path}: no papers found when read as a {name!r} digest")
        papers = papers_frame([_complete(record, f"{name}:{path.name}") for record in records])
        validate_papers(papers, where=str(path))
    except (ValueError, SchemaError) as exc:
        raise ImportFormatError(f"{path}: cannot read it as a {name!r} digest ({exc})") from None
    papers.attrs["format"] = name
    return papers


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
