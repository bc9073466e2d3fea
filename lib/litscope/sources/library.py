"""The person's own library: read what they collected from a reference manager.

`read_library(path)` reads one export into library items (a DataFrame with ``item_key``,
``arxiv_id``, ``doi``, ``title``, ``abstract``, ``authors``, ``year``, ``added``):

- BibTeX from Zotero, Better BibTeX or JabRef (bibtexparser; ``{Eve and Frank}`` stays one
  author; LaTeX accents decoded);
- RIS (rispy);
- CSL-JSON (Zotero's "CSL JSON" export, pandoc, citeproc);
- a list of arXiv ids, arXiv URLs or DOIs, one a line (``#`` starts a comment);
- Zotero's own database, ``zotero.sqlite``: read from a copy, since Zotero keeps it
  locked while it runs; attachments, notes and items in the trash are left out.

An item's arXiv id comes from wherever the export put it: ``eprint``, an arXiv DOI
(10.48550/arXiv.…), an arxiv.org URL, or "arXiv:…" in a note, journal or Zotero's Extra.
`import_library` matches the items to the store's papers (by arXiv id, then DOI, then
title), has the missing arXiv papers fetched, and makes the store's collection hold
exactly this export: re-importing an updated export adds and removes what changed.

An entry that cannot be read (broken syntax, a field over `MAX_TEXT` characters, braces
nested too deep) is skipped with a warning naming it and its line; the rest imports. An
export cut off inside its last entry (an interrupted download or copy) brings its whole
entries and removes nothing from the library: the cut entry is named.
"""
from __future__ import annotations

import json
import logging
import math
import re
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

import pandas as pd

from ..config import read_head, read_text
from ..errors import ImportFormatError, LitscopeError, SchemaError
from ..schema import check_text, content_id, missing, normalize_text, split_arxiv_id
from .importers import Importer, detect, names, pick
from .latex import NestingError, latex_to_text

log = logging.getLogger(__name__)

ITEM_COLUMNS = ("item_key", "arxiv_id", "doi", "title", "abstract", "authors", "year", "added")

_ARXIV_TEXT = re.compile(r"arxiv[:\s]*(?:abs/)?(\d{4}\.\d{4,5}(?:v\d+)?|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})",
                         re.IGNORECASE)
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$", re.IGNORECASE)
_DOI = re.compile(r"\b(10\.\d{4,9}/\S+[^\s.,;])")
_YEAR = re.compile(r"\b(1[89]\d\d|2\d\d\d)\b")
_SKIPPED_ZOTERO_TYPES = ("attachment", "note", "annotation")


# -- finding identifiers ---------------------------------------------------------------------
def _arxiv_id(*texts: Any) -> str | None:
    """The first arXiv id (without version) in ids, DOIs, URLs or notes."""
    for text in texts:
        if not text or not isinstance(text, str):
            continue
        text = text.strip()
        doi = _ARXIV_DOI.match(text)
        candidates = [doi.group(1)] if doi else [text, *(m.group(1) for m in _ARXIV_TEXT.finditer(text))]
        for candidate in candidates:
            try:
                return split_arxiv_id(candidate)[0]
            except SchemaError:
                continue
    return None


def _doi(*texts: Any) -> str | None:
    for text in texts:
        if isinstance(text, str) and (match := _DOI.search(text)):
            return match.group(1).lower()
    return None


def _year(*texts: Any) -> int | None:
    """The first year (1800 to 2999) in numbers or texts."""
    for text in texts:
        if isinstance(text, int) and not isinstance(text, bool) and 1800 <= text <= 2999:
            return text
        if isinstance(text, str) and (match := _YEAR.search(text)):
            return int(match.group(1))
    return None


def _item(key: str | None, *, title: str | None, abstract: str | None = None,
          authors: Iterable[str] = (), year: int | None = None, doi: str | None = None,
          arxiv_id: str | None = None, added: str | None = None) -> dict[str, Any]:
    """One library item; its key is the export's (citation key, Zotero key ...), else the
    arXiv id, the DOI or a hash of the title."""
    title = " ".join((title or "").split())
    if doi and _ARXIV_DOI.match(doi):
        arxiv_id = arxiv_id or _arxiv_id(doi)
    key = key or (f"arXiv:{arxiv_id}" if arxiv_id else f"doi:{doi}" if doi else content_id(title, None))
    return {"item_key": str(key), "arxiv_id": arxiv_id, "doi": doi.lower() if doi else None,
            "title": title or (f"arXiv:{arxiv_id}" if arxiv_id else doi or ""),
            "abstract": " ".join(abstract.split()) if abstract else None,
            "authors": [a for a in (" ".join(str(a).split()) for a in authors) if a],
            "year": year, "added": added}


