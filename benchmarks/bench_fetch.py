"""Fetching at real volumes against the fixture arXiv (tests/arxiv_server.py): requests per
task, the wall time they imply at arXiv's 3-second spacing, and parse throughput.

The corpus is a busy review's: cs.CL + cs.LG + cs.AI + cs.DC, ~650 distinct papers a day
(~1,000 listings with cross-lists, cs.LG ~400), plus other categories' papers that the
queries must leave out. Requests are counted on the server, deterministically; the client
runs with no delay and the implied wall time is requests x 3 s. The baseline for the
search is the strategy litscope had before (one query per category and day, pages of
100), run on the same server. Parse throughput is entries per second for an API page
(Atom), a listing feed (RSS), an OAI-PMH page and the snapshot's JSON lines, each next to
the time to merely read the same bytes from disk and decode them as UTF-8.
"""
from __future__ import annotations

import math
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import arxiv_snapshot  # noqa: E402
from arxiv_server import ArxivServer, Entry  # noqa: E402

from litscope.config import ArxivSettings  # noqa: E402
from litscope.sources._http import ArxivClient  # noqa: E402
from litscope.sources.announcements import fetch_new, parse_listing  # noqa: E402
from litscope.sources.arxiv_api import fetch  # noqa: E402
from litscope.sources.oai import harvest, parse_page  # noqa: E402
from litscope.store import Store  # noqa: E402

CATEGORIES = ["cs.CL", "cs.LG", "cs.AI", "cs.DC"]
SHARE = {"cs.LG": 0.615, "cs.CL": 0.4, "cs.AI": 0.4, "cs.DC": 0.12}   # of a day's 650 papers
DAYS = [date(2025, 12, 1), date(2025, 12, 2), date(2025, 12, 3)]       # Monday to Wednesday
NOW = datetime(2025, 12, 4, 15, 0, tzinfo=timezone.utc)                # Thursday, 10:00 in New York
LATER = datetime(2025, 12, 4, 23, 0, tzinfo=timezone.utc)              # 18:00: nothing announced since
NEXT = datetime(2025, 12, 5, 3, 0, tzinfo=timezone.utc)                # Thursday's announcement is out
SPACING = 3.0
BULK = 100_000
WORDS = ("language model attention decoding speculative cache retrieval agent reward policy alignment "
         "benchmark training inference efficient sparse quantization token context reasoning").split()


def corpus(days: list[date], per_day: int = 650, others: int = 350, seed: int = 0, first: int = 0) -> list[Entry]:
    """A day's submissions at a busy review's volume, and papers of other categories;
    numbered from `first` (ids stay distinct within a month)."""
    rng, entries, n = random.Random(seed), [], first
    for day in days:
        for k in range(per_day + others):
            n += 1
            if k < per_day:
                ours = [c for c in CATEGORIES if rng.random() < SHARE[c]] or [rng.choice(CATEGORIES)]
                primary = ours[0] if rng.random() < 0.9 else "stat.ML"
                cats = list(dict.fromkeys([primary, *ours]))
            else:
                cats = [rng.choice(["cs.CV", "cs.RO", "math.OC", "hep-th"])]
            when = datetime(day.year, day.month, day.day, tzinfo=timezone.utc) + timedelta(seconds=rng.randrange(86400))
            version = 1 + (rng.random() < 0.2)
            words = " ".join(rng.choice(WORDS) for _ in range(170))
            entries.append(Entry(
                id=f"{day:%y%m}.{n % 100_000:05d}", version=version, published=when,
                updated=when + timedelta(days=version - 1), title=" ".join(words.split()[:10]).title(),
                authors=[(f"Author {rng.randrange(5000)}", None) for _ in range(rng.randint(1, 8))],
                abstract=words, primary=cats[0], categories=cats,
                comment="12 pages" if rng.random() < 0.5 else None,
                doi=f"10.1000/{n}" if rng.random() < 0.1 else None))
    return entries


def _client(server: ArxivServer, **settings) -> ArxivClient:
    return ArxivClient(ArxivSettings(delay_seconds=0, backoff_seconds=0, **settings), server.url,
                       feed_url=server.feed_url, oai_url=server.oai_url)


def _wall(requests: int) -> str:
    return f"{requests * SPACING:.0f} s" if requests * SPACING < 120 else f"{requests * SPACING / 60:.1f} min"


def _row(task: str, requests: int, why: str) -> str:
    return f"| {task} | {requests} | {_wall(requests)} | {why} |"


