"""arXiv's daily announcement: the listing feeds (rss.arxiv.org/rss/CATS, or /atom/CATS).

One feed request for all categories (joined with "+", each paper listed once) gives what
arXiv announced that day and how: new, cross (a cross-list), replace, replace-cross.
The announcements go to the store's ``announcements`` table, so that a day's digest lists
what arXiv announced that day; what the feed lacks (dates, versions, comments) comes from
the search API, one ``id_list`` request per 2,000 papers not already in the store at the
announced version. The feed changes once a day (midnight US Eastern, Monday to Friday):
read since then, it costs no request.
"""
from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta, timezone
from typing import Iterable

import pandas as pd
import httpx
from lxml import etree

from ..config import Project
from ..errors import FetchError, SchemaError
from ..report import counted
from ..schema import check_text, paper_date, papers_frame, split_arxiv_id
from ..store import Store
from ._http import XML_PARSER, ArxivClient, Refused, Retry
from .arxiv_api import _check_categories, _client, fetch_ids
from .schedule import FEED_UPDATES, changed_since, last_update

log = logging.getLogger(__name__)
ANNOUNCE_TYPES = ("new", "cross", "replace", "replace-cross")
_NS = {"atom": "http://www.w3.org/2005/Atom", "arxiv": "http://arxiv.org/schemas/atom",
       "dc": "http://purl.org/dc/elements/1.1/"}
_PREFIX = re.compile(r"^\s*arXiv:(\S+)\s+Announce Type:\s*([\w-]+)\s*(?:Abstract:\s*)?", re.S)
_AND = re.compile(r",?\s+and\s+|,\s*")


def feed_key(categories: Iterable[str]) -> str:
    """What the store remembers a feed's reading by."""
    return "feed:" + "+".join(sorted(categories))


def split_authors(text: str | None) -> list[str]:
    """``"A, B and C"`` (arXiv's author lists) as ``["A", "B", "C"]``; commas inside
    parentheses (affiliations) do not split."""
    names, depth, current = [], 0, []
    for part in re.split(r"(\(|\)|,?\s+and\s+|,\s*)", " ".join((text or "").split())):
        if part == "(":
            depth += 1
        elif part == ")":
            depth = max(depth - 1, 0)
        if depth == 0 and _AND.fullmatch(part or ""):
            names.append("".join(current).strip())
            current = []
        else:
            current.append(part)
    names.append("".join(current).strip())
    return [n for n in names if n]


def _text(node: etree._Element, path: str) -> str | None:
    """The element's whole text, whitespace folded (an entity reference in it kept as written)."""
    found = node.find(path, _NS)
    text = " ".join("".join(found.itertext()).split()) if found is not None else ""
    return text or None


