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
"""
from __future__ import annotations

import json
import logging
import re
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

import pandas as pd

from ..errors import ImportFormatError, LitscopeError, SchemaError
from ..schema import content_id, normalize_text, split_arxiv_id

FORMATS = ("bibtex", "ris", "csl-json", "ids", "zotero")
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
    for text in texts:
        if isinstance(text, int):
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


def _frame(items: list[dict[str, Any]], path: Path) -> pd.DataFrame:
    frame = pd.DataFrame(items, columns=list(ITEM_COLUMNS))
    if frame.empty:
        raise ImportFormatError(f"{path}: no library items found")
    frame = frame.drop_duplicates("item_key", keep="last").reset_index(drop=True)
    frame["year"] = frame["year"].astype("Int64")
    return frame


# -- BibTeX ----------------------------------------------------------------------------------
def _latex(text: str) -> str:
    from pylatexenc.latex2text import LatexNodes2Text
    return LatexNodes2Text(math_mode="verbatim").latex_to_text(text)


def _bibtex(text: str, path: Path) -> list[dict[str, Any]]:
    import bibtexparser
    from bibtexparser import middlewares

    logging.getLogger("bibtexparser").setLevel(logging.ERROR)
    # Split the authors before decoding LaTeX, so that "{Eve and Frank}" stays one name.
    library = bibtexparser.parse_string(text, append_middleware=[
        middlewares.SeparateCoAuthors(), middlewares.SplitNameParts()])
    if library.failed_blocks:
        block = library.failed_blocks[0]
        why = " ".join(str(getattr(block, "error", "")).split()) or type(block).__name__
        raise ImportFormatError(f"{path}: line {block.start_line + 1}: not valid BibTeX ({why})")
    items = []
    for entry in library.entries:
        fields = {f.key.lower(): f.value for f in entry.fields}
        plain = {k: _latex(v) if isinstance(v, str) else v for k, v in fields.items()}
        names = fields.get("author") or fields.get("editor") or []
        authors = [_latex(" ".join([*n.first, *n.von, *n.last, *n.jr])) for n in names]
        eprint = plain.get("eprint") if (plain.get("archiveprefix") or plain.get("eprinttype")
                                         or "arxiv").lower() == "arxiv" else None
        items.append(_item(
            entry.key, title=plain.get("title"), abstract=plain.get("abstract"), authors=authors,
            year=_year(plain.get("year"), plain.get("date")), doi=_doi(plain.get("doi")),
            arxiv_id=_arxiv_id(eprint, plain.get("doi"), plain.get("url"), plain.get("journal"),
                               plain.get("note"), plain.get("howpublished")),
            added=plain.get("timestamp") or plain.get("added-at") or plain.get("urldate")))
    return items


def _first_last(name: str) -> str:
    """RIS's "Last, First" as "First Last"."""
    last, comma, first = name.partition(",")
    return f"{first.strip()} {last.strip()}".strip() if comma else name


# -- RIS -------------------------------------------------------------------------------------
def _ris(text: str, path: Path) -> list[dict[str, Any]]:
    import rispy
    try:
        entries = rispy.loads(text, skip_unknown_tags=True)
    except (IOError, ValueError) as exc:
        raise ImportFormatError(f"{path}: not valid RIS ({exc})") from None
    items = []
    for e in entries:
        urls = e.get("urls") or []
        notes = [*(e.get("notes") or []), e.get("note") or ""]
        items.append(_item(
            e.get("id"), title=e.get("title") or e.get("primary_title"), abstract=e.get("abstract"),
            authors=[_first_last(a) for a in e.get("authors") or e.get("first_authors") or []],
            year=_year(e.get("year"), e.get("publication_year"), e.get("date")),
            doi=_doi(e.get("doi")),
            arxiv_id=_arxiv_id(e.get("doi"), *urls, e.get("issn"), e.get("journal_name"),
                               e.get("number"), *notes),
            added=e.get("access_date")))
    return items


# -- CSL-JSON --------------------------------------------------------------------------------
def _csl_name(person: dict[str, Any]) -> str:
    if "literal" in person:
        return str(person["literal"])
    return " ".join(str(person[k]) for k in ("given", "non-dropping-particle", "family", "suffix")
                    if person.get(k))


