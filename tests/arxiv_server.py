"""A local stand-in for arXiv for tests: the search API (export.arxiv.org/api/query), the
listing feeds (``/rss/CATS``, ``/atom/CATS``, see arxiv_feeds.py) and OAI-PMH (``/oai``, see
arxiv_oai.py), all serving one corpus.

It answers ``search_query`` (``cat:`` terms, alone or OR-ed in parentheses,
``submittedDate:[.. TO ..]`` and ``ti:/abs:/all:`` terms joined by AND), ``id_list``,
``start``, ``max_results`` and ``sortBy=submittedDate``, by GET or POST, with realistic
Atom XML, records every request, and plays scripted faults in order: HTTP errors (with
``Retry-After``), malformed XML, an empty page without totalResults, a page without
entries, and slow answers.
"""
from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit
from xml.sax.saxutils import escape, quoteattr

import arxiv_feeds
import arxiv_oai

FEED_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
             '<feed xmlns="http://www.w3.org/2005/Atom" '
             'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
             'xmlns:arxiv="http://arxiv.org/schemas/atom">\n')


@dataclass
class Entry:
    """One listed version of a paper."""
    id: str
    version: int
    published: datetime
    updated: datetime
    title: str
    authors: list[tuple[str, str | None]]   # (name, affiliation)
    abstract: str
    primary: str
    categories: list[str]
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None

    def xml(self) -> str:
        vid = f"{self.id}v{self.version}"
        lines = [
            "  <entry>",
            f"    <id>http://arxiv.org/abs/{vid}</id>",
            f"    <updated>{self.updated:%Y-%m-%dT%H:%M:%SZ}</updated>",
            f"    <published>{self.published:%Y-%m-%dT%H:%M:%SZ}</published>",
            f"    <title>{escape(self.title)}</title>",
            f"    <summary>{escape(self.abstract)}</summary>",
            *(f"    <author>\n      <name>{escape(name)}</name>"
              + (f"\n      <arxiv:affiliation>{escape(aff)}</arxiv:affiliation>" if aff else "")
              + "\n    </author>" for name, aff in self.authors),
            *([f"    <arxiv:doi>{escape(self.doi)}</arxiv:doi>",
               f'    <link title="doi" href="http://dx.doi.org/{escape(self.doi)}" rel="related"/>']
              if self.doi else []),
            *([f"    <arxiv:comment>{escape(self.comment)}</arxiv:comment>"] if self.comment else []),
            *([f"    <arxiv:journal_ref>{escape(self.journal_ref)}</arxiv:journal_ref>"]
              if self.journal_ref else []),
            f'    <link href="http://arxiv.org/abs/{vid}" rel="alternate" type="text/html"/>',
            f'    <link title="pdf" href="http://arxiv.org/pdf/{vid}" rel="related" type="application/pdf"/>',
            f'    <arxiv:primary_category term="{self.primary}" scheme="http://arxiv.org/schemas/atom"/>',
            *(f'    <category term="{c}" scheme="http://arxiv.org/schemas/atom"/>' for c in self.categories),
            "  </entry>",
        ]
        return "\n".join(lines)


_TOPICS = ["Speculative Decoding", "Direct Preference Optimization", "Retrieval-Augmented Generation",
           "Tool-Using Agents", "KV-Cache Compression", "Multilingual Evaluation",
           "Chain-of-Thought Faithfulness", "Mixture-of-Experts Routing", "Long-Context Attention",
           "Instruction Tuning"]
_AUTHORS = [("Zoë Müller", "ETH Zürich"), ("李明", None), ("Ana García-López", None),
            ("Kwame Mensah", "University of Ghana"), ("Priya Raghavan", None), ("Jonas Berg", None)]
#: cs.CL-primary and cs.LG-only papers submitted per day; 2025-12-06 is a Saturday with none.
CL_PER_DAY = {date(2025, 12, 1): 5, date(2025, 12, 2): 3, date(2025, 12, 3): 4, date(2025, 12, 4): 2,
              date(2025, 12, 5): 3, date(2025, 12, 6): 0, date(2025, 12, 7): 1}