@dataclass
class _Reading:
    """What reading an export found: its items, a line per entry skipped or read in part,
    and the entry the file is cut off in (then nothing may be removed on import)."""
    items: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    cut: str | None = None

    def add(self, where: str, read: Callable[[], dict[str, Any]]) -> None:
        """Add the item `read` gives; an entry it cannot read is a problem named by `where`."""
        try:
            self.items.append(read())
        except (SchemaError, NestingError) as exc:
            self.problems.append(f"{where}: {exc}; skipped")

    def cut_in(self, where: str) -> None:
        self.cut = where
        self.problems.append(f"{where}: the file ends inside it (cut off); skipped, and nothing is "
                             f"removed from the library")


def _frame(reading: _Reading, path: Path) -> pd.DataFrame:
    frame = pd.DataFrame(reading.items, columns=list(ITEM_COLUMNS))
    if frame.empty:
        why = f" ({reading.problems[0]})" if reading.problems else ""
        raise ImportFormatError(f"{path}: no library items found{why}")
    frame = frame.drop_duplicates("item_key", keep="last").reset_index(drop=True)
    frame["year"] = frame["year"].astype("Int64")
    frame.attrs.update(problems=reading.problems, cut=reading.cut)
    return frame


# -- BibTeX ----------------------------------------------------------------------------------
#: Fields read as text, LaTeX decoded; the others (eprint, DOI, URL, dates) as written.
_LATEX_FIELDS = ("title", "abstract", "journal", "note", "howpublished", "booktitle")
_ESCAPED = re.compile(r"\\([_%&#$])|[{}]")
_ENTRY_KEY = re.compile(r"@\s*\w+\s*[{(]\s*([^,\s]*)")


def _bibtex(text: str, path: Path) -> _Reading:
    import bibtexparser

    logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)
    library = bibtexparser.parse_string(text)   # names are split per entry, below
    reading = _Reading()
    end = text.rstrip()
    for block in library.failed_blocks:
        key = _ENTRY_KEY.match(block.raw or "")
        where = f"line {block.start_line + 1}: entry {key.group(1)!r}" if key else f"line {block.start_line + 1}"
        if type(block).__name__ == "DuplicateBlockKeyBlock":
            reading.problems.append(f"{where}: the same key as an entry above; skipped")
        elif block.raw and end.endswith(block.raw.rstrip()) and block.raw.count("{") > block.raw.count("}"):
            reading.cut_in(where)
        else:
            reading.problems.append(f"{where}: not valid BibTeX; skipped")
    for entry in library.entries:
        where = f"line {entry.start_line + 1}: entry {entry.key!r}"
        reading.add(where, lambda: _bibtex_item(entry, where, reading.problems))
    return reading


def _bibtex_item(entry, where: str, problems: list[str]) -> dict[str, Any]:
    """One entry as an item; field names in any case (``Author``, ``AUTHOR``)."""
    fields = {}
    for f in entry.fields:   # the first of two fields that differ only in case wins
        fields.setdefault(f.key.lower(), f.value if isinstance(f.value, str) else str(f.value))
    check_text(fields)
    plain = {k: latex_to_text(v) if k in _LATEX_FIELDS else _ESCAPED.sub(r"\1", v) for k, v in fields.items()}
    authors = _bibtex_names(fields.get("author") or fields.get("editor") or "", where, problems)
    eprint = plain.get("eprint") if (plain.get("archiveprefix") or plain.get("eprinttype")
                                     or "arxiv").lower() == "arxiv" else None
    return _item(
        entry.key, title=plain.get("title"), abstract=plain.get("abstract"), authors=authors,
        year=_year(plain.get("year"), plain.get("date")), doi=_doi(plain.get("doi")),
        arxiv_id=_arxiv_id(eprint, plain.get("arxivid"), plain.get("doi"), plain.get("url"),
                           plain.get("journal"), plain.get("note"), plain.get("howpublished")),
        added=plain.get("timestamp") or plain.get("added-at") or plain.get("urldate"))


