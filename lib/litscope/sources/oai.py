"""Bulk backfill through arXiv's OAI-PMH interface: ListRecords, page by page, resumable.

What arXiv asks bulk users to use instead of the search API. One harvest per set (by
default each category's, e.g. ``cs:cs:CL``; or a whole group such as ``cs``, filtered
here), ``from`` the first day asked, in the ``arXivRaw`` format (every version with its
date) or ``arXiv``. Each page's papers and the resumption token that follows them are
written in one transaction, so an interrupted harvest resumes after the last page it
stored; ``503 Retry-After`` (arXiv's flow control) is waited out by the polite client.
Records are kept when one of their categories was asked for and their first version
falls in the days asked. sickle was considered: it sleeps on 503 without spacing the
other requests, reads Retry-After as seconds only, parses with ``recover=True`` (a cut-off
page passes as shorter) and flattens the metadata so that authors' name parts no longer
line up; this module uses litscope's client and lxml instead.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Iterable

import numpy as np
import pandas as pd
import httpx
from lxml import etree
from tqdm.auto import tqdm

from ..config import Project
from ..errors import FetchError, SchemaError
from ..report import counted
from ..schema import check_text, paper_date, papers_frame, split_arxiv_id
from ..store import Store
from ._http import XML_PARSER, ArxivClient, Refused, Retry
from .announcements import split_authors
from .arxiv_api import _check_categories, _client, _day

OAI = "http://www.openarchives.org/OAI/2.0/"
FORMAT_NS = {"arXivRaw": "http://arxiv.org/OAI/arXivRaw/", "arXiv": "http://arxiv.org/OAI/arXiv/"}
log = logging.getLogger(__name__)
_PHYSICS = {"astro-ph", "cond-mat", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph", "nlin",
            "nucl-ex", "nucl-th", "physics", "quant-ph"}


def oai_set(category: str) -> str:
    """The OAI-PMH set of an arXiv category: ``cs.CL`` -> ``cs:cs:CL``, ``hep-th`` ->
    ``physics:hep-th``, ``astro-ph.CO`` -> ``physics:astro-ph:CO``."""
    archive, _, sub = category.partition(".")
    group = "physics" if archive in _PHYSICS else archive
    return f"{group}:{archive}" + (f":{sub}" if sub else "")


@dataclass
class Page:
    """One ListRecords answer: its papers, the token to ask for the next, list size if given;
    `skipped` records could not be read (each was named in a warning)."""
    records: list[dict]
    deleted: int
    token: str | None
    complete_size: int | None
    skipped: int = 0


def _text(node: etree._Element, tag: str, ns: str) -> str | None:
    """The element's whole text, whitespace folded (an entity reference in it kept as written)."""
    found = node.find(f"{{{ns}}}{tag}")
    text = " ".join("".join(found.itertext()).split()) if found is not None else ""
    return text or None


def _raw(meta: etree._Element, ns: str, name: str) -> dict:
    versions = []
    for v in meta.iterfind(f"{{{ns}}}version"):
        number = v.get("version", "")
        if not (number[:1] == "v" and number[1:].isdigit()):
            raise SchemaError(f"record {name!r}: version {number!r} is not like v1")
        versions.append((int(number[1:]), paper_date(v.findtext(f"{{{ns}}}date") or "",
                                                     f"record {name!r}: the date of {number}")))
    versions.sort()
    return {"version": versions[-1][0] if versions else None,
            "published": versions[0][1] if versions else None, "updated": versions[-1][1] if versions else None,
            "authors": split_authors(_text(meta, "authors", ns))}


def _arxiv(meta: etree._Element, ns: str, name: str) -> dict:
    created, updated = (paper_date(text, f"record {name!r}: {tag}") if (text := _text(meta, tag, ns)) else None
                        for tag in ("created", "updated"))
    authors = []
    for author in meta.iterfind(f"{{{ns}}}authors/{{{ns}}}author"):
        parts = [_text(author, "forenames", ns), _text(author, "keyname", ns), _text(author, "suffix", ns)]
        authors.append(" ".join(p for p in parts if p))
    return {"version": None, "published": created, "updated": updated or created, "authors": authors}


def _record(meta: etree._Element, metadata_format: str) -> dict:
    """One record's paper; `SchemaError` naming the record when its id or a date is unusable."""
    ns = FORMAT_NS[metadata_format]
    name = _text(meta, "id", ns) or "(no id)"
    paper_id = split_arxiv_id(name)[0]
    categories = (_text(meta, "categories", ns) or "").split()
    record = {"id": paper_id, "title": _text(meta, "title", ns) or paper_id,
              "abstract": _text(meta, "abstract", ns), "categories": categories,
              "primary_category": categories[0] if categories else None,
              "comment": _text(meta, "comments", ns), "journal_ref": _text(meta, "journal-ref", ns),
              "doi": _text(meta, "doi", ns), "abs_url": f"https://arxiv.org/abs/{paper_id}",
              "pdf_url": f"https://arxiv.org/pdf/{paper_id}", "source": "arxiv:oai",
              **(_raw if metadata_format == "arXivRaw" else _arxiv)(meta, ns, name)}
    check_text(record, f"record {name!r}")
    return record


