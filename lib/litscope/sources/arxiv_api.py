"""Fetch papers from the arXiv API into the paper schema: politely, incrementally, loudly.

Each (query key, day) window is one search ``<key> AND submittedDate:[D0000 TO D2359]``.
With a store, complete windows are remembered, so fetching them again costs no request.
`ArxivClient` is the `arxiv` package's client with litscope's policy: spacing between
requests, timeouts, exponential back-off, and a check that every page really is an arXiv
feed — the package alone retries at once and reads a broken page as "no papers".
"""
from __future__ import annotations

import difflib
import email.utils
import itertools
import math
import re
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Callable, Iterable

import arxiv
import pandas as pd
import requests
from arxiv._feed import ParsedFeed, parse as parse_feed
from lxml import etree
from tqdm.auto import tqdm

from ..config import ArxivSettings, Project, ProjectConfig, check_polite_delay, parse_day
from ..errors import ConfigError, FetchError
from ..schema import papers_frame, split_arxiv_id
from ..store import Store

USER_AGENT = f"litscope (arxiv.py/{arxiv.__version__})"
TAXONOMY_URL = "https://arxiv.org/category_taxonomy"
_NS = {"atom": "http://www.w3.org/2005/Atom", "opensearch": "http://a9.com/-/spec/opensearch/1.1/"}
_ERROR_ID = re.compile(r"^https?://arxiv\.org/api/errors")
_STRICT_XML = etree.XMLParser(resolve_entities=False, no_network=True)


@cache
def arxiv_categories() -> dict[str, str]:
    """The arXiv category taxonomy shipped with litscope: category id -> name."""
    text = (Path(__file__).parents[1] / "data" / "arxiv_categories.txt").read_text(encoding="utf-8")
    return dict(line.split("\t", 1) for line in text.splitlines() if line and not line.startswith("#"))


class _Retry(Exception):
    """An attempt that failed in a way worth repeating; `retry_after` is the server's wish."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


class ArxivClient(arxiv.Client):
    """`arxiv.Client` that spaces requests by ``delay_seconds``, times them out, retries
    failures with exponential back-off (honouring ``Retry-After``) and refuses pages that
    are not complete arXiv feeds. `clock` and `sleep` are injectable for tests."""

    def __init__(self, settings: ArxivSettings | None = None, base_url: str | None = None, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.settings = settings or ArxivSettings()
        super().__init__(page_size=self.settings.page_size, delay_seconds=self.settings.delay_seconds,
                         num_retries=self.settings.retries)
        self.base_url = base_url or self.settings.base_url
        check_polite_delay(self.base_url, self.settings.delay_seconds)
        self.query_url_format = self.base_url + "?{}"
        self.requests = 0            # HTTP requests made, retries included
        self.total_results = 0       # what the last first page announced
        self._clock, self._sleep = clock, sleep
        self._ready_at = -math.inf   # clock time before which no request may start

    def _parse_feed(self, url: str, first_page: bool = True, _try_index: int = 0) -> ParsedFeed:
        """One page of results, or `FetchError` once the retries are spent."""
        for attempt in itertools.count(1):
            try:
                feed = self._attempt(url, attempt)
            except _Retry as problem:
                if attempt > self.settings.retries:
                    raise FetchError(f"arXiv API: {problem} at {url} (gave up after {attempt} "
                                     f"attempts; try again later)", url, attempt) from None
                self._ready_at = max(self._ready_at, self._clock() + self._backoff(attempt, problem, url))
                continue
            if first_page:
                self.total_results = feed.header.total_results
            return feed

    def _backoff(self, attempt: int, problem: _Retry, url: str) -> float:
        settings = self.settings
        wait = min(settings.backoff_seconds * 2 ** (attempt - 1), settings.max_backoff_seconds)
        if problem.retry_after is not None:
            if problem.retry_after > settings.max_backoff_seconds:
                raise FetchError(f"arXiv API: {problem} at {url} asks to wait {problem.retry_after:.0f} s, "
                                 f"longer than arxiv.max_backoff_seconds ({settings.max_backoff_seconds:g} s); "
                                 f"try again later", url, attempt)
            wait = max(wait, problem.retry_after)
        return wait

    def _attempt(self, url: str, attempt: int) -> ParsedFeed:
        pause = self._ready_at - self._clock()
        if pause > 0:
            self._sleep(pause)
        self.requests += 1
        try:
            response = self._session.get(url, headers={"user-agent": USER_AGENT},
                                         timeout=self.settings.timeout_seconds)
        except (requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema,
                requests.exceptions.InvalidURL):
            raise FetchError(f"arXiv API URL {self.base_url!r} is not a URL: fix arxiv.base_url in "
                             f"litscope.yml or $LITSCOPE_ARXIV_URL", url, attempt) from None
        except requests.Timeout:
            raise _Retry(f"no answer within {self.settings.timeout_seconds:g} s") from None
        except requests.RequestException as exc:
            raise _Retry(_network_problem(exc)) from None
        finally:
            self._ready_at = self._clock() + self.settings.delay_seconds
        status = response.status_code
        if status == 429 or status >= 500:
            raise _Retry(f"HTTP {status} {response.reason}", _retry_after(response.headers.get("Retry-After")))
        if status != 200:
            try:
                why = _api_error(etree.fromstring(response.content, _STRICT_XML)) or response.reason
            except etree.XMLSyntaxError:
                why = response.reason
            raise FetchError(f"arXiv API rejected the request with HTTP {status} ({why}): {url}",
                             url, attempt)
        return _checked_feed(response.content, url, attempt)


def _checked_feed(content: bytes, url: str, attempt: int) -> ParsedFeed:
    """Parse a page, refusing what the package's forgiving parser would read as 0 results."""
    try:
        root = etree.fromstring(content, _STRICT_XML)
    except etree.XMLSyntaxError as exc:
        raise _Retry(f"malformed XML ({exc.msg})") from None
    if root.tag != f"{{{_NS['atom']}}}feed":
        raise _Retry(f"not an Atom feed (root element <{etree.QName(root).localname}>)")
    error = _api_error(root)
    if error:
        raise FetchError(f"arXiv API rejected the query: {error}: {url}", url, attempt)
    total = (root.findtext("opensearch:totalResults", namespaces=_NS) or "").strip()
    if not total.isdigit():
        raise _Retry("a page without opensearch:totalResults")
    feed = parse_feed(content)
    if not feed.results and int(total) > feed.header.start_index:
        raise _Retry(f"an empty page although arXiv counts {total} results")
    return feed


