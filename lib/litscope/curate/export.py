"""Exports of any selection of papers: BibTeX, RIS (as Zotero imports it), CSV, JSON Lines.

Citation keys are ``<first author's last name><year><first title word>`` in ASCII, e.g.
``vaswani2017attention``; of the papers that would share a key, the one with the smallest
id keeps it and the others get ``a``, ``b``, ... in the order of their ids. The same
selection always gets the same keys, whatever its row order, and a selection that grows
by newer papers (arXiv ids grow with time) keeps the keys it had: a review's website and
the person's ``[@key]`` citations do not break as papers arrive.

CSV is safe to open in a spreadsheet: a text cell that would start a formula (``=``, ``+``,
``-``, ``@``, tab, carriage return) gets a leading ``'`` as OWASP recommends; numbers stay
numbers; an arXiv id is written ``arXiv:2501.00010``, as arXiv cites it, so that no
spreadsheet or ``pandas.read_csv`` takes it for the number 2501.0001. An author written in
braces (``{Eve and Frank}``, a group) stays one author. BibTeX reads back through
`litscope library import` as it was written: text, authors, arXiv ids.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import IO, Literal

import bibtexparser
import pandas as pd
import rispy
from bibtexparser import model

from ..choices import EXPORT_FORMATS
from ..config import write_text
from ..errors import CurateError
from ..schema import COLUMNS, LIST_COLUMNS, conform_papers, missing

__all__ = ["FORMATS", "export", "select_papers", "citation_keys", "bibtex_entries", "to_bibtex", "to_ris", "to_csv",
           "neutralize_formulas", "write_csv", "write_scored"]

Format = Literal["bibtex", "ris", "csv", "jsonl"]
FORMATS = EXPORT_FORMATS
#: The files `write_scored` writes, by suffix.
SCORED_SUFFIXES: tuple[str, ...] = (".csv", ".parquet")

_LATEX = str.maketrans({
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
})
_STOPWORDS = {"a", "an", "the", "on", "of", "in", "for", "to", "and", "with", "towards", "toward",
              "is", "are", "do", "does", "can", "how", "what", "when", "why", "via", "from", "by"}
_PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "da", "di", "du", "dos", "le", "la"}
_NEW_ID = re.compile(r"^(\d{2})(\d{2})\.\d{4,5}$")
#: What a spreadsheet reads as the start of a formula (OWASP, "CSV Injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
#: " and " at the top level of a name: BibTeX splits authors there.
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_OLD_ID = re.compile(r"/(\d{2})(\d{2})\d{3}$")
#: arXiv ids since 2007 look like numbers to spreadsheets and CSV readers.
_NUMERIC_ID = re.compile(r"^\d{4}\.\d{4,5}$")


# -- selection ----------------------------------------------------------------------------------
def select_papers(papers: pd.DataFrame, *, labels: pd.DataFrame | None = None,
                  label: str | None = None, topic: str | None = None) -> pd.DataFrame:
    """The papers labelled `label` (per `labels`, as `Store.labels()` returns them) and in
    `topic` (matching its topic or subtopic); None means no filter."""
    selected = papers
    if label is not None:
        if labels is None:
            raise CurateError("label: selecting by label needs the store's labels (labels=store.labels())")
        wanted = set(labels.loc[labels["label"] == label, "id"])
        selected = selected[selected["id"].isin(wanted)]
    if topic is not None:
        selected = selected[(selected["topic"] == topic).fillna(False)
                            | (selected["subtopic"] == topic).fillna(False)]
    return selected


# -- citation keys ------------------------------------------------------------------------------
def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower())


def _group(author: str) -> str | None:
    """The name of an author that is a group: the inside of one in braces (``"{Eve and
    Frank}"``, as BibTeX protects it) or one with " and " in it; None for a person."""
    author = author.strip()
    if len(author) > 1 and author[0] == "{" and author[-1] == "}" and _balanced(author[1:-1]):
        return author[1:-1].strip()
    return author if _AND.search(author) else None


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def last_name(author: str) -> str:
    """The family name of ``"First Last"`` or ``"Last, First"`` (with particles: "van Gogh");
    a group in braces is a name of its own."""
    author = author.strip()
    group = _group(author)
    if group is not None:
        return group
    if "," in author:
        return author.split(",", 1)[0].strip()
    words = author.split()
    if len(words) < 2:
        return author
    start = len(words) - 1
    while start > 1 and words[start - 1].lower() in _PARTICLES:
        start -= 1
    return " ".join(words[start:])


def _year(paper: pd.Series) -> str | None:
    if not missing(paper["published"]):
        return str(paper["published"].year)
    match = _NEW_ID.match(paper["id"]) or _OLD_ID.search(paper["id"])
    if match:
        yy = int(match.group(1))
        return str(2000 + yy if yy < 91 else 1900 + yy)
    return None