def search_cases(tmp: Path) -> tuple[list[str], dict]:
    server = ArxivServer(entries=corpus(DAYS)).start()
    rows, figures = [], {}
    try:
        ours = [e for e in server.entries if set(e.categories) & set(CATEGORIES)]
        figures["papers"], figures["listings"] = len(ours), sum(len(set(e.categories) & set(CATEGORIES)) for e in ours)
        for category in CATEGORIES:        # before: a query per category and day, pages of 100
            fetch(category, since=DAYS[0], until=DAYS[-1], now=NOW,
                  client=_client(server, page_size=100, days_per_request=1))
        before = len(server.requests)
        rows.append(_row("3 days x 4 categories, one query per category and day, pages of 100 (before)",
                         before, "what `litscope fetch` asked before this change"))
        server.requests.clear()
        store = Store(tmp / "search")
        first = fetch(CATEGORIES, since=DAYS[0], until=DAYS[-1], now=NOW, store=store, client=_client(server))
        rows.append(_row("3 days x 4 categories (`litscope fetch --since`)", len(server.requests),
                         f"{len(first)} papers; one OR-ed search of the 3 days, pages of 2,000"))
        figures["search"] = len(server.requests)
        server.requests.clear()
        fetch(CATEGORIES, since=DAYS[0], until=DAYS[-1], now=NOW, store=Store(tmp / "per-day"),
              client=_client(server, days_per_request=1))
        rows.append(_row("the same, `arxiv.days_per_request: 1`", len(server.requests), "one search per day"))
        server.requests.clear()
        fetch(CATEGORIES, since=DAYS[0], until=DAYS[-1], now=LATER, store=store, client=_client(server))
        rows.append(_row("the same command again, before arXiv's next announcement", len(server.requests),
                         "the 3 days are unsettled but unchanged since they were fetched"))
        figures["again"] = len(server.requests)
        server.requests.clear()
        fetch(CATEGORIES, since=DAYS[0], until=DAYS[-1], now=NEXT, store=store, client=_client(server))
        rows.append(_row("the same command after the next announcement", len(server.requests),
                         "the unsettled days asked again"))
        server.requests.clear()
        fetch([*CATEGORIES, "stat.ML"], since=DAYS[0], until=DAYS[-1], now=LATER, store=store,
              client=_client(server))
        rows.append(_row("adding a category (stat.ML) before the next announcement", len(server.requests),
                         "only the new category's windows"))
    finally:
        server.stop()
    return rows, figures


def announcement_cases(tmp: Path) -> list[str]:
    server = ArxivServer(entries=corpus(DAYS + [date(2025, 12, 4)], seed=1)).start()
    rows = []
    try:
        server.feed_day = date(2025, 12, 5)           # Friday's listing: Thursday's submissions
        store = Store(tmp / "new")
        new = fetch_new(CATEGORIES, store=store, client=_client(server), now=datetime(2025, 12, 5, 12, tzinfo=timezone.utc))
        kinds = new["announce_type"].value_counts().to_dict()
        rows.append(_row("one day's announcement (`litscope fetch --new`), empty store", len(server.requests),
                         f"1 feed request for {'+'.join(CATEGORIES)} ({len(new)} papers: "
                         + ", ".join(f"{v} {k}" for k, v in kinds.items())
                         + f") + {len(server.requests) - 1} `id_list` request for their metadata"))
        server.requests.clear()
        fetch_new(CATEGORIES, store=store, client=_client(server), now=datetime(2025, 12, 5, 20, tzinfo=timezone.utc))
        rows.append(_row("the same again before the feed's next rebuild", len(server.requests),
                         "the feed was read since its last rebuild"))
    finally:
        server.stop()
    return rows


def bulk_case(tmp: Path) -> tuple[list[str], dict]:
    entries, day = [], date(2025, 1, 1)
    while len(entries) < BULK:                     # day after day until BULK cs.LG records
        entries += [e for e in corpus([day], others=0, seed=day.toordinal(), first=(day - date(2025, 1, 1)).days * 650)
                    if "cs.LG" in e.categories]
        day += timedelta(days=1)
    entries = entries[:BULK]
    server = ArxivServer(entries=entries).start()
    try:
        start = time.perf_counter()
        report = harvest("cs.LG", "2025-01-01", store=Store(tmp / "bulk"), client=_client(server))
        seconds = time.perf_counter() - start
        page = server.oai_page_size
        row = _row(f"bulk harvest of {BULK:,} records (`litscope fetch --bulk`, OAI-PMH set cs:cs:LG)",
                   len(server.requests), f"{report.pages} pages of {page} records (the server's page size): "
                                         f"{math.ceil(BULK / page)} is the fewest; {seconds:.0f} s here")
        return [row], {"bulk": len(server.requests), "bulk_seconds": seconds}
    finally:
        server.stop()


def _floor(path: Path, repeats: int = 5) -> float:
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        path.read_bytes().decode("utf-8")
        best = min(best, time.perf_counter() - start)
    return best