def _bibtex_names(text: str, where: str, problems: list[str]) -> list[str]:
    """BibTeX's names as "First von Last Jr"; split before LaTeX is decoded, so that
    "{Eve and Frank}" stays one name. A name BibTeX cannot split (too many commas) is kept
    as written, with a warning."""
    from bibtexparser.middlewares.names import (InvalidNameError, parse_single_name_into_parts,
                                                split_multiple_persons_names)
    names = []
    for name in split_multiple_persons_names(text):
        try:
            parts = parse_single_name_into_parts(name)
            name = " ".join([*parts.first, *parts.von, *parts.last, *parts.jr])
        except InvalidNameError as exc:
            problems.append(f"{where}: the name '{' '.join(name.split())}' cannot be split into first and "
                            f"last names ({str(exc).split(': ')[-1]}); kept as written")
        names.append(latex_to_text(name))
    return names


def _first_last(name: str) -> str:
    """RIS's "Last, First" as "First Last"."""
    last, comma, first = name.partition(",")
    return f"{first.strip()} {last.strip()}".strip() if comma else name


# -- RIS -------------------------------------------------------------------------------------
_RIS_TAG = re.compile(r"^([A-Z][A-Z0-9])  -(?: |$)(.*)", re.M)


def _ris(text: str, path: Path) -> _Reading:
    import rispy

    reading = _Reading()
    tags = [(m.group(1), m.group(2).strip(), text.count("\n", 0, m.start()) + 1) for m in _RIS_TAG.finditer(text)]
    starts = [line for tag, _, line in tags if tag == "TY"]
    if starts and not any(tag == "ER" and line > starts[-1] for tag, _, line in tags):
        title = next((value for tag, value, line in tags if tag in ("TI", "T1") and line > starts[-1]), None)
        reading.cut_in(f"line {starts[-1]}: the entry {title!r}" if title else f"line {starts[-1]}")
    try:
        entries = rispy.loads(text, skip_unknown_tags=True)
    except (IOError, ValueError) as exc:
        raise ImportFormatError(f"{path}: not valid RIS ({exc})") from None
    for number, entry in zip(starts, entries):
        title = entry.get("title") or entry.get("primary_title")
        reading.add(f"line {number}: the entry {title!r}", lambda: _ris_item(entry))
    return reading


def _ris_item(e: dict[str, Any]) -> dict[str, Any]:
    check_text(e)
    urls = e.get("urls") or []
    notes = [*(e.get("notes") or []), e.get("note") or ""]
    return _item(
        e.get("id"), title=e.get("title") or e.get("primary_title"), abstract=e.get("abstract"),
        authors=[_first_last(a) for a in e.get("authors") or e.get("first_authors") or []],
        year=_year(e.get("year"), e.get("publication_year"), e.get("date")),
        doi=_doi(e.get("doi")),
        arxiv_id=_arxiv_id(e.get("doi"), *urls, e.get("issn"), e.get("journal_name"),
                           e.get("number"), *notes),
        added=e.get("access_date"))


# -- CSL-JSON --------------------------------------------------------------------------------
def _csl_name(person: dict[str, Any]) -> str:
    if isinstance(person.get("literal"), str):
        return person["literal"]
    return " ".join(str(person[k]) for k in ("given", "non-dropping-particle", "family", "suffix")
                    if isinstance(person.get(k), (str, int)) and person.get(k) != "")


_CSL_TEXT = ("id", "title", "abstract", "DOI", "URL", "number", "archive_location", "container-title", "note")
_CSL_ID = re.compile(r'"id"\s*:\s*"?([^",}\s]*)')