LG_PER_DAY = {date(2025, 12, 1): 2, date(2025, 12, 2): 1, date(2025, 12, 4): 1, date(2025, 12, 5): 2}
#: Listed twice, as v1 and v2, as arXiv does while it re-indexes a new version.
TWICE_LISTED = "2512.00003"


def sample_entries() -> list[Entry]:
    """The fixture corpus: papers for 2025-12-01..07; every third cs.CL paper is cross-listed
    to cs.LG, every fourth has a v2, one is listed as both v1 and v2."""
    entries: list[Entry] = []
    n = 0
    for day in sorted(CL_PER_DAY):
        plan = ["cs.CL"] * CL_PER_DAY[day] + ["cs.LG"] * LG_PER_DAY.get(day, 0)
        for i, primary in enumerate(plan):
            n += 1
            cross = primary == "cs.CL" and n % 3 == 0
            categories = [primary, "cs.LG"] if cross else [primary, "stat.ML"] if primary == "cs.LG" else [primary]
            published = datetime(day.year, day.month, day.day, 9 + i, 7 * i, 11, tzinfo=timezone.utc)
            topic = _TOPICS[n % len(_TOPICS)]
            entry = Entry(
                id=f"2512.{n:05d}", version=1, published=published, updated=published,
                title=f"{topic} at Scale:\n  Lessons from {n} Experiments",
                authors=[_AUTHORS[(n + k) % len(_AUTHORS)] for k in range(1 + n % 3)],
                abstract=(f"We study {topic.lower()} in large language models.\nOur method improves "
                          f"accuracy by {n}% on <benchmark> tasks & reduces cost.\n"),
                primary=primary, categories=categories,
                comment=f"{8 + n % 5} pages, {n % 4 + 1} figures" if n % 2 else None,
                journal_ref="Proceedings of ACL 2026" if n % 5 == 0 else None,
                doi=f"10.18653/v1/2026.acl-{n}" if n % 5 == 0 else None)
            if entry.id == TWICE_LISTED:
                entries.append(entry)
            if n % 4 == 0 or entry.id == TWICE_LISTED:
                entry = Entry(**{**entry.__dict__, "version": 2,
                                 "updated": published + timedelta(days=2, hours=3)})
            entries.append(entry)
    return entries


_TEXT: dict[str, Callable[[Entry], str]] = {
    "ti": lambda e: " ".join(e.title.split()).lower(),
    "abs": lambda e: " ".join(e.abstract.split()).lower(),
    "all": lambda e: " ".join(f"{e.title} {e.abstract}".split()).lower(),
}


@dataclass
class Fault:
    """A scripted answer: an HTTP error, broken content, or a slow reply."""
    kind: str   # "status", "rejected", "malformed", "no_total", "no_entries", "slow", "oai_error", "die", "answer"
    status: int = 503
    retry_after: str | None = None
    seconds: float = 0.0
    message: str = ""
    answer: Callable | None = None   # "answer": writes the whole response (see hostile_http.py)


@dataclass
class Request:
    """A request the server received."""
    path: str
    params: dict[str, str]
    time: float

    @property
    def query(self) -> str:
        return self.params.get("search_query", "")