def _timed(function, repeats: int = 3) -> float:
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def _snapshot_child(lines: Path, out: Path, **filters) -> tuple[int, float, int]:
    """Import the snapshot in a fresh process: papers kept, seconds, peak RSS in KiB (VmHWM:
    getrusage's maxrss would carry the parent's peak across exec)."""
    code = ("import re, time; from pathlib import Path; from litscope.sources.snapshot import import_snapshot; "
            f"t = time.perf_counter(); r = import_snapshot({str(lines)!r}, {str(out)!r}, **{filters!r}); "
            "print(r.kept, time.perf_counter() - t, "
            "re.search(r'VmHWM:\\s+(\\d+)', Path('/proc/self/status').read_text()).group(1))")
    kept, seconds, peak = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                         check=True).stdout.split()
    return int(kept), float(seconds), int(peak)


def parse_cases(tmp: Path) -> tuple[list[str], dict]:
    server = ArxivServer(entries=corpus(DAYS, seed=3))
    server.feed_day, server.oai_page_size = date(2025, 12, 3), 1000
    from arxiv._feed import parse as parse_atom
    documents = {
        "Atom (API page)": (server.page({"search_query": "(" + " OR ".join(f"cat:{c}" for c in CATEGORIES) + ")",
                                         "max_results": "2000"}),
                            lambda b: parse_atom(b).results),
        "RSS (listing feed)": (server.feed("/rss/" + "+".join(CATEGORIES)), lambda b: parse_listing(b)[1]),
        "OAI-PMH (arXivRaw page)": (server.answer("/oai", {"verb": "ListRecords", "metadataPrefix": "arXivRaw"}),
                                    lambda b: parse_page(b, "arXivRaw").records),
    }
    rows = []
    for name, (text, parse) in documents.items():
        path = tmp / f"{name.split()[0]}.xml"
        path.write_text(text, encoding="utf-8")
        n = len(parse(path.read_bytes()))
        seconds = _timed(lambda: parse(path.read_bytes()))
        floor = _floor(path)
        rows.append(f"| {name} | {n} | {path.stat().st_size / 1e6:.1f} MB | {n / seconds:,.0f} | "
                    f"{n / floor:,.0f} | {seconds / floor:.0f}x |")
    lines = tmp / "snapshot.json"
    arxiv_snapshot.write(lines, BULK)
    floor = _floor(lines, repeats=3)
    kept, seconds, peak_kib = _snapshot_child(lines, tmp / "parts")
    kept_f, seconds_f, peak_f = _snapshot_child(lines, tmp / "parts-cl", categories=["cs.CL"], since="2023-06-01")
    rows.append(f"| snapshot JSON lines -> Parquet (all kept) | {BULK:,} | {lines.stat().st_size / 1e6:.0f} MB | "
                f"{BULK / seconds:,.0f} | {BULK / floor:,.0f} | {seconds / floor:.0f}x |")
    rows.append(f"| snapshot, `--cat cs.CL --since 2023-06-01` ({kept_f:,} kept) | {BULK:,} | "
                f"{lines.stat().st_size / 1e6:.0f} MB | {BULK / seconds_f:,.0f} | {BULK / floor:,.0f} | "
                f"{seconds_f / floor:.0f}x |")
    return rows, {"peak_mib": peak_kib / 1024, "peak_filtered_mib": peak_f / 1024,
                  "snapshot_seconds": seconds, "kept": kept,
                  "full_file_minutes": seconds / BULK * 2_900_000 / 60}


def run() -> str:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        search, figures = search_cases(tmp)
        new = announcement_cases(tmp)
        bulk, bulk_figures = bulk_case(tmp)
        parse, parse_figures = parse_cases(tmp)
    head = "| task | requests | wall time at 3 s apart | why |\n|---|---:|---:|---|"
    return "\n".join([
        "## Fetching (`litscope fetch`, `--new`, `--bulk`, `litscope import` of the snapshot)",
        "",
        f"Against the fixture arXiv at a busy review's volume: {figures['papers'] // len(DAYS)} distinct papers "
        f"a day in {', '.join(CATEGORIES)} ({figures['listings'] // len(DAYS)} listings with cross-lists), "
        f"plus 350 a day in other categories. Requests are counted on the server (deterministic); the "
        f"wall time is what they imply at arXiv's 3 s spacing.",
        "", head, *search, *new, *bulk, "",
        "Parse throughput, entries per second, best of 3, next to reading the same bytes from disk and "
        "decoding them (the floor for any parser):", "",
        "| document | entries | size | parsed /s | read /s | parse / read |", "|---|---:|---:|---:|---:|---:|",
        *parse, "",
        f"The snapshot import of {BULK:,} lines peaks at {parse_figures['peak_mib']:.0f} MiB RSS "
        f"({parse_figures['peak_filtered_mib']:.0f} MiB filtered), in a fresh process; at this rate "
        f"arXiv's 2.9M-line file takes ~{parse_figures['full_file_minutes']:.0f} min unfiltered. "
        f"The bulk harvest took {bulk_figures['bulk_seconds']:.0f} s against the local server.",
    ])


if __name__ == "__main__":
    print(run())