def _csl(text: str, path: Path) -> _Reading:
    reading = _Reading()
    try:
        data = json.loads(text)
    except RecursionError:
        raise ImportFormatError(f"{path}: JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        data = _csl_whole_items(text, reading)
        if data is None:
            raise ImportFormatError(f"{path}: line {exc.lineno}: invalid JSON ({exc.msg})") from None
    if isinstance(data, dict):
        data = data.get("items", [data])
    if not isinstance(data, list):
        raise ImportFormatError(f"{path}: expected a CSL-JSON list of items")
    for number, d in enumerate(data, 1):
        key = d.get("id") if isinstance(d, dict) else None
        where = f"item {number}" + (f" ({key!r})" if isinstance(key, (str, int)) and key != "" else "")
        reading.add(where, lambda: _csl_item(d, where, reading.problems))
    return reading


def _csl_whole_items(text: str, reading: _Reading) -> list[Any] | None:
    """The whole items of a CSL-JSON list cut off inside an item (the cut one named in
    `reading`); None when the text is not such a list."""
    decoder, items = json.JSONDecoder(), []
    position = len(text) - len(text.lstrip())
    if not text.startswith("[", position):
        return None
    position += 1
    while True:
        position += len(text[position:position + 64]) - len(text[position:position + 64].lstrip())
        if text.startswith((",", "]"), position):
            position += 1
            continue
        try:
            item, position = decoder.raw_decode(text, position)
        except (json.JSONDecodeError, RecursionError):
            rest = text[position:]
            if rest.count("{") + rest.count("[") <= rest.count("}") + rest.count("]"):
                return None   # broken inside, not cut off at the end
            key = _CSL_ID.search(text, position)
            reading.cut_in(f"item {len(items) + 1}" + (f" ({key.group(1)!r})" if key else ""))
            return items
        items.append(item)


def _csl_text(value: Any, field: str) -> str | None:
    """A CSL field as text: a string, or a number written as one; `SchemaError` otherwise."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return str(value)
    raise SchemaError(f"its {field} is {json.dumps(value)[:40]}, not text")


def _csl_year(issued: Any, where: str, problems: list[str]) -> int | None:
    """The year of a CSL date: ``{"date-parts": [[2024, 5]]}`` (or ``[2024]``, ``["2024"]``),
    its ``raw`` or ``literal`` text, or an EDTF string such as ``"2024-05"``."""
    if issued is None:
        return None
    parts = issued.get("date-parts") if isinstance(issued, dict) else None
    first = parts[0] if isinstance(parts, list) and parts else parts
    first = first[0] if isinstance(first, list) and first else first
    texts = [issued.get("raw"), issued.get("literal")] if isinstance(issued, dict) else [issued]
    year = _year(first if isinstance(first, (int, str)) else None,
                 *(t if isinstance(t, (int, str)) else None for t in texts))
    if year is None:
        problems.append(f"{where}: the date {json.dumps(issued)[:60]} holds no year from 1800 to 2999; "
                        f"read without a year")
    return year


def _csl_item(d: Any, where: str, problems: list[str]) -> dict[str, Any]:
    """One CSL item, its types checked: a title that is a list, an abstract that is an
    object, are `SchemaError`s naming the field."""
    if not isinstance(d, dict):
        raise SchemaError(f"{json.dumps(d)[:40]} is not a CSL item (an object)")
    check_text(d)
    text = {name: _csl_text(d.get(name), name) for name in _CSL_TEXT}
    people = d.get("author") if isinstance(d.get("author"), list) else []
    return _item(
        text["id"], title=text["title"], abstract=text["abstract"],
        authors=[_csl_name(p) if isinstance(p, dict) else p for p in people if isinstance(p, (dict, str))],
        year=_csl_year(d.get("issued"), where, problems), doi=_doi(text["DOI"]),
        arxiv_id=_arxiv_id(text["DOI"], text["URL"], text["number"], text["archive_location"],
                           text["container-title"], text["note"]),
        added=None)


# -- a list of identifiers -------------------------------------------------------------------
def _ids(text: str, path: Path) -> _Reading:
    reading = _Reading()
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        arxiv_id, doi = _arxiv_id(line), _doi(line)
        if not arxiv_id and not doi:
            if number == len(lines) and not text.endswith("\n"):   # the last line, cut short
                reading.cut_in(f"line {number} ({line!r})")
                continue
            raise ImportFormatError(f"{path}: line {number}: {line!r} is neither an arXiv id nor a DOI")
        reading.items.append(_item(None, title=None, arxiv_id=arxiv_id, doi=None if arxiv_id else doi))
    return reading


# -- Zotero's database -----------------------------------------------------------------------
_ZOTERO_ITEMS = """
SELECT items.itemID, items.key, items.dateAdded
FROM items JOIN itemTypes USING (itemTypeID)
WHERE itemTypes.typeName NOT IN ({skipped})
  AND items.itemID NOT IN (SELECT itemID FROM {deleted})
  {collection}
ORDER BY items.itemID
"""
_ZOTERO_FIELDS = """
SELECT itemData.itemID, fields.fieldName, itemDataValues.value
FROM itemData JOIN fields USING (fieldID) JOIN itemDataValues USING (valueID)
"""
_ZOTERO_CREATORS = """
SELECT itemCreators.itemID, creators.firstName, creators.lastName
FROM itemCreators JOIN creators USING (creatorID)
ORDER BY itemCreators.itemID, itemCreators.orderIndex
"""


def _zotero(path: Path, collection: str | None = None) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="litscope-zotero-") as scratch:
        copy = Path(scratch) / "zotero.sqlite"
        shutil.copyfile(path, copy)
        for suffix in ("-wal", "-journal"):   # changes Zotero has not checkpointed yet
            if path.with_name(path.name + suffix).is_file():
                shutil.copyfile(path.with_name(path.name + suffix), copy.with_name(copy.name + suffix))
        try:
            con = sqlite3.connect(copy)
            try:
                return _zotero_items(con, collection, path)
            finally:
                con.close()
        except sqlite3.DatabaseError as exc:
            raise ImportFormatError(f"{path}: not a Zotero database ({exc})") from None


def _zotero_items(con: sqlite3.Connection, collection: str | None, path: Path) -> list[dict[str, Any]]:
    tables = {name for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    absent = {"items", "itemTypes", "itemData", "itemDataValues", "fields", "creators",
              "itemCreators"} - tables
    if absent:
        raise ImportFormatError(f"{path}: not a Zotero database (no table {sorted(absent)[0]})")
    where, params = "", []
    if collection is not None:
        where = ("AND items.itemID IN (SELECT itemID FROM collectionItems JOIN collections "
                 "USING (collectionID) WHERE collectionName = ?)")
        params = [collection]
        if not con.execute("SELECT 1 FROM collections WHERE collectionName = ?", params).fetchone():
            names = [n for (n,) in con.execute("SELECT collectionName FROM collections ORDER BY 1")]
            raise ImportFormatError(f"{path}: no Zotero collection {collection!r} (collections: "
                                    f"{', '.join(names) or 'none'})")
    deleted = "deletedItems" if "deletedItems" in tables else "(SELECT NULL AS itemID)"
    rows = con.execute(_ZOTERO_ITEMS.format(skipped=", ".join("?" * len(_SKIPPED_ZOTERO_TYPES)),
                                            deleted=deleted, collection=where),
                       [*_SKIPPED_ZOTERO_TYPES, *params]).fetchall()
    fields: dict[int, dict[str, str]] = {}
    for item, name, value in con.execute(_ZOTERO_FIELDS):
        fields.setdefault(item, {})[name] = str(value)
    creators: dict[int, list[str]] = {}
    for item, first, last in con.execute(_ZOTERO_CREATORS):
        creators.setdefault(item, []).append(" ".join(p for p in (first, last) if p))
    items = []
    for item, key, added in rows:
        f = fields.get(item, {})
        items.append(_item(
            key, title=f.get("title"), abstract=f.get("abstractNote"), authors=creators.get(item, []),
            year=_year(f.get("date")), doi=_doi(f.get("DOI")),
            arxiv_id=_arxiv_id(f.get("archiveID"), f.get("DOI"), f.get("url"), f.get("extra"),
                               f.get("publicationTitle"), f.get("number")),
            added=added))
    return items


# -- reading ---------------------------------------------------------------------------------
#: The first bytes of an SQLite database, as the head of Zotero's ``zotero.sqlite``.
_DATABASE = "SQLite format 3\x00"


def _start(head: str) -> str:
    return head.lstrip()[:2000]


def _looks_bibtex(head: str) -> bool:
    return _start(head).startswith("@") or bool(re.search(r"^\s*@\w+\s*\{", _start(head), re.M))


def _looks_ris(head: str) -> bool:
    return bool(re.match(r"TY  - ", _start(head)))


def _looks_csl(head: str) -> bool:
    return _start(head).startswith(("[", "{"))


def _looks_ids(head: str) -> bool:
    """Any other text: a list of ids, one a line."""
    return not head.startswith(_DATABASE)


def _looks_zotero(head: str) -> bool:
    return head.startswith(_DATABASE)


#: The library export formats, in the order detection tries them (after file name endings).
IMPORTERS = (
    Importer("bibtex", "library", _looks_bibtex, _bibtex, (".bib", ".bibtex")),
    Importer("ris", "library", _looks_ris, _ris, (".ris",)),
    Importer("csl-json", "library", _looks_csl, _csl, (".json",)),
    Importer("ids", "library", _looks_ids, _ids, (".txt", ".list")),
    Importer("zotero", "library", _looks_zotero, _zotero, (".sqlite", ".db")),
)
FORMATS = names(IMPORTERS)


def detect_library_format(path: Path, text: str | None) -> str:
    """The format of a library export (`text` None for a database), from its extension,
    else its content."""
    if text is None:
        return detect(IMPORTERS, _DATABASE).name
    return detect(IMPORTERS, text, path.suffix).name


def read_library(path: str | Path, format: str | None = None, *,
                 collection: str | None = None) -> pd.DataFrame:
    """The items of one library export (see the module docstring); `collection` picks one
    Zotero collection from a ``zotero.sqlite``. ``attrs["problems"]`` lists the entries
    skipped or read in part (each also logged as a warning), ``attrs["cut"]`` names the
    entry a cut-off export ends in."""
    path = Path(path)
    if format is not None:
        pick(IMPORTERS, format)
    if not path.is_file():
        raise ImportFormatError(f"{path}: no such file")
    with path.open("rb") as stream:
        database = stream.read(16) == b"SQLite format 3\x00"
    head = None if database else read_head(path, ImportFormatError, what="the library export")
    importer = pick(IMPORTERS, format or detect_library_format(path, head))
    format = importer.name
    if format == "zotero":
        reading = _Reading(importer.parse(path, collection))
    elif collection is not None:
        raise ImportFormatError(f"{path}: --collection applies to a zotero.sqlite only")
    elif database:
        raise ImportFormatError(f"{path}: a database file, not a {format} export")
    else:
        reading = importer.parse(read_text(path, ImportFormatError, what="the library export", cut_ok=True),
                                 path)
    for problem in reading.problems:
        log.warning("%s: %s", path, problem)
    items = _frame(reading, path)
    items.attrs["format"] = format
    return items


# -- importing into the store ----------------------------------------------------------------
@dataclass
class LibraryImport:
    """What `import_library` did: item counts by change, how items matched the store."""

    collection: str
    format: str
    counts: dict[str, int]
    matched: dict[str, int] = field(default_factory=dict)
    fetched: int = 0
    not_fetched: list[str] = field(default_factory=list)
    fetch_error: str | None = None
    kept: Path | None = None   # where the review project keeps the library
    problems: list[str] = field(default_factory=list)   # entries skipped or read in part
    cut: str | None = None    # the entry a cut-off export ends in: then nothing was removed

    def summary(self) -> str:
        c, m = self.counts, self.matched
        total = c["added"] + c["updated"] + c["unchanged"]
        removed = (f"nothing removed ({c.get('kept', 0)} items not in this cut-off export kept)" if self.cut
                   else f"{c['removed']} removed")
        skipped = sum(p.endswith(("skipped", "removed from the library")) for p in self.problems)
        lines = [f"library {self.collection!r} ({self.format}): {total} items; {c['added']} added, "
                 f"{c['updated']} updated, {removed}, {c['unchanged']} unchanged"
                 f"{f'; {skipped} entries skipped (see the warnings)' if skipped else ''}.",
                 f"  in the store: {m.get('arxiv', 0)} by arXiv id ({self.fetched} fetched now), "
                 f"{m.get('doi', 0)} by DOI, {m.get('title', 0)} by title; "
                 f"{m.get('none', 0)} only in the library (their title and abstract count)."]
        if self.not_fetched:
            why = f" ({self.fetch_error})" if self.fetch_error else ""
            lines.append(f"  {len(self.not_fetched)} arXiv id(s) not in the store{why}: "
                         f"{', '.join(self.not_fetched[:5])}{' ...' if len(self.not_fetched) > 5 else ''}"
                         " -- their own title and abstract count")
        if self.kept is not None:
            lines.append(f"  kept in the review project as {self.kept.parent.name}/{self.kept.name} "
                         f"(commit it: a clone of the review gets the library back)")
        return "\n".join(lines)


Fetcher = Callable[[list[str]], pd.DataFrame]


def match_items(items: pd.DataFrame, papers: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Each item's store paper id (or None) and how it matched: arxiv, doi, title or none."""
    by_id = set(papers["id"].astype(str))
    by_doi = {str(d).lower(): i for d, i in zip(papers["doi"], papers["id"]) if pd.notna(d) and d}
    by_title = {normalize_text(t): i for t, i, derived in
                zip(papers["title"], papers["id"], papers["title_derived"]) if not derived and t}
    matched, how = [], []
    for arxiv_id, doi, title in zip(items["arxiv_id"], items["doi"], items["title"]):
        for kind, found in (("arxiv", arxiv_id if arxiv_id in by_id else None),
                            ("doi", by_doi.get(doi) if doi else None),
                            ("title", by_title.get(normalize_text(title)) if title else None)):
            if found:
                matched.append(found)
                how.append(kind)
                break
        else:
            matched.append(None)
            how.append("none")
    return pd.Series(matched, index=items.index, dtype=object), pd.Series(how, index=items.index)


def import_library(store: Any, path: str | Path, *, name: str | None = None,
                   format: str | None = None, zotero_collection: str | None = None,
                   fetch: Fetcher | None = None) -> LibraryImport:
    """Import a library export into the store's collection `name` (default: the file's
    stem): items matched to the store's papers, arXiv papers the store lacks fetched with
    `fetch` (ids -> papers; e.g. `litscope.sources.arxiv_api.fetch_ids`), and the collection
    made to hold exactly these items (but for an export cut off inside an entry, which adds
    and updates and removes nothing). The file is read completely before the store changes.
    When the store belongs to a review project, the items are also kept in the project
    (``library/<name>.jsonl``, see `save_library`), so that a clone of the review has them."""
    path = Path(path)
    items = read_library(path, format, collection=zotero_collection)
    result = add_library(store, items, name or path.stem, fetch=fetch)
    result.format = items.attrs.get("format", format or "")
    result.kept = save_library(store, result.collection)
    return result


def add_library(store: Any, items: pd.DataFrame, collection: str, *,
                fetch: Fetcher | None = None) -> LibraryImport:
    """Make the store's `collection` hold exactly `items` (as `read_library` gives them),
    matched to the store's papers, the arXiv papers it lacks fetched with `fetch`."""
    papers = store.papers()
    lacking = sorted({i for i in items["arxiv_id"].dropna() if i not in set(papers["id"])})
    fetched, not_fetched, fetch_error = 0, lacking, None
    if lacking and fetch is not None:
        try:
            found = fetch(lacking)
        except LitscopeError as exc:      # offline: import what the export holds
            fetch_error = str(exc)
        else:
            if len(found):
                store.add_papers(found)
                papers = store.papers()
            fetched = len(found)
            not_fetched = sorted(set(lacking) - set(found["id"]))
    matched, how = match_items(items, papers)
    items = items.assign(paper_id=matched)
    # an item without a date of its own keeps the day it was first imported
    before = store.library(collection).set_index("item_key")["added"]
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    items["added"] = [a if isinstance(a, str) else b if isinstance(b, str) else now
                      for a, b in zip(items["added"], items["item_key"].map(before))]
    counts = store.replace_library(collection, items, remove=items.attrs.get("cut") is None)
    return LibraryImport(collection=collection, format="", counts=counts,
                         matched=how.value_counts().to_dict(), fetched=fetched,
                         not_fetched=not_fetched, fetch_error=fetch_error,
                         problems=items.attrs.get("problems", []), cut=items.attrs.get("cut"))


# -- the library in the review project -------------------------------------------------------
#: The project folder that keeps the imported libraries, one JSON Lines file each.
LIBRARY_FOLDER = "library"


def _library_file(root: Path, collection: str) -> Path:
    from ..decisions import reviewer_slug     # the same safe file names
    return root / LIBRARY_FOLDER / f"{reviewer_slug(collection)}.jsonl"


def save_library(store: Any, collection: str) -> Path | None:
    """Keep the store's `collection` in its review project as ``library/<name>.jsonl`` (one
    item a line, sorted by key: diff-friendly); None for a store outside a project."""
    root = getattr(store.decisions, "root", None)
    if root is None:
        return None
    items = store.library(collection)
    lines = [json.dumps({"collection": collection, **{c: _plain(item[c]) for c in ITEM_COLUMNS}},
                        ensure_ascii=False) for item in items.to_dict("records")]
    path = _library_file(root, collection)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in sorted(lines)), encoding="utf-8")
    return path