def parse_page(content: bytes, metadata_format: str, where: str = "the OAI-PMH answer") -> Page:
    """A ListRecords answer as records of the paper schema. Raises `Retry` for a page that
    is not a complete OAI-PMH document and `Refused` for an OAI-PMH error (other than
    noRecordsMatch, an empty list); a record whose id or dates cannot be read is skipped
    with a warning naming it and `where` the page came from."""
    try:
        root = etree.fromstring(content, XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise Retry(f"malformed XML ({exc.msg})") from None
    if root.tag != f"{{{OAI}}}OAI-PMH":
        raise Retry(f"not an OAI-PMH answer (root element <{etree.QName(root).localname}>)")
    error = root.find(f"{{{OAI}}}error")
    if error is not None:
        code = error.get("code", "error")
        if code == "noRecordsMatch":
            return Page([], 0, None, 0)
        raise Refused(f"arXiv OAI-PMH error {code}: {' '.join((error.text or '').split())}")
    listing = root.find(f"{{{OAI}}}ListRecords")
    if listing is None:
        raise Retry("an answer without ListRecords")
    ns = FORMAT_NS[metadata_format]
    records, deleted, skipped = [], 0, 0
    for record in listing.iterfind(f"{{{OAI}}}record"):
        header = record.find(f"{{{OAI}}}header")
        if header is not None and header.get("status") == "deleted":
            deleted += 1
            continue
        meta = record.find(f"{{{OAI}}}metadata/{{{ns}}}{metadata_format}")
        if meta is None:
            raise Retry(f"a record without {metadata_format} metadata")
        try:
            records.append(_record(meta, metadata_format))
        except SchemaError as exc:
            skipped += 1
            log.warning("arXiv OAI-PMH: skipped a record of %s: %s", where, exc)
    token = listing.find(f"{{{OAI}}}resumptionToken")
    size = token.get("completeListSize") if token is not None else None
    return Page(records, deleted, (token.text or "").strip() or None if token is not None else None,
                int(size) if size and size.isdigit() else None, skipped)


@dataclass
class HarvestReport:
    """What a bulk harvest did, set by set."""
    lines: list[str] = field(default_factory=list)
    requests: int = 0
    pages: int = 0
    records: int = 0
    kept: int = 0

    def __str__(self) -> str:
        return "\n".join([*self.lines, f"{counted(self.records, 'record')} in {counted(self.pages, 'page')}, "
                                       f"{counted(self.kept, 'paper')} kept; {counted(self.requests, 'request')}."])


def _keep(records: list[dict], categories: set[str], first: date, last: date | None) -> pd.DataFrame:
    papers = papers_frame(records)
    days = papers["published"].dt.date
    keep = ((days >= first) & (days <= (last or date.max))).to_numpy(bool)
    if categories:
        keep = keep & np.array([bool(categories & set(c)) for c in papers["categories"]], bool)
    return papers[keep].reset_index(drop=True)


def _oai_answer(response: httpx.Response, metadata_format: str) -> Page:
    if response.status_code != 200:
        raise Refused(f"arXiv OAI-PMH rejected the request with HTTP {response.status_code} ({response.reason_phrase})")
    return parse_page(response.content, metadata_format, str(response.url))


def harvest(categories: str | Iterable[str], since: str | date, until: str | date | None = None, *,
            sets: Iterable[str] | None = None, metadata_format: str | None = None,
            project: Project | None = None, store: Store | None = None,
            client: ArxivClient | None = None, refresh: bool = False) -> HarvestReport:
    """Harvest the papers first submitted from `since` (to `until`) in `categories` through
    OAI-PMH into the store, page by page; a harvest interrupted before resumes where it
    stopped, a finished one costs nothing again unless `refresh`.

    `sets` default to ``arxiv.oai_sets``, else one per category; `metadata_format` to
    ``arxiv.oai_format`` (``arXivRaw``). Returns a `HarvestReport`.
    """
    categories = _check_categories(categories)
    today = datetime.now(timezone.utc).date()
    first = _day(since, "since", today)
    last = _day(until, "until", today) if until else None
    if last and first > last:
        raise FetchError(f"since {first} is after until {last}: give since <= until")
    if store is None:
        if project is None:
            raise FetchError("a bulk harvest needs a store: give store= or project=")
        store = Store(project.data_dir)
    client = client or _client(project)
    settings = client.settings
    metadata_format = metadata_format or settings.oai_format
    if metadata_format not in FORMAT_NS:
        raise FetchError(f"metadata_format: {metadata_format!r} is not one of {', '.join(FORMAT_NS)}")
    sets = list(sets or settings.oai_sets or [oai_set(c) for c in categories])
    if not sets:
        raise FetchError("categories: give at least one arXiv category (e.g. cs.CL) or arxiv.oai_sets")
    wanted = set(categories)
    report = HarvestReport()
    before = client.requests
    for spec in sets:
        report.lines.append(_harvest_set(client, store, spec, metadata_format, wanted, first, last,
                                         refresh, report))
    report.requests = client.requests - before
    return report


def _check_progress(client: ArxivClient, spec: str, page: Page, checkpoint: dict, tokens: set) -> None:
    """End a harvest that would never end: a server that hands out a resumption token it
    was already asked with, or more records than the list size it announced."""
    stored = f"the harvest of set {spec} stops here ({counted(checkpoint['pages'], 'page')} stored)"
    if page.token in tokens:
        raise FetchError(f"arXiv OAI-PMH: {client.oai_url} gave the resumption token {page.token!r} "
                         f"a second time: {stored}", client.oai_url)
    size = checkpoint.get("complete_size")
    if size is not None and checkpoint["records"] > size:
        raise FetchError(f"arXiv OAI-PMH: {client.oai_url} has listed {checkpoint['records']} records, more "
                         f"than its completeListSize of {size}, and still gives a resumption token: "
                         f"{stored}", client.oai_url)


def _harvest_set(client: ArxivClient, store: Store, spec: str, metadata_format: str, wanted: set[str],
                 first: date, last: date | None, refresh: bool, report: HarvestReport) -> str:
    key = f"oai:{spec}:{metadata_format}:{first}:{last or ''}"
    start = {"verb": "ListRecords", "metadataPrefix": metadata_format, "set": spec, "from": first.isoformat()}
    saved = None if refresh else store.harvest(key)
    if saved and saved["done"]:
        return (f"set {spec}: harvested before ({counted(saved['records'], 'record')} in "
                f"{counted(saved['pages'], 'page')}), nothing to ask.")
    checkpoint = dict(saved) if saved else {"key": key, "token": None, "pages": 0, "records": 0}
    note = f"resumed after page {checkpoint['pages']}" if saved and saved["token"] else "from the start"
    params = {"verb": "ListRecords", "resumptionToken": saved["token"]} if saved and saved["token"] else start
    kept, tokens = 0, {params.get("resumptionToken")}   # the tokens asked with in this run
    with client.progress(None, f"OAI-PMH {spec}") as bar, \
            tqdm(unit="record", desc="records", disable=None, initial=checkpoint["records"],
                 total=checkpoint.get("complete_size")) as records_bar:
        while True:
            try:
                page = client.request(client.oai_url, lambda r: _oai_answer(r, metadata_format),
                                      params=params, what="arXiv OAI-PMH")
            except FetchError as exc:
                if "badResumptionToken" in str(exc) and params is not start:
                    note, params = "its saved resumption token had expired: started again", start
                    checkpoint.update(token=None, pages=0, records=0)
                    continue
                raise FetchError(f"{exc}; {checkpoint['pages']} pages of set {spec} are stored: run the same "
                                 f"command again to resume", exc.url, exc.attempts) from None
            papers = _keep(page.records, wanted, first, last)
            checkpoint.update(token=page.token, pages=checkpoint["pages"] + 1,
                              records=checkpoint["records"] + len(page.records) + page.deleted + page.skipped,
                              complete_size=page.complete_size or checkpoint.get("complete_size"),
                              done=page.token is None)
            store.add_papers(papers, harvest=checkpoint)
            kept += len(papers)
            report.pages, report.records = report.pages + 1, report.records + len(page.records)
            records_bar.total = checkpoint["complete_size"]
            records_bar.update(len(page.records) + page.deleted)
            if bar.total is None and page.complete_size and page.records:
                bar.total = checkpoint["pages"] + math.ceil(
                    (page.complete_size - checkpoint["records"]) / len(page.records))
            if page.token is None:
                break
            _check_progress(client, spec, page, checkpoint, tokens)
            tokens.add(page.token)
            params = {"verb": "ListRecords", "resumptionToken": page.token}
    report.kept += kept
    return (f"set {spec}: {counted(checkpoint['records'], 'record')} in {counted(checkpoint['pages'], 'page')} "
            f"({note}); {counted(kept, 'paper')} first submitted from {first}{f' to {last}' if last else ''} in "
            f"{', '.join(sorted(wanted)) or 'any category'} stored.")