def citation_keys(papers: pd.DataFrame) -> pd.Series:
    """A unique, stable citation key per paper (see the module docstring), indexed like `papers`."""
    bases = {}
    for index, paper in papers.iterrows():
        author = _ascii(last_name(paper["authors"][0])) if paper["authors"] else ""
        words = [w for w in (_ascii(w) for w in str(paper["title"]).split()) if w]
        word = next((w for w in words if w not in _STOPWORDS), words[0] if words else "")
        bases[index] = f"{author or 'anon'}{_year(paper) or 'nd'}{word}"
    keys = pd.Series(bases, dtype=object)
    ids = papers["id"]
    for base, members in keys.groupby(keys).groups.items():
        if len(members) > 1:
            for n, index in enumerate(sorted(members, key=lambda i: ids[i])[1:]):
                keys[index] = f"{base}{_suffix(n)}"
    return keys.reindex(papers.index)


def _suffix(n: int) -> str:
    """a, b, ..., z, aa, ab, ..."""
    letters = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


# -- formats ------------------------------------------------------------------------------------
def latex_escape(text: str) -> str:
    """Escape LaTeX's special characters so BibTeX prints `text` as written."""
    return text.translate(_LATEX)


def bibtex_author(author: str) -> str:
    """One author for BibTeX's ``author`` field, escaped; a group, or a name with a comma in
    it, in braces, so that BibTeX neither splits it at " and " nor turns it around at the
    comma: it reads back as written."""
    group = _group(author)
    if group is not None:
        return "{" + latex_escape(group) + "}"
    return "{" + latex_escape(author) + "}" if "," in author else latex_escape(author)


def _arxiv_id(paper: pd.Series) -> str | None:
    return None if paper["id"].startswith("h:") else paper["id"]


def to_bibtex(papers: pd.DataFrame) -> str:
    """BibTeX entries: ``@article`` when a journal reference is known, else ``@misc`` with
    arXiv's eprint fields. Text is LaTeX-escaped; non-ASCII letters stay UTF-8 (biber and
    modern BibTeX read them)."""
    return bibtexparser.write_string(bibtexparser.Library(_bibtex_entries(papers)))


def bibtex_entries(papers: pd.DataFrame, *, abstracts: bool = True) -> pd.DataFrame:
    """Each paper's citation key and BibTeX entry (as `to_bibtex` writes it, keys given
    among all of `papers`), indexed like `papers`: for a page that shows one paper's entry;
    without `abstracts`, the entries are short enough to read and copy."""
    entries = _bibtex_entries(papers, abstracts=abstracts)
    return pd.DataFrame({"key": [e.key for e in entries],
                         "bibtex": [bibtexparser.write_string(bibtexparser.Library([e])).strip()
                                    for e in entries]}, index=papers.index)


def _bibtex_entries(papers: pd.DataFrame, *, abstracts: bool = True) -> list[model.Entry]:
    entries = []
    for key, (_, paper) in zip(citation_keys(papers), papers.iterrows()):
        arxiv = _arxiv_id(paper)
        fields = {
            "title": latex_escape(paper["title"]),
            "author": " and ".join(bibtex_author(a) for a in paper["authors"]),
            "year": _year(paper),
            "journal": latex_escape(paper["journal_ref"]) if not missing(paper["journal_ref"]) else None,
            "eprint": arxiv,
            "archivePrefix": "arXiv" if arxiv else None,
            "primaryClass": paper["primary_category"] if arxiv and not missing(paper["primary_category"]) else None,
            "doi": paper["doi"] if not missing(paper["doi"]) else None,
            "url": paper["abs_url"] if not missing(paper["abs_url"]) else None,
            "abstract": latex_escape(paper["abstract"]) if abstracts and not missing(paper["abstract"]) else None,
            "keywords": latex_escape(", ".join(paper["tags"])) if paper["tags"] else None,
        }
        entry_type = "article" if fields["journal"] else "misc"
        entries.append(model.Entry(entry_type, key, [model.Field(k, v) for k, v in fields.items() if v]))
    return entries


def _ris_author(author: str) -> str:
    """Zotero splits AU at the first comma into last and first name: write ``Last, First``
    (a group in braces as one name, without the braces)."""
    author = author.strip()
    group = _group(author)
    if group is not None:
        return group
    if "," in author or " " not in author:
        return author
    last = last_name(author)
    return f"{last}, {author[:len(author) - len(last)].strip()}"


def to_ris(papers: pd.DataFrame) -> str:
    """RIS records as Zotero's RIS translator reads them: TY (JOUR with a journal reference,
    else RPRT with arXiv as publisher and the arXiv id as report number), AU ``Last, First``
    per author, TI, AB, PY (year), DA (``YYYY/MM/DD``), UR, DO, KW per tag, N1 notes."""
    records = []
    for _, paper in papers.iterrows():
        arxiv = _arxiv_id(paper)
        journal = paper["journal_ref"] if not missing(paper["journal_ref"]) else None
        notes = [f"TL;DR: {paper['tldr']}" if not missing(paper["tldr"]) else None,
                 f"Comment: {paper['comment']}" if not missing(paper["comment"]) else None,
                 " / ".join(t for t in (paper["topic"], paper["subtopic"]) if not missing(t)) or None]
        record = {
            "type_of_reference": "JOUR" if journal else "RPRT",
            "authors": [_ris_author(a) for a in paper["authors"]],
            "title": paper["title"],
            "abstract": paper["abstract"] if not missing(paper["abstract"]) else None,
            "year": _year(paper),
            "date": paper["published"].strftime("%Y/%m/%d") if not missing(paper["published"]) else None,
            "secondary_title": journal,
            "publisher": None if journal or not arxiv else "arXiv",
            "issn": None if journal or not arxiv else f"arXiv:{arxiv}",
            "urls": [paper["abs_url"]] if not missing(paper["abs_url"]) else [],
            "doi": paper["doi"] if not missing(paper["doi"]) else None,
            "keywords": list(paper["tags"]),
            "notes": [n for n in notes if n],
        }
        records.append({k: _one_line(v) for k, v in record.items() if v})
    return rispy.dumps(records, implementation=_ZoteroRisWriter)


