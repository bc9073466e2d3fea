"""Fetch papers from the arXiv search API into the paper schema: few requests, incremental, loud.

A fetch asks one search per run of consecutive days for all categories at once,
``(cat:A OR cat:B) AND (query) AND submittedDate:[D1 0000 TO D2 2359]``, in pages of up
to 2,000 (arXiv's limit); cross-listed papers come back once. The store remembers each
(category [+ query], day) window: complete ones cost nothing again, so adding a category
asks only for it; recent days that arXiv may still add to are asked again only once arXiv
has announced something since they were fetched (Sunday–Thursday, 20:00 US Eastern).
`fetch_ids` fills in papers by id, one request per 2,000 ids.
"""
from __future__ import annotations

import difflib
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Iterable

import arxiv
import pandas as pd
import httpx
from lxml import etree
from tqdm.auto import tqdm

from ..config import Project, ProjectConfig, parse_day
from ..compat import build_result
from ..errors import ConfigError, FetchError, SchemaError
from ..report import counted
from ..schema import check_text, missing, paper_date, papers_frame, split_arxiv_id
from ..store import Store
from ._http import XML_PARSER, ArxivClient, Refused, Retry
from .schedule import changed_since

__all__ = ["ArxivClient", "fetch", "fetch_ids", "query_key", "papers_from_results", "arxiv_categories"]

TAXONOMY_URL = "https://arxiv.org/category_taxonomy"
#: arXiv's caps: results per request, results one query may page through
PAGE_LIMIT, QUERY_LIMIT = 2000, 30_000
_NS = {"atom": "http://www.w3.org/2005/Atom", "opensearch": "http://a9.com/-/spec/opensearch/1.1/"}
#: Where arXiv's error entries point (http:// in the 2016 API, https:// in the 2026 one).
_ERROR_IDS = ("http://arxiv.org/api/errors", "https://arxiv.org/api/errors")
log = logging.getLogger(__name__)


@cache
def arxiv_categories() -> dict[str, str]:
    """The arXiv category taxonomy shipped with litscope: category id -> name."""
    text = (Path(__file__).parents[1] / "data" / "arxiv_categories.txt").read_text(encoding="utf-8")
    return dict(line.split("\t", 1) for line in text.splitlines() if line and not line.startswith("#"))


# -- one page ---------------------------------------------------------------------------------
@dataclass
class ApiPage:
    """One page of the search API: the usable results, arXiv's count of all results, and how
    many entries the page had (paging counts the unusable ones too)."""
    results: list[arxiv.Result]
    total: int
    entries: int