def _csl(text: str, path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFormatError(f"{path}: line {exc.lineno}: invalid JSON ({exc.msg})") from None
    if isinstance(data, dict):
        data = data.get("items", [data])
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise ImportFormatError(f"{path}: expected a CSL-JSON list of items")
    items = []
    for d in data:
        issued = (d.get("issued") or {}).get("date-parts") or [[None]]
        year = issued[0][0] if issued and issued[0] else None
        items.append(_item(
            d.get("id"), title=d.get("title"), abstract=d.get("abstract"),
            authors=[_csl_name(p) for p in d.get("author") or [] if isinstance(p, dict)],
            year=_year(year if isinstance(year, int) else str(year or ""),
                       (d.get("issued") or {}).get("raw")),
            doi=_doi(d.get("DOI")),
            arxiv_id=_arxiv_id(d.get("DOI"), d.get("URL"), d.get("number"), d.get("archive_location"),
                               d.get("container-title"), d.get("note")),
            added=None))
    return items


# -- a list of identifiers -------------------------------------------------------------------
def _ids(text: str, path: Path) -> list[dict[str, Any]]:
    items = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        arxiv_id, doi = _arxiv_id(line), _doi(line)
        if not arxiv_id and not doi:
            raise ImportFormatError(f"{path}: line {number}: {line!r} is neither an arXiv id nor a DOI")
        items.append(_item(None, title=None, arxiv_id=arxiv_id, doi=None if arxiv_id else doi))
    return items


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
    missing = {"items", "itemTypes", "itemData", "itemDataValues", "fields", "creators",
               "itemCreators"} - tables
    if missing:
        raise ImportFormatError(f"{path}: not a Zotero database (no table {sorted(missing)[0]})")
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
def detect_library_format(path: Path, text: str | None) -> str:
    """The format of a library export, from its extension, else its content."""
    suffix = path.suffix.lower()
    if suffix in (".sqlite", ".db") or text is None:
        return "zotero"
    by_suffix = {".bib": "bibtex", ".bibtex": "bibtex", ".ris": "ris", ".json": "csl-json",
                 ".txt": "ids", ".list": "ids"}
    if suffix in by_suffix:
        return by_suffix[suffix]
    head = text.lstrip()[:2000]
    if head.startswith("@") or re.search(r"^\s*@\w+\s*\{", head, re.M):
        return "bibtex"
    if re.match(r"TY  - ", head):
        return "ris"
    if head.startswith(("[", "{")):
        return "csl-json"
    return "ids"


def read_library(path: str | Path, format: str | None = None, *,
                 collection: str | None = None) -> pd.DataFrame:
    """The items of one library export (see the module docstring); `collection` picks one
    Zotero collection from a ``zotero.sqlite``."""
    path = Path(path)
    if format is not None and format not in FORMATS:
        raise ImportFormatError(f"unknown library format {format!r}; use one of {', '.join(FORMATS)}")
    if not path.is_file():
        raise ImportFormatError(f"{path}: no such file")
    raw = path.read_bytes()
    text = None if raw.startswith(b"SQLite format 3\x00") else raw.decode("utf-8-sig", "replace")
    format = format or detect_library_format(path, text)
    if format == "zotero":
        items = _frame(_zotero(path, collection), path)
    elif collection is not None:
        raise ImportFormatError(f"{path}: --collection applies to a zotero.sqlite only")
    elif text is None:
        raise ImportFormatError(f"{path}: a database file, not a {format} export")
    else:
        readers = {"bibtex": _bibtex, "ris": _ris, "csl-json": _csl, "ids": _ids}
        items = _frame(readers[format](text, path), path)
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

    def summary(self) -> str:
        c, m = self.counts, self.matched
        total = c["added"] + c["updated"] + c["unchanged"]
        lines = [f"library {self.collection!r} ({self.format}): {total} items; {c['added']} added, "
                 f"{c['updated']} updated, {c['removed']} removed, {c['unchanged']} unchanged.",
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
    made to hold exactly these items. The file is read completely before the store changes.
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
    missing = sorted({i for i in items["arxiv_id"].dropna() if i not in set(papers["id"])})
    fetched, not_fetched, fetch_error = 0, missing, None
    if missing and fetch is not None:
        try:
            found = fetch(missing)
        except LitscopeError as exc:      # offline: import what the export holds
            fetch_error = str(exc)
        else:
            if len(found):
                store.add_papers(found)
                papers = store.papers()
            fetched = len(found)
            not_fetched = sorted(set(missing) - set(found["id"]))
    matched, how = match_items(items, papers)
    items = items.assign(paper_id=matched)
    # an item without a date of its own keeps the day it was first imported
    before = store.library(collection).set_index("item_key")["added"]
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    items["added"] = [a if isinstance(a, str) else b if isinstance(b, str) else now
                      for a, b in zip(items["added"], items["item_key"].map(before))]
    counts = store.replace_library(collection, items)
    return LibraryImport(collection=collection, format="", counts=counts,
                         matched=how.value_counts().to_dict(), fetched=fetched,
                         not_fetched=not_fetched, fetch_error=fetch_error)


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
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
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
                     "published": None if pd.isna(item.year) else f"{int(item.year)}-01-01",
                     "source": f"library:{item.collection}"})
    frame = papers_frame(rows) if rows else papers_frame([])
    return frame.assign(collection=items["collection"].to_numpy(),
                        item_key=items["item_key"].to_numpy(), added=items["added"].to_numpy())


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