class _ZoteroRisWriter(rispy.RisWriter):
    """rispy's writer without the ``1.`` line it puts before each record (not RIS)."""

    def set_header(self, count: int) -> None:
        return None


def _one_line(value: str | list[str]) -> str | list[str]:
    """RIS reads a line without a tag as part of the previous field: fold line breaks."""
    if isinstance(value, list):
        return [" ".join(v.split()) for v in value]
    return " ".join(value.split())


def _flat(papers: pd.DataFrame) -> pd.DataFrame:
    return papers[[c for c in papers.columns if c in COLUMNS]]


def neutralize_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` safe to write as CSV for a spreadsheet: every text cell that a
    spreadsheet would evaluate (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return) starts with ``'`` instead, as OWASP recommends; numbers, and text that is just a
    number ("-1.5"), are left as they are."""
    safe = frame.copy()
    for column in safe.columns:
        dtype = safe[column].dtype
        if dtype == object or isinstance(dtype, pd.StringDtype) or (   # Arrow-backed text too
                isinstance(dtype, pd.ArrowDtype) and dtype.kind in "OU"):
            safe[column] = [_neutral(v) for v in safe[column]]
    return safe


def _neutral(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


def write_csv(frame: pd.DataFrame, path: str | Path | None = None) -> str | None:
    """`frame` as CSV for spreadsheets, to `path` or returned: formulas neutralised
    (`neutralize_formulas`), new-style arXiv ids in the ``id`` column as ``arXiv:YYMM.NNNNN``
    (text, not a number), records ended by CRLF (RFC 4180) so that a field holding a lone
    carriage return is quoted too."""
    safe = neutralize_formulas(frame)
    if "id" in safe:
        safe["id"] = [f"arXiv:{v}" if isinstance(v, str) and _NUMERIC_ID.match(v) else v for v in safe["id"]]
    return safe.to_csv(path, index=False, lineterminator="\r\n")


def write_scored(scored: pd.DataFrame, path: str | Path) -> None:
    """Scored papers (every column, as `Scorer.score` gives them) to a .csv (see `write_csv`;
    lists joined with ``"; "`` in `scored` itself, to spare a copy) or a .parquet file, as
    `path`'s suffix says."""
    out = Path(path)
    if out.suffix not in SCORED_SUFFIXES:
        raise CurateError(f"{out}: name a {' or '.join(SCORED_SUFFIXES)} file")
    if out.suffix == ".csv":
        for column in LIST_COLUMNS:
            scored[column] = ["; ".join(v or []) for v in scored[column]]
        write_csv(scored, out)
    else:                            # .parquet, without pandas' metadata, which cannot name list dtypes
        import pyarrow as pa
        import pyarrow.parquet as pq
        pq.write_table(pa.Table.from_pandas(scored, preserve_index=False)
                       .replace_schema_metadata(None), out)


def to_csv(papers: pd.DataFrame) -> str:
    """CSV with the schema's columns (see `write_csv`); lists are joined with ``"; "``."""
    flat = _flat(papers).copy()
    for column in LIST_COLUMNS:
        flat[column] = ["; ".join(v) for v in flat[column]]
    return write_csv(flat)


def to_jsonl(papers: pd.DataFrame) -> str:
    """One JSON object per paper with the schema's columns (ISO dates, UTF-8, lists kept)."""
    if papers.empty:
        return ""
    return _flat(papers).to_json(orient="records", lines=True, force_ascii=False,
                                 date_format="iso", date_unit="s")


_WRITERS = {"bibtex": to_bibtex, "ris": to_ris, "csv": to_csv, "jsonl": to_jsonl}


def export(papers: pd.DataFrame, format: Format, path_or_buffer: str | Path | IO[str] | None = None
           ) -> str | None:
    """Write `papers` in `format` to a file path or text buffer; return the text when neither
    is given. Select first with `select_papers` (or any DataFrame filter)."""
    if format not in _WRITERS:
        raise CurateError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    papers = conform_papers(papers, where="papers to export")
    text = _WRITERS[format](papers)
    if path_or_buffer is None:
        return text
    if isinstance(path_or_buffer, (str, Path)):
        path = Path(path_or_buffer)
        try:
            write_text(path, text, newline="")
        except OSError as exc:
            raise CurateError(f"{path}: cannot write the export ({exc.strerror or exc})") from None
    else:
        path_or_buffer.write(text)
    return None