def drop_library(store: Any, collection: str) -> int:
    """Remove a library from the store and from its review project; how many items went."""
    removed = store.remove_library(collection)
    root = getattr(store.decisions, "root", None)
    if root is not None:
        _library_file(root, collection).unlink(missing_ok=True)
    return removed


def restore_libraries(store: Any, *, fetch: Fetcher | None = None) -> list[LibraryImport]:
    """Import again every library the store's review project keeps (``library/*.jsonl``):
    a fresh clone's store gets the libraries the review was made with."""
    root = getattr(store.decisions, "root", None)
    folder = None if root is None else root / LIBRARY_FOLDER
    if folder is None or not folder.is_dir():
        return []
    results = []
    for path in sorted(folder.glob("*.jsonl")):
        try:
            rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ImportFormatError(f"{path}: not a library kept by litscope ({exc})") from None
        for collection, group in pd.DataFrame(rows).groupby("collection", sort=True):
            items = group.reindex(columns=list(ITEM_COLUMNS)).astype(object).where(group.notna(), None)
            items["authors"] = [a if isinstance(a, list) else [] for a in items["authors"]]
            items["year"] = items["year"].astype("Int64")
            result = add_library(store, items.reset_index(drop=True), str(collection), fetch=fetch)
            result.format, result.kept = "kept", path
            results.append(result)
    return results