def _api_page(response: httpx.Response) -> ApiPage:
    """Parse a page strictly, refusing what the package's forgiving parser would read as 0
    results; an entry that cannot be read (no arXiv id, a date out of range) is skipped
    with a warning naming it and the URL."""
    if response.status_code != 200:
        try:
            why = _api_error(etree.fromstring(response.content, XML_PARSER)) or response.reason_phrase
        except etree.XMLSyntaxError:
            why = response.reason_phrase
        raise Refused(f"arXiv API rejected the request with HTTP {response.status_code} ({why})")
    try:
        root = etree.fromstring(response.content, XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise Retry(f"malformed XML ({exc.msg})") from None
    if root.tag != f"{{{_NS['atom']}}}feed":
        raise Retry(f"not an Atom feed (root element <{etree.QName(root).localname}>)")
    error = _api_error(root)
    if error:
        raise Refused(f"arXiv API rejected the query: {error}")
    total = (root.findtext("opensearch:totalResults", namespaces=_NS) or "").strip()
    if not total.isdigit():
        raise Retry("a page without opensearch:totalResults")
    start = (root.findtext("opensearch:startIndex", namespaces=_NS) or "0").strip()
    entries = root.findall("atom:entry", _NS)
    if not entries and int(total) > (int(start) if start.isdigit() else 0):
        raise Retry(f"an empty page although arXiv counts {total} results")
    results = []
    for entry in entries:
        try:
            results.append(_result(entry))
        except SchemaError as exc:
            log.warning("arXiv API: skipped an entry of %s: %s", response.url, exc)
    return ApiPage(results, int(total), len(entries))


def _result(entry: etree._Element) -> arxiv.Result:
    """An entry as an `arxiv.Result`; `SchemaError` saying what makes it unusable."""
    name = (entry.findtext("atom:id", "", _NS) or "").strip() or "(no id)"
    for field in ("published", "updated"):
        paper_date((entry.findtext(f"atom:{field}", "", _NS) or "").strip(), f"entry {name!r}: {field}")
    result = build_result(entry)
    if result is None:
        raise SchemaError(f"entry {name!r} has no id")
    split_arxiv_id(result.entry_id)
    check_text({"title": result.title, "abstract": result.summary, "comment": result.comment,
                "journal_ref": result.journal_ref, "authors": [a.name for a in result.authors]},
               f"entry {name!r}")
    return result


def _api_error(root: etree._Element) -> str | None:
    """The message of an arXiv API error feed (an entry whose id is under /api/errors)."""
    for entry in root.iterfind("atom:entry", _NS):
        if entry.findtext("atom:id", "", _NS).startswith(_ERROR_IDS):
            return " ".join(entry.findtext("atom:summary", "", _NS).split()) or "error"
    return None


def search_page(client: ArxivClient, search_query: str, start: int, size: int) -> ApiPage:
    """One page of a search, oldest submission first."""
    params = {"search_query": search_query, "start": start, "max_results": size,
              "sortBy": "submittedDate", "sortOrder": "ascending"}
    return client.request(client.base_url, _api_page, params=params)


# -- results -> papers ----------------------------------------------------------------------
def _record(result: arxiv.Result) -> dict:
    paper_id, version = split_arxiv_id(result.entry_id)
    return {
        "id": paper_id, "version": version, "title": " ".join(result.title.split()),
        "authors": [author.name for author in result.authors],
        "abstract": " ".join(result.summary.split()),
        "primary_category": result.primary_category or None, "categories": result.categories,
        "published": result.published, "updated": result.updated,
        "abs_url": next((link.href for link in result.links if link.rel == "alternate"), result.entry_id),
        "pdf_url": result.pdf_url, "comment": _one_line(result.comment),
        "journal_ref": _one_line(result.journal_ref),
        "doi": result.doi, "source": "arxiv",
    }


def _one_line(text: str | None) -> str | None:
    """Text without the hard line breaks arXiv keeps in comments and journal references."""
    return " ".join(text.split()) or None if text else None


def papers_from_results(results: Iterable[arxiv.Result]) -> pd.DataFrame:
    """Papers (schema-conforming) from `arxiv.Result`s, one row per paper, newest version kept."""
    newest: dict[str, dict] = {}
    for result in results:
        record = _record(result)
        kept = newest.get(record["id"])
        if kept is None or (record["version"] or 0) > (kept["version"] or 0):
            newest[record["id"]] = record
    return papers_frame(list(newest.values()))


# -- by id ------------------------------------------------------------------------------------
def fetch_ids(ids: Iterable[str], *, project: Project | None = None, store: Store | None = None,
              client: ArxivClient | None = None) -> pd.DataFrame:
    """The papers with these arXiv ids (versions and URLs accepted; the newest version comes
    back) as a papers DataFrame: one ``id_list`` request per 2,000 ids, sent as a POST so that
    the list fits. ``df.attrs["missing"]`` lists ids arXiv did not return; with a `store` the
    papers are added to it in one transaction.
    """
    wanted = list(dict.fromkeys(split_arxiv_id(str(i))[0] for i in ids))
    client = client or _client(project)
    results: list[arxiv.Result] = []
    for first in range(0, len(wanted), PAGE_LIMIT):
        chunk = wanted[first:first + PAGE_LIMIT]
        size = min(client.settings.page_size, len(chunk))
        for start in range(0, len(chunk), size):
            data = {"id_list": ",".join(chunk), "start": start, "max_results": size}
            page = client.request(client.base_url, _api_page, data=data)
            results.extend(page.results)
            if start + size >= page.total:
                break
    papers = papers_from_results(results)
    papers.attrs["missing"] = sorted(set(wanted) - set(papers["id"]))
    if store is not None and len(papers):
        store.add_papers(papers)
    return papers


def _client(project: Project | None) -> ArxivClient:
    """A client with the project's settings and URLs (the defaults and env without one)."""
    project = project or Project(Path.cwd(), ProjectConfig())
    return ArxivClient(project.config.arxiv, project.arxiv_url, feed_url=project.feed_url,
                       oai_url=project.oai_url)


# -- windows --------------------------------------------------------------------------------
@dataclass
class _Window:
    """One category (or the query alone) on one day, as the store remembers it."""
    category: str | None
    key: str
    day: date
    reason: str = "new"      # new | unsettled | refresh: asked for; cached | unchanged: not asked
    settled: bool = False    # old enough that arXiv will add no more papers to it
    fetched: bool = False
    truncated: bool = False  # cut short by max_results or arXiv's 30,000-result cap
    papers: int = 0

    @property
    def asked(self) -> bool:
        return self.reason in ("new", "unsettled", "refresh")


@dataclass
class _Run:
    """Consecutive days asked for the same categories: one search, paged."""
    categories: tuple[str | None, ...]
    days: list[date]
    windows: list[_Window] = field(default_factory=list)

    def search_query(self, query: str | None) -> str:
        cats = [f"cat:{c}" for c in self.categories if c]
        parts = [cats[0] if len(cats) == 1 else f"({' OR '.join(cats)})" if cats else None,
                 f"({query})" if query else None,
                 f"submittedDate:[{self.days[0]:%Y%m%d}0000 TO {self.days[-1]:%Y%m%d}2359]"]
        return " AND ".join(p for p in parts if p)

    def halves(self) -> list[_Run]:
        middle = len(self.days) // 2
        return [_Run(self.categories, part, [w for w in self.windows if w.day in part])
                for part in (self.days[:middle], self.days[middle:])]


def _check_categories(categories: str | Iterable[str]) -> list[str]:
    categories = [categories] if isinstance(categories, str) else list(categories or [])
    known = arxiv_categories()
    for category in categories:
        if category not in known:
            close = [c for c in known if c.lower() == str(category).lower()] or \
                difflib.get_close_matches(str(category), known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise FetchError(f"categories: unknown arXiv category {category!r}{hint}; see {TAXONOMY_URL}")
    return list(dict.fromkeys(categories))


def _day(value: str | date | None, argument: str, default: date) -> date:
    if missing(value):
        return default
    try:
        return parse_day(value, argument)
    except ConfigError as exc:
        raise FetchError(str(exc)) from None


def _days(since: str | date | None, until: str | date | None, days_back: int, today: date) -> list[date]:
    last = _day(until, "until", today)
    first = _day(since, "since", min(last, today) - timedelta(days=days_back))
    if first > last:
        raise FetchError(f"since {first} is after until {last}: give since <= until")
    if first > today:
        raise FetchError(f"since {first} is in the future (today is {today} in UTC, arXiv's time zone)")
    last = min(last, today)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def query_key(category: str | None, query: str | None) -> str:
    """What the store remembers a window by: its category and query, without dates."""
    parts = [f"cat:{category}" if category else None, f"({query})" if query else None]
    return " AND ".join(p for p in parts if p)


def _runs(windows: list[_Window], days_per_request: int) -> list[_Run]:
    """Group the windows to ask for into runs of consecutive days with the same categories."""
    runs: list[_Run] = []
    for day in sorted({w.day for w in windows}):
        mine = [w for w in windows if w.day == day and w.asked]
        cats = tuple(w.category for w in mine)
        if not mine:
            continue
        last = runs[-1] if runs else None
        if last and last.categories == cats and last.days[-1] == day - timedelta(days=1) \
                and len(last.days) < days_per_request:
            last.days.append(day)
            last.windows += mine
        else:
            runs.append(_Run(cats, [day], mine))
    return runs


def _search(client: ArxivClient, run: _Run, query: str | None, limit: int | None,
            papers_bar: tqdm) -> tuple[list[arxiv.Result], int, list[_Run]]:
    """Page through one run; returns its results, pages asked, and runs to ask instead when
    the run is over arXiv's 30,000-result cap and can be split."""
    search_query = run.search_query(query)
    results: list[arxiv.Result] = []
    start, total, pages = 0, None, 0
    while total is None or start < min(total, QUERY_LIMIT):
        size = min(client.settings.page_size, PAGE_LIMIT, *(() if limit is None else (limit - len(results),)))
        if size <= 0:
            break
        page = search_page(client, search_query, start, size)
        pages += 1
        if total is None:
            total = page.total
            if total > QUERY_LIMIT and len(run.days) > 1:
                return [], pages, run.halves()
        results.extend(page.results)
        papers_bar.update(len(page.results))
        if not page.entries:
            break
        start += page.entries
    _count(run, results, complete=start >= (total or 0))
    return results, pages, []


def _count(run: _Run, results: list[arxiv.Result], complete: bool) -> None:
    """Each window's papers; when the run stopped early, the days it may not have reached."""
    ids: dict[tuple[str | None, date], set[str]] = {}
    for result in results:
        paper_id, day = split_arxiv_id(result.entry_id)[0], result.published.astimezone(timezone.utc).date()
        for category in run.categories:
            if category is None or category in result.categories:
                ids.setdefault((category, day), set()).add(paper_id)
    reached = results[-1].published.astimezone(timezone.utc).date() if results else run.days[0]
    for window in run.windows:
        window.fetched = True
        window.papers = len(ids.get((window.category, window.day), ()))
        window.truncated = not complete and window.day >= reached


def _report(windows: list[_Window], labels: str, searches: int, pages: int, n_papers: int,
            requests_made: int, delay: float, stored: str | None) -> str:
    days = sorted({w.day for w in windows})
    reasons = Counter(w.reason for w in windows)
    head = f"{labels}, {days[0]} to {days[-1]} ({counted(len(days), 'day')})"
    asked = [f"{reasons[r]} {what}" for r, what in (
        ("new", "new"), ("unsettled", "unsettled (arXiv announced since they were fetched)"),
        ("refresh", "fetched before (--refresh)")) if reasons[r]]
    skipped = [f"{reasons[r]} {what}" for r, what in (
        ("cached", "complete in the store"),
        ("unchanged", "unchanged (fetched since arXiv's last announcement)")) if reasons[r]]
    per = "day windows" if len({w.category for w in windows}) == 1 else "category-day windows"
    clauses = [head + ": " + "; ".join(
        ([f"asked for {', '.join(asked)} {per} in {counted(searches, 'search')} of "
          f"{counted(pages, 'page')}"] if asked else ["nothing to ask for"]) +
        ([f"skipped {', '.join(skipped)}"] if skipped else []))]
    fetched = [w for w in windows if w.fetched]
    empty = sorted({w.day for w in fetched} - {w.day for w in fetched if w.papers})
    if empty:
        clauses.append("0 papers on " + ", ".join(
            f"{d} ({'a weekend' if d.weekday() >= 5 else 'a weekday: nothing matched, or a holiday'})"
            for d in empty))
    open_days = sorted({w.day for w in windows if not w.settled and w.reason != "cached"})
    if open_days:
        clauses.append(f"{counted(len(open_days), 'recent day')} stay open: arXiv may still announce "
                       f"papers submitted then, so they are asked again after its next announcement")
    tail = (f"{counted(n_papers, 'paper')}, {counted(requests_made, 'request')} "
            f"(~{requests_made * delay:.0f} s at {delay:g} s apart)")
    if any(w.truncated or (w.asked and not w.fetched) for w in windows):
        tail += ("; stopped early (at max_results, or at arXiv's cap of 30,000 results for one day): "
                 "days it cut short will be fetched again next time")
    if stored:
        tail += f"; {stored}"
    return ". ".join([*clauses, tail]) + "."


def fetch(categories: str | Iterable[str], query: str | None = None, since: str | date | None = None,
          until: str | date | None = None, max_results: int | None = None, *, refresh: bool = False,
          project: Project | None = None, store: Store | None = None,
          client: ArxivClient | None = None, now: datetime | None = None) -> pd.DataFrame:
    """Fetch papers submitted from `since` to `until` (UTC days) in `categories`, narrowed by
    an arXiv `query`, as a papers DataFrame; ``df.attrs["report"]`` says what happened and
    ``df.attrs["requests"]`` how many requests it took.

    With a `store` (or a `project`, whose store is used) windows fetched completely before
    are skipped unless `refresh`, recent ones too until arXiv announces again, and all
    papers and window marks are written in one transaction at the end, so a failure leaves
    the store as it was. Days from the last ``arxiv.settle_days`` are fetched but never
    marked complete. `since` defaults to ``days_back`` days before `until` (today); `now`
    (UTC) stands in for the clock.
    """
    config = (project or Project(Path.cwd(), ProjectConfig())).config
    categories = _check_categories(categories)
    query = " ".join(query.split()) if query else None
    if not categories and not query:
        raise FetchError("categories: give at least one arXiv category (e.g. cs.CL) or a query")
    if max_results is not None and max_results < 1:
        raise FetchError(f"max_results: must be a positive number, not {max_results}")
    now = now or datetime.now(timezone.utc)
    today = now.astimezone(timezone.utc).date()
    checked_at = now.astimezone(timezone.utc).isoformat(timespec="seconds")
    days = _days(since, until, config.days_back, today)
    if store is None and project is not None:
        store = Store(project.data_dir)
    client = client or _client(project)
    settings = client.settings

    windows = [_Window(category, query_key(category, query), day)
               for day in days for category in (categories or [None])]
    states = store.window_states({w.key for w in windows}) if store is not None else {}
    lag = timedelta(minutes=settings.announce_lag_minutes)
    for window in windows:
        window.settled = (today - window.day).days > settings.settle_days
        state = states.get((window.key, window.day.isoformat()))
        if state is not None:
            complete, last_checked = state
            window.reason = "refresh" if refresh else "cached" if complete else \
                "unsettled" if changed_since(last_checked, now, lag) or window.settled else "unchanged"

    queue = _runs(windows, settings.days_per_request)
    results: list[arxiv.Result] = []
    searches = pages = 0
    requests_before = client.requests
    with client.progress(None, "arXiv requests"), \
            tqdm(unit="result", desc="results", disable=None) as papers_bar:
        while queue:
            run = queue.pop(0)
            remaining = None if max_results is None else max_results - len(results)
            if remaining == 0:
                break
            found, asked, split = _search(client, run, query, remaining, papers_bar)
            searches, pages = searches + 1, pages + asked
            queue[:0] = split
            results.extend(found)

    papers = papers_from_results(results)
    stored = None
    if store is not None:
        fetched = [w for w in windows if w.fetched and not w.truncated]
        counts = store.add_papers(papers, windows=[(w.key, w.day.isoformat(), w.papers)
                                                   for w in fetched if w.settled],
                                  checked=[(w.key, w.day.isoformat(), w.papers, checked_at)
                                           for w in fetched if not w.settled])
        stored = f"{counts['added']} new, {counts['updated']} updated in {store.path}"
    labels = ", ".join(categories) + (f" AND ({query})" if query and categories else query or "")
    requests_made = client.requests - requests_before
    papers.attrs["report"] = _report(windows, labels, searches, pages, len(papers), requests_made,
                                     settings.delay_seconds, stored)
    papers.attrs["requests"] = requests_made
    return papers