def parse_listing(content: bytes, where: str = "the feed") -> tuple[date | None, pd.DataFrame, pd.DataFrame]:
    """A listing feed (RSS 2.0 or Atom) as (its day, announcements, papers).

    Announcements have columns id, day, type, version, categories; papers are what the
    feed tells (title, authors, abstract, categories, DOI, journal reference). Raises
    `Retry` for a document that is not a complete feed; an item without an arXiv id or
    with a date that is none is skipped with a warning naming it and `where`.
    """
    try:
        root = etree.fromstring(content, XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise Retry(f"malformed XML ({exc.msg})") from None
    if root.tag == "rss":
        channel = root.find("channel")
        items, day = (channel.iterfind("item") if channel is not None else ()), _text(root, "channel/pubDate")
        fields = {"guid": "guid", "title": "title", "text": "description", "date": "pubDate"}
        categories = lambda item: [c.text.strip() for c in item.iterfind("category") if c.text]
    elif root.tag == f"{{{_NS['atom']}}}feed":
        items, day = root.iterfind("atom:entry", _NS), None
        fields = {"guid": "atom:id", "title": "atom:title", "text": "atom:summary", "date": "atom:published"}
        categories = lambda item: [c.get("term") for c in item.iterfind("atom:category", _NS) if c.get("term")]
    else:
        raise Retry(f"not an RSS or Atom feed (root element <{etree.QName(root).localname}>)")
    announcements, papers = [], []
    for item in items:
        text = _text(item, fields["text"]) or ""
        prefix = _PREFIX.match(text)
        guid = _text(item, fields["guid"]) or (prefix.group(1) if prefix else "")
        try:
            paper_id, version = split_arxiv_id(guid.removeprefix("oai:arXiv.org:"))
            announced = _day(_text(item, fields["date"]), f"item {guid!r}: {fields['date']}")
            kind = _text(item, "arxiv:announce_type") or (prefix.group(2) if prefix else None)
            cats = categories(item)
            paper = {
                "id": paper_id, "version": version, "title": _text(item, fields["title"]) or paper_id,
                "authors": split_authors(_text(item, "dc:creator")),
                "abstract": text[prefix.end():] if prefix else text or None,
                "primary_category": None, "categories": cats,
                "abs_url": f"https://arxiv.org/abs/{paper_id}", "pdf_url": f"https://arxiv.org/pdf/{paper_id}",
                "doi": _text(item, "arxiv:DOI"), "journal_ref": _text(item, "arxiv:journal_reference"),
                "source": "arxiv:announcement",
            }
            check_text(paper, f"item {guid!r}")
        except SchemaError as exc:
            log.warning("arXiv feed: skipped an item of %s: %s", where, exc)
            continue
        announcements.append({"id": paper_id, "day": announced, "type": kind,
                              "version": version, "categories": cats})
        papers.append(paper)
    listed = pd.DataFrame(announcements, columns=["id", "day", "type", "version", "categories"]) \
        .drop_duplicates("id").reset_index(drop=True)
    unknown = sorted(set(listed["type"].dropna()) - set(ANNOUNCE_TYPES)) + \
        (["(none)"] if listed["type"].isna().any() else [])
    if unknown:
        raise Refused(f"arXiv feed: unknown announce type {unknown[0]!r}")
    try:
        feed_day = _day(day, "the feed's pubDate") if day else (listed["day"].iloc[0] if len(listed) else None)
    except SchemaError as exc:
        raise Retry(str(exc)) from None
    listed["day"] = listed["day"].fillna(feed_day) if feed_day else listed["day"]
    return feed_day, listed.astype({"version": "Int64"}), papers_frame(papers).drop_duplicates("id")


def _day(text: str | None, field: str) -> date | None:
    """The day of an RFC 2822 or ISO date as it is written (not moved to UTC)."""
    return paper_date(text, field, utc=False).date() if text else None


def _feed_page(response: httpx.Response) -> tuple[date | None, pd.DataFrame, pd.DataFrame]:
    if response.status_code == 404:
        raise Refused("arXiv feed: no such feed (HTTP 404): check the categories")
    if response.status_code != 200:
        raise Refused(f"arXiv feed rejected the request with HTTP {response.status_code} ({response.reason_phrase})")
    return parse_listing(response.content, str(response.url))


def _to_fill(store: Store | None, announced: pd.DataFrame) -> list[str]:
    """Ids whose announced version the store lacks (all of them without a store)."""
    if store is None:
        return list(announced["id"])
    held = store.papers(ids=announced["id"]).set_index("id")["version"]
    have = announced["id"].map(held)
    return list(announced.loc[have.isna() | (have < announced["version"].fillna(1)), "id"])


def fetch_new(categories: str | Iterable[str], *, project: Project | None = None,
              store: Store | None = None, client: ArxivClient | None = None,
              now: datetime | None = None, refresh: bool = False) -> pd.DataFrame:
    """The papers of arXiv's latest announcement in `categories`, with its announce types.

    One feed request for all categories, then one ``id_list`` request per 2,000 papers the
    store does not hold at the announced version. Returns the announced papers (schema
    columns plus ``announce_type`` and ``announced``); ``df.attrs["report"]`` says what
    happened. With a store (or project) everything is written in one transaction at the
    end; read since the feed's last rebuild (midnight US Eastern), it costs no request
    unless `refresh`.
    """
    categories = _check_categories(categories)
    if not categories:
        raise FetchError("categories: give at least one arXiv category (e.g. cs.CL) for the listing feed")
    if store is None and project is not None:
        store = Store(project.data_dir)
    client = client or _client(project)
    now = now or datetime.now(timezone.utc)
    key = feed_key(categories)
    lag = timedelta(minutes=client.settings.announce_lag_minutes)
    if store is not None and not refresh:
        read = store.window_states([key])
        last_read = max((t for (_, _), (_, t) in read.items()), default=None)
        if last_read is not None and not changed_since(last_read, now, lag, FEED_UPDATES):
            rebuilt = last_update(now, FEED_UPDATES)
            papers = papers_frame([])
            papers.attrs["requests"] = 0
            papers.attrs["report"] = (f"arXiv's listing feed for {'+'.join(categories)} was read at "
                                      f"{last_read:%Y-%m-%d %H:%M} UTC, after its last rebuild "
                                      f"({rebuilt:%Y-%m-%d %H:%M} UTC): nothing new to read, 0 requests.")
            return papers

    url = client.feed_url + "+".join(categories)
    before = client.requests
    with client.progress(None, "arXiv requests"):
        day, announced, listed = client.request(url, _feed_page, what="arXiv feed")
        missing = _to_fill(store, announced)
        filled = fetch_ids(missing, client=client) if missing else papers_frame([])
    unfilled = sorted(set(missing) - set(filled["id"]))
    # what the store holds at the announced version stays as it is; the feed's thinner copy
    # stands in only for papers the API does not list yet
    fresh = papers_frame(pd.concat([filled, listed[listed["id"].isin(unfilled)]], ignore_index=True))
    stored = ""
    if store is not None:
        counts = store.add_papers(fresh, announcements=announced,
                                  checked=[(key, str(day), len(announced), now.isoformat(timespec="seconds"))])
        stored = f"; {counts['added']} new, {counts['updated']} updated in {store.path}"
        papers = store.papers(ids=announced["id"])
    else:
        papers = papers_frame(pd.concat([fresh, listed[~listed["id"].isin(fresh["id"])]], ignore_index=True))
    by_id = announced.set_index("id")
    papers["announce_type"], papers["announced"] = papers["id"].map(by_id["type"]), papers["id"].map(by_id["day"])
    types = announced["type"].value_counts()
    requests_made = client.requests - before
    metadata = (f"{counted(requests_made - 1, 'metadata request')} (id_list) for the {len(missing)} not in the "
                f"store at that version" if missing else "no metadata request (all in the store already)"
                if len(announced) else "nothing announced")
    papers.attrs["requests"] = requests_made
    papers.attrs["announcements"] = announced
    papers.attrs["report"] = (
        f"arXiv's announcement of {day or 'an unknown day'} for {'+'.join(categories)}: "
        f"{len(announced)} papers (" + ", ".join(f"{types.get(t, 0)} {t}" for t in ANNOUNCE_TYPES) + "); "
        f"1 feed request, {metadata}"
        + (f" ({len(unfilled)} not yet in the API: kept as the feed lists them)" if unfilled else "")
        + f"; {counted(requests_made, 'request')} (~{requests_made * client.settings.delay_seconds:.0f} s)"
        + f"{stored}.")
    return papers