def _plain(value: Any) -> Any:
    """A library value as JSON holds it (None for missing, ints for years)."""
    if isinstance(value, list):
        return value
    if not isinstance(value, str) and missing(value):
        return None
    return int(value) if pd.api.types.is_integer(value) else value


# -- the library as labels and as papers -----------------------------------------------------
def library_papers(store: Any, collection: str | None = None) -> pd.DataFrame:
    """The library items as papers of the schema, in item order, with ``collection``,
    ``item_key`` and ``added`` columns after the schema's: a matched item is its store
    paper; an item only in the library gets the id ``lib:<collection>/<key>``."""
    from ..schema import papers_frame
    items = store.library(collection)
    papers = store.papers(items["paper_id"].dropna().unique())
    known = papers.set_index("id", drop=False)
    rows = []
    for item in items.itertuples():
        if pd.notna(item.paper_id) and item.paper_id in known.index:
            rows.append(known.loc[item.paper_id].to_dict())
            continue
        rows.append({"id": f"lib:{item.collection}/{item.item_key}", "title": item.title,
                     "abstract": item.abstract, "authors": item.authors, "doi": item.doi,
                     "published": None if missing(item.year) else f"{int(item.year)}-01-01",
                     "source": f"library:{item.collection}"})
    frame = papers_frame(rows) if rows else papers_frame([])
    return frame.assign(collection=items["collection"].to_numpy(),
                        item_key=items["item_key"].to_numpy(), added=items["added"].to_numpy())


def library_only_papers(store: Any) -> pd.DataFrame:
    """The library items the store lacks, as `library_papers` gives them (ids ``lib:...``):
    learning counts them as includes through their own title and abstract."""
    library = library_papers(store)
    return library[library["id"].str.startswith("lib:")]


def training_labels(store: Any) -> pd.DataFrame:
    """The labels learning uses: the person's own (source ``label``) and every library
    item in the store as an include (source ``library:<collection>``); a label the person
    gave wins over the library."""
    own = store.labels()[["id", "label"]].assign(source="label")
    items = store.library()
    items = items[items["paper_id"].notna() & ~items["paper_id"].isin(own["id"])]
    library = pd.DataFrame({"id": items["paper_id"], "label": "include",
                            "source": "library:" + items["collection"]}).drop_duplicates("id")
    return pd.concat([own, library], ignore_index=True)