@dataclass
class ArxivServer:
    """The fixture server; `url` is the API base URL to give litscope."""
    entries: list[Entry] = field(default_factory=sample_entries)
    clock: Callable[[], float] = time.monotonic   # what `Request.time` is measured with
    requests: list[Request] = field(default_factory=list)
    faults: list[Fault | None] = field(default_factory=list)   # None: answer normally
    feed_day: date | None = None   # the day whose announcement the feeds list (default: the last)
    oai_page_size: int = 1000      # records per ListRecords answer, as arXiv gives
    oai_counts: bool = True        # tokens carry cursor and completeListSize

    def __post_init__(self):
        self._lock = threading.Lock()
        self._oai_lists: dict = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server._handle(self)

            def do_POST(self):
                server._handle(self)

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/api/query"

    @property
    def feed_url(self) -> str:
        """The listing feeds' base: append ``cs.CL+cs.LG``."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/rss/"

    @property
    def oai_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/oai"

    def start(self) -> "ArxivServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # -- scripting --------------------------------------------------------------------------
    def _script(self, fault: Fault, times: int, after: int) -> None:
        with self._lock:
            self.faults += [None] * after + [fault] * times

    def fail(self, status: int = 503, times: int = 1, retry_after: str | None = None, after: int = 0) -> None:
        """Answer the next `times` requests (after `after` normal ones) with HTTP `status`."""
        self._script(Fault("status", status=status, retry_after=retry_after), times, after)

    def reject(self, message: str, times: int = 1, after: int = 0) -> None:
        """Answer HTTP 400 with an arXiv error feed carrying `message`."""
        self._script(Fault("rejected", status=400, message=message), times, after)

    def malformed(self, times: int = 1, after: int = 0) -> None:
        """Answer with a page cut off in the middle of an entry."""
        self._script(Fault("malformed"), times, after)

    def no_total(self, times: int = 1, after: int = 0) -> None:
        """Answer with an empty feed that lacks opensearch:totalResults."""
        self._script(Fault("no_total"), times, after)

    def no_entries(self, times: int = 1, after: int = 0) -> None:
        """Answer with the right totalResults but no entries (a known arXiv hiccup)."""
        self._script(Fault("no_entries"), times, after)

    def oai_error(self, code: str, times: int = 1, after: int = 0) -> None:
        """Answer with an OAI-PMH error `code` (HTTP 200, as OAI-PMH does)."""
        self._script(Fault("oai_error", message=code), times, after)

    def die(self, after: int = 0) -> None:
        """After `after` normal answers, drop the connection and shut down for good."""
        self._script(Fault("die"), 1, after)

    def slow(self, seconds: float, times: int = 1, after: int = 0) -> None:
        """Wait `seconds` before answering."""
        self._script(Fault("slow", seconds=seconds), times, after)

    def hostile(self, answer: Callable, times: int = 1, after: int = 0) -> None:
        """Answer with `answer` (hostile_http.py: a dribble, a huge answer, a bomb, ...)."""
        self._script(Fault("answer", answer=answer), times, after)

    # -- answering --------------------------------------------------------------------------
    def select(self, search_query: str, id_list: str = "") -> list[Entry]:
        """The entries a query (and an id list) matches, oldest submission first."""
        found = self.entries
        if id_list:
            ids = set(id_list.split(","))
            found = [e for e in found if e.id in ids]
        for group in re.findall(r"\((cat:[\w.\-]+(?: OR cat:[\w.\-]+)+)\)", search_query):
            cats = set(re.findall(r"cat:([\w.\-]+)", group))
            found = [e for e in found if cats & set(e.categories)]
        search_query = re.sub(r"\(cat:[^()]*\)", "", search_query)
        for cat in re.findall(r"\bcat:([\w.\-]+)", search_query):
            found = [e for e in found if cat in e.categories]
        for low, high in re.findall(r"submittedDate:\[(\d{12}) TO (\d{12})\]", search_query):
            found = [e for e in found if low <= f"{e.published:%Y%m%d%H%M}" <= high]
        for where, phrase, word in re.findall(r"\b(ti|abs|all):(?:\"([^\"]+)\"|(\w+))", search_query):
            found = [e for e in found if (phrase or word).lower() in _TEXT[where](e)]
        return sorted(found, key=lambda e: (e.published, e.id, e.version))

    def page(self, params: dict[str, str], entries: bool = True, total: bool = True) -> str:
        query = params.get("search_query", "")
        start, size = int(params.get("start", 0)), int(params.get("max_results", 10))
        found = self.select(query, params.get("id_list", ""))
        if params.get("id_list"):   # the newest version of each listed paper, in the list's order
            newest = {e.id: e for e in found   # as of the feed day on show, when one is set
                      if self.feed_day is None or arxiv_feeds.announced_on(e.updated) <= self.feed_day}
            found = [newest[i] for i in params["id_list"].split(",") if i in newest]
        shown = found[start:start + size] if entries else []
        link = f"https://arxiv.org/api/query?{urlencode(params)}"
        head = [f"  <link href={quoteattr(link)} rel=\"self\" type=\"application/atom+xml\"/>",
                f"  <title type=\"html\">ArXiv Query: {escape(urlencode(params))}</title>",
                "  <id>http://arxiv.org/api/cHxbiOdZaP56ODnBPIenZhzg5f8</id>",
                "  <updated>2025-12-08T00:00:00-05:00</updated>"]
        if total:
            head += [f"  <opensearch:totalResults>{len(found)}</opensearch:totalResults>",
                     f"  <opensearch:startIndex>{start}</opensearch:startIndex>",
                     f"  <opensearch:itemsPerPage>{size}</opensearch:itemsPerPage>"]
        return FEED_HEAD + "\n".join(head + [e.xml() for e in shown]) + "\n</feed>\n"

    def listing_day(self) -> date:
        """The feed day on show: `feed_day`, else the last day the corpus announces on."""
        return self.feed_day or max(arxiv_feeds.announced_on(e.updated) for e in self.entries)

    def feed(self, path: str) -> str:
        kind, name = path.strip("/").split("/", 1)
        day = self.listing_day()
        items = arxiv_feeds.listing(self.entries, name.split("+"), day)
        return (arxiv_feeds.rss if kind == "rss" else arxiv_feeds.atom)(items, name, day)

    def answer(self, path: str, params: dict[str, str]) -> str:
        """The body of a normal answer to a request for `path`."""
        if path.startswith(("/rss/", "/atom/")):
            return self.feed(path)
        if path == "/oai":
            return arxiv_oai.list_records(self.entries, params, self.oai_page_size, self.oai_counts, self._oai_lists)
        return self.page(params)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        if handler.command == "POST":
            length = int(handler.headers.get("Content-Length", 0))
            params.update(parse_qsl(handler.rfile.read(length).decode(), keep_blank_values=True))
        with self._lock:
            self.requests.append(Request(parts.path, params, self.clock()))
            fault = self.faults.pop(0) if self.faults else None
        if fault is not None and fault.kind == "answer":
            fault.answer(handler)
            return
        status, headers, body = HTTPStatus.OK, {"Content-Type": "application/atom+xml; charset=utf-8"}, ""
        if fault is None or fault.kind == "slow":
            if fault:
                time.sleep(fault.seconds)
            body = self.answer(parts.path, params)
        elif fault.kind == "status":
            status = HTTPStatus(fault.status)
            headers = {"Content-Type": "text/html"} | ({"Retry-After": fault.retry_after} if fault.retry_after else {})
            body = f"<html><body><h1>{status.value} {status.phrase}</h1></body></html>"
        elif fault.kind == "oai_error":
            body = arxiv_oai.error(params, fault.message, f"Scripted {fault.message}")
        elif fault.kind == "die":
            threading.Thread(target=self.stop, daemon=True).start()
            return
        elif fault.kind == "rejected":
            status = HTTPStatus.BAD_REQUEST
            body = FEED_HEAD + _error_entry(fault.message) + "\n</feed>\n"
        elif fault.kind == "malformed":
            page = self.answer(parts.path, params)
            cut = next((page.index(tag) for tag in ("<entry>", "<item>", "<record>") if tag in page), 90)
            body = page[:cut + 30]
        else:
            body = self.page(params, entries=False, total=fault.kind != "no_total")
        data = body.encode("utf-8")
        try:
            handler.send_response(status)
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass   # the client gave up waiting (a scripted slow answer)


def _error_entry(message: str) -> str:
    """An entry as the arXiv API reports a bad request."""
    anchor = re.sub(r"\W+", "_", message)
    return (f"  <opensearch:totalResults>1</opensearch:totalResults>\n"
            f"  <entry>\n    <id>http://arxiv.org/api/errors#{anchor}</id>\n    <title>Error</title>\n"
            f"    <summary>{escape(message)}</summary>\n    <updated>2025-12-08T00:00:00-05:00</updated>\n"
            f"    <author><name>arXiv api core</name></author>\n  </entry>")


if __name__ == "__main__":   # serve the fixture corpus by hand: python tests/arxiv_server.py
    import sys
    server = ArxivServer(feed_day=date.fromisoformat(sys.argv[1]) if len(sys.argv) > 1 else None).start()
    root = server.url.removesuffix("/api/query")
    print(f"export LITSCOPE_ARXIV_URL={server.url} LITSCOPE_ARXIV_FEED_URL={root}/rss/ "
          f"LITSCOPE_ARXIV_OAI_URL={root}/oai", flush=True)
    try:
        server._thread.join()
    except KeyboardInterrupt:
        server.stop()