def _api_error(root: etree._Element) -> str | None:
    """The message of an arXiv API error feed (an entry whose id is under /api/errors)."""
    for entry in root.iterfind("atom:entry", _NS):
        if _ERROR_ID.match(entry.findtext("atom:id", "", _NS)):
            return " ".join(entry.findtext("atom:summary", "", _NS).split()) or "error"
    return None


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _network_problem(exc: requests.RequestException) -> str:
    match = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", str(exc))
    return f"cannot connect ({match.group(1).strip()})" if match else f"network error ({type(exc).__name__})"


# -- results -> papers ----------------------------------------------------------------------
def _record(result: arxiv.Result) -> dict:
    paper_id, version = split_arxiv_id(result.entry_id)
    return {
        "id": paper_id, "version": version, "title": result.title.strip(),
        "authors": [author.name for author in result.authors],
        "abstract": " ".join(result.summary.split()),
        "primary_category": result.primary_category or None, "categories": result.categories,
        "published": result.published, "updated": result.updated,
        "abs_url": next((link.href for link in result.links if link.rel == "alternate"), result.entry_id),
        "pdf_url": result.pdf_url, "comment": result.comment, "journal_ref": result.journal_ref,
        "doi": result.doi, "source": "arxiv",
    }


def papers_from_results(results: Iterable[arxiv.Result]) -> pd.DataFrame:
    """Papers (schema-conforming) from `arxiv.Result`s, one row per paper, newest version kept."""
    newest: dict[str, dict] = {}
    for result in results:
        record = _record(result)
        kept = newest.get(record["id"])
        if kept is None or (record["version"] or 0) > (kept["version"] or 0):
            newest[record["id"]] = record
    return papers_frame(list(newest.values()))


# -- windows --------------------------------------------------------------------------------
@dataclass
class _Window:
    label: str              # what the report calls it: the category, or the query
    key: str                # what the store remembers it by
    day: date
    cached: bool = False    # complete in the store already, so not fetched
    fetched: bool = False
    truncated: bool = False  # cut short by max_results
    settled: bool = False   # old enough that arXiv will add no more papers to it
    papers: int = 0

    @property
    def complete(self) -> bool:
        """Fetched now, whole, and final: the store may skip it from now on."""
        return self.fetched and not self.truncated and self.settled

    def search(self, max_results: int | None) -> arxiv.Search:
        span = f"{self.day:%Y%m%d}0000 TO {self.day:%Y%m%d}2359"
        return arxiv.Search(query=f"{self.key} AND submittedDate:[{span}]", max_results=max_results,
                            sort_by=arxiv.SortCriterion.SubmittedDate,
                            sort_order=arxiv.SortOrder.Ascending)


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
    if value is None or value == "":
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
    """The arXiv query a window fetches, without its dates: what the store remembers."""
    parts = [f"cat:{category}" if category else None, f"({query})" if query else None]
    return " AND ".join(p for p in parts if p)


def _report(windows: list[_Window], stored: str | None, n_papers: int, requests_made: int) -> str:
    clauses = []
    stopped = any(w.truncated or not (w.fetched or w.cached) for w in windows)
    for label in dict.fromkeys(w.label for w in windows):
        mine = [w for w in windows if w.label == label]
        fetched = [w for w in mine if w.fetched]
        cached = [w for w in mine if w.cached]
        days = f"{label}: {len(mine)} day{'s' * (len(mine) != 1)}"
        if len(cached) == len(mine):
            clauses.append(f"{days}, all already in the store")
            continue
        parts = [f"{days}, {len(fetched)} fetched ({sum(w.papers for w in fetched)} papers), "
                 f"{len(cached)} already in the store"]
        empty = [w.day for w in fetched if w.papers == 0]
        if empty:
            parts.append("0 papers on " + ", ".join(
                f"{d} ({'a weekend' if d.weekday() >= 5 else 'a weekday: nothing matched, or a holiday'})"
                for d in empty))
        unsettled = [w for w in fetched if not w.settled]
        if unsettled:
            parts.append(f"{len(unsettled)} recent day{'s' * (len(unsettled) != 1)} will be fetched "
                         f"again next time (arXiv may still announce papers submitted then)")
        clauses.append("; ".join(parts))
    tail = f"{n_papers} papers, {requests_made} requests"
    if stopped:
        tail += "; stopped at max_results, days it cut short will be fetched again next time"
    if stored:
        tail += f"; {stored}"
    return ". ".join([*clauses, tail]) + "."


def fetch(categories: str | Iterable[str], query: str | None = None, since: str | date | None = None,
          until: str | date | None = None, max_results: int | None = None, *, refresh: bool = False,
          project: Project | None = None, store: Store | None = None,
          client: ArxivClient | None = None) -> pd.DataFrame:
    """Fetch papers submitted from `since` to `until` (UTC days) in `categories`, narrowed by
    an arXiv `query`, as a papers DataFrame; ``df.attrs["report"]`` says what happened.

    With a `store` (or a `project`, whose store is used) windows fetched completely before
    are skipped unless `refresh`, and all papers and window marks are written in one
    transaction at the end, so a failure leaves the store as it was. Days from the last
    ``arxiv.settle_days`` are fetched but never marked complete: arXiv still announces
    papers submitted on them. `since` defaults to ``days_back`` days before `until` (today).
    Without a project the default arXiv settings apply ($LITSCOPE_ARXIV_URL still counts).
    """
    settings_from = project or Project(Path.cwd(), ProjectConfig())
    config = settings_from.config
    categories = _check_categories(categories)
    query = " ".join(query.split()) if query else None
    if not categories and not query:
        raise FetchError("categories: give at least one arXiv category (e.g. cs.CL) or a query")
    if max_results is not None and max_results < 1:
        raise FetchError(f"max_results: must be a positive number, not {max_results}")
    today = datetime.now(timezone.utc).date()
    days = _days(since, until, config.days_back, today)
    if store is None and project is not None:
        store = Store(project.data_dir)
    client = client or ArxivClient(config.arxiv, settings_from.arxiv_url)

    windows = [_Window(category or query, query_key(category, query), day)
               for category in (categories or [None]) for day in days]
    done = {key: store.completed_days(key) if store is not None and not refresh else set()
            for key in dict.fromkeys(w.key for w in windows)}
    for window in windows:
        window.cached = window.day.isoformat() in done[window.key]
        window.settled = (today - window.day).days > client.settings.settle_days
    todo = [w for w in windows if not w.cached]

    results: list[arxiv.Result] = []
    with tqdm(total=len(todo), unit="window", desc="arXiv", disable=None) as bar:
        for window in todo:
            remaining = None if max_results is None else max_results - len(results)
            if remaining == 0:
                break
            found = list(client.results(window.search(remaining)))
            results.extend(found)
            window.fetched = True
            window.truncated = len(found) < client.total_results
            window.papers = len({split_arxiv_id(r.entry_id)[0] for r in found})
            bar.update()
            bar.set_postfix_str(f"{window.label} {window.day}: {len(results)} papers, "
                                f"{client.requests} requests")

    papers = papers_from_results(results)
    stored = None
    if store is not None:
        counts = store.add_papers(papers, windows=[(w.key, w.day.isoformat(), w.papers)
                                                   for w in windows if w.complete])
        stored = f"{counts['added']} new, {counts['updated']} updated in {store.path}"
    papers.attrs["report"] = _report(windows, stored, len(papers), client.requests)
    return papers
