"""A year of daily publishing: the design of benchmarks/PUBLISH-DESIGN.md on a synthetic
review of 365 days x 10 curated papers (3,650 papers, from a store of 36,500), rendered by
real Quarto.

Measured, in one run: writing the pages (`litscope.publish.archive`); the cold `quarto
render` of the whole project (wall and CPU time, peak summed RSS of its process tree);
one more day as `litscope update` would publish it (add the day's 100 papers to the
store, write what changed, `quarto render` of the changed pages only, post-render); and
the floor: a bare Quarto website of one-paragraph pages, as many as the design renders.
Quarto runs at nice 10 (the machine is shared); CPU seconds compare better than wall
seconds when other work runs. Set LITSCOPE_BENCH_DAYS to measure fewer days.
"""
from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import yaml

from litscope.publish import find_quarto
from litscope.publish.archive import (FEED_FILE, finish_site, paper_anchor, write_archive, write_feed)
from litscope.publish.citations import write_bibliography
from litscope.publish.prisma import prisma_counts, prisma_mermaid
from litscope.schema import papers_frame
from litscope.store import Store
from peak import run_measured
from synth import corpus

DAYS = int(os.environ.get("LITSCOPE_BENCH_DAYS", 365))
PER_DAY, STORE_PER_DAY = 10, 100
#: The year's first day: the day after the year is 2025-12-31, a day like any other (a
#: new year's first day also renders the archive page and the new year's page).
FIRST_DAY = pd.Timestamp("2024-12-31", tz="UTC")
TOPICS = ["Efficient inference", "Alignment", "Agents", "Reasoning", "Multimodal models",
          "Pretraining", "Evaluation", "Retrieval", "Safety", "Theory", "Speech", "Robotics"]
#: A word only the score tables hold: search must not find it.
SCORE_WORD = "scoretableterm"
SITE_URL = "https://example.org/year/"
TARGETS = {"cold_minutes": 15, "cold_peak_gib": 2, "day_seconds": 60}


def _papers(days: int) -> pd.DataFrame:
    """`days` x 100 synthetic papers, a day each, the first 10 of a day its curated ones
    (with topics, tags, a generated TL;DR on half of them)."""
    n = (days + 1) * STORE_PER_DAY
    frame = pq.read_table(corpus(n)).to_pandas()
    frame["published"] = FIRST_DAY + pd.to_timedelta(np.arange(n) // STORE_PER_DAY, unit="D")
    frame["abs_url"] = "https://arxiv.org/abs/" + frame["id"]
    frame["pdf_url"] = "https://arxiv.org/pdf/" + frame["id"]
    frame["source"] = "arxiv"
    rng = np.random.default_rng(0)
    frame["topic"] = rng.choice(TOPICS, n)
    frame["tags"] = [[f"tag{t}" for t in rng.choice(30, 2, replace=False)] for _ in range(n)]
    frame["tldr"] = [a[:180] if i % 2 else None for i, a in enumerate(frame["abstract"])]
    frame["summary_source"] = ["llm:gpt-4o-mini" if i % 2 else None for i in range(n)]
    return papers_frame(frame)


def _curated(store_papers: pd.DataFrame, days: int) -> pd.DataFrame:
    day = (store_papers["published"] - FIRST_DAY).dt.days
    return store_papers[(day < days) & (np.arange(len(store_papers)) % STORE_PER_DAY < PER_DAY)]


def _explain(paper_id: str) -> str:
    return ("Why it was chosen: the profile's terms it matches.\n\n| Term | Field | Matches | Contribution |\n"
            f"|---|---|---|---|\n| {SCORE_WORD} | abstract | 2 | 1.20 |\n| inference | title | 1 | 0.80 |")


def _project(root: Path, store: Store, curated: pd.DataFrame) -> dict:
    """The review project around the pages: config with a post-render step, front page,
    methods page with the PRISMA diagram, a review page that cites two papers."""
    config = {
        "project": {"type": "website", "output-dir": "_site", "post-render": "finish.py",
                    "render": ["/*.qmd", "/curated/**/*.qmd"]},
        "website": {"title": "A year of papers", "site-url": SITE_URL,
                    "navbar": {"left": [{"href": "index.qmd", "text": "Papers"},
                                        {"href": "curated/archive.qmd", "text": "Archive"},
                                        {"href": "review.qmd", "text": "Review"},
                                        {"href": "methods.qmd", "text": "Methods"}]}},
        "format": {"html": {"theme": "cosmo", "toc": True}}}
    (root / "_quarto.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    (root / "finish.py").write_text(
        "from litscope.publish.archive import finish_site\n"
        f"finish_site('_site', 'curated/{FEED_FILE}')\n", encoding="utf-8")
    (root / "index.qmd").write_text("---\ntitle: A year of papers\nmetadata-files:\n  - curated/_listing.yml\n---\n\n"
                                    "What this review covers, and the newest days.\n", encoding="utf-8")
    chart = prisma_mermaid(prisma_counts(store, included=curated["id"]))
    latest = {"id": "latest", "contents": "curated/days/????-??-??.qmd", "type": "table", "sort": "date desc",
              "max-items": 1, "fields": ["date", "title", "description"], "sort-ui": False, "filter-ui": False}
    meta = yaml.safe_dump({"title": "Methods", "listing": latest}, sort_keys=False)
    (root / "methods.qmd").write_text(f"---\n{meta}---\n\nThe newest day:\n\n::: {{#latest}}\n:::\n\n"
                                      f"## Flow of records\n\n```{{mermaid}}\n{chart}```\n", encoding="utf-8")
    return config


def _write(root: Path, store: Store, curated: pd.DataFrame) -> tuple[list[str], pd.DataFrame]:
    pages = root / "curated"
    citations = write_bibliography(curated, pages / "references.bib")
    written = write_archive(curated, pages, listing_prefix="curated/", citations=citations, explain=_explain)
    write_feed(curated, SITE_URL, pages / FEED_FILE, title="A year of papers")
    return [f"curated/{w}" for w in written], citations


def _review(root: Path, citations: pd.DataFrame) -> None:
    keys = citations["key"].tolist()
    (root / "review.qmd").write_text(
        f"---\ntitle: Review\nbibliography: curated/references.bib\n---\n\nAs [@{keys[0]}] and @{keys[1]} "
        "show, the field moves fast.\n", encoding="utf-8")


def _plain(output: str) -> str:
    """Quarto's output without its colours and carriage returns."""
    return re.sub(r"\x1b\[[0-9;]*m|\r", "", output)


def _problems(output: str) -> list[str]:
    return [line for line in (l.strip() for l in _plain(output).splitlines())
            if re.match(r"^(?:WARN|WARNING|ERROR)\b|^\[(?:WARNING|ERROR)\]", line)]


def _checks(site: Path, curated: pd.DataFrame) -> dict:
    """What a reader relies on: search finds papers by their abstracts and not by score
    tables; every feed item links to a section that exists; the sitemap lists the days."""
    import re
    docs = json.loads((site / "search.json").read_text(encoding="utf-8"))
    sections = {d["href"] for d in docs if "#paper-" in d["href"]}
    word = curated["abstract"].iloc[-1].split()[5].lower()
    feed = (site / "index.xml").read_text(encoding="utf-8")
    links = re.findall(r"<link>([^<]+#paper-[^<]+)</link>", feed)
    broken = [l for l in links if not (site / l.removeprefix(SITE_URL).split("#")[0]).is_file()
              or f'id="{l.split("#")[1]}"' not in (site / l.removeprefix(SITE_URL).split("#")[0]).read_text(encoding="utf-8")]
    return {"paper_sections_in_search": len(sections),
            "search_finds_abstract_word": any(word in d["text"].lower() for d in docs
                                              if d["href"].endswith(paper_anchor(curated["id"].iloc[-1]))),
            "search_hits_score_word": sum(SCORE_WORD in d["text"] for d in docs),
            "feed_items": len(links), "feed_links_broken": len(broken),
            "sitemap_days": (site / "sitemap.xml").read_text(encoding="utf-8").count("/curated/days/2")}


def run() -> str:
    quarto = find_quarto()
    if quarto is None:
        return "### A year of daily publishing\n\nQuarto is not installed: nothing measured."
    env = {"QUARTO_PYTHON": sys.executable}
    figures: dict = {"days": DAYS}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = os.environ.get("LITSCOPE_BENCH_KEEP", tmp)   # a folder to keep the projects in
        root = Path(tmp) / "review"
        root.mkdir()
        papers = _papers(DAYS)
        store = Store(root / "data")
        start = time.perf_counter()
        store.add_papers(papers[(papers["published"] - FIRST_DAY).dt.days < DAYS])
        figures["store_fill"] = time.perf_counter() - start
        figures["store_papers"] = store.count()
        curated = _curated(papers, DAYS)
        start = time.perf_counter()
        written, citations = _write(root, store, curated)
        figures["write_pages"] = time.perf_counter() - start
        figures["pages_written"] = len(written)
        _project(root, store, curated)
        _review(root, citations)
        cold = run_measured([quarto, "render"], root, env)
        assert cold.returncode == 0, cold.output[-3000:]
        site = root / "_site"
        figures["pages"] = len([p for p in site.rglob("*.html") if "site_libs" not in p.parts])
        figures["cold"], figures["cold_problems"] = cold, _problems(cold.output)
        figures["checks_cold"] = _checks(site, curated)

        # one more day, as `litscope update` publishes it
        day = papers[(papers["published"] - FIRST_DAY).dt.days == DAYS]
        start = time.perf_counter()
        store.add_papers(day)
        curated = _curated(papers, DAYS + 1)
        written, citations = _write(root, store, curated)
        _project(root, store, curated)   # the methods page's counts change with the store
        prepared = time.perf_counter() - start
        # the listing pages over the days that Quarto rendered before (front page, the
        # month's page, methods) it adds by itself to the render of a new day's page
        changed = sorted(w for w in written if w.endswith(".qmd") and not (
            re.search(r"^curated/\d{4}-\d{2}\.qmd$", w) and (site / w).with_suffix(".html").is_file()))
        more = run_measured([quarto, "render", *(str(root / c) for c in changed), "--to", "html"], root, env)
        assert more.returncode == 0, more.output[-3000:]
        figures["day"] = {"prepare": prepared, "render": more, "files": changed,
                          "rendered": re.findall(r"^\[\s*\d+/\d+\] (\S+)", _plain(more.output), re.M),
                          "problems": _problems(more.output)}
        figures["checks_day"] = _checks(site, curated)

        floor_root = Path(tmp) / "floor"
        (floor_root / "pages").mkdir(parents=True)
        (floor_root / "_quarto.yml").write_text(yaml.safe_dump(
            {"project": {"type": "website"}, "website": {"title": "floor"},
             "format": {"html": {"theme": "cosmo", "toc": True}}}), encoding="utf-8")
        (floor_root / "index.qmd").write_text("---\ntitle: Home\n---\n\nHome.\n", encoding="utf-8")
        for i in range(figures["pages"] - 1):
            (floor_root / "pages" / f"p{i:05d}.qmd").write_text(
                f"---\ntitle: Page {i}\n---\n\nOne paragraph of text, page {i}.\n", encoding="utf-8")
        figures["floor"] = run_measured([quarto, "render"], floor_root, env)
    (Path(__file__).parent / ".cache").mkdir(exist_ok=True)
    return _report(figures)


def _report(f: dict) -> str:
    cold, floor, day = f["cold"], f["floor"], f["day"]
    per_page = floor.seconds / f["pages"]
    one_more = day["prepare"] + day["render"].seconds
    held = (cold.seconds / 60 <= TARGETS["cold_minutes"] and cold.peak_mib / 1024 <= TARGETS["cold_peak_gib"]
            and one_more <= TARGETS["day_seconds"])
    return "\n".join([
        "### A year of daily publishing (`benchmarks/publish_year.py`, design in `PUBLISH-DESIGN.md`)",
        "",
        f"A synthetic review of {f['days']} days x {PER_DAY} curated papers ({f['days'] * PER_DAY:,} papers) from a "
        f"store of {f['store_papers']:,} papers: a page per day with its papers as sections, "
        f"a page per month (its days and topics), an archive page, a front page listing the newest {14} days, a methods page "
        f"with the PRISMA diagram, a review page citing two papers; Quarto {f['pages']} pages in all. Quarto "
        "ran at nice 10 on a machine shared with other work: CPU seconds are the figure to compare.",
        "",
        "| step | wall | CPU | peak RSS (process tree) |",
        "|---|---|---|---|",
        f"| fill the store ({f['store_papers']:,} papers) | {f['store_fill']:.1f} s | | |",
        f"| write the pages, bibliography and feed ({f['pages_written']} files) | {f['write_pages']:.1f} s | | |",
        f"| cold `quarto render` of the year ({f['pages']} pages) | {cold.seconds / 60:.1f} min | {cold.cpu / 60:.1f} min | {cold.peak_mib:,.0f} MiB |",
        f"| floor: bare website of {f['pages']} one-paragraph pages | {floor.seconds / 60:.1f} min | {floor.cpu / 60:.1f} min | {floor.peak_mib:,.0f} MiB |",
        f"| one more day: store, pages, bibliography, feed | {day['prepare']:.1f} s | | |",
        f"| one more day: `quarto render` of {len(day['files'])} changed page(s); Quarto adds the listing pages: {', '.join(day['rendered'])}; post-render | "
        f"{day['render'].seconds:.1f} s | {day['render'].cpu:.1f} s | {day['render'].peak_mib:,.0f} MiB |",
        "",
        f"Cold render / floor: {cold.seconds / floor.seconds:.2f} (wall), {cold.cpu / floor.cpu:.2f} (CPU). "
        f"The floor's {per_page:.2f} s a page means a page per paper ({f['days'] * PER_DAY:,} pages) would take "
        f"at least {per_page * f['days'] * PER_DAY / 60:.0f} min. One more day in all: {one_more:.1f} s. "
        f"Targets (cold <= {TARGETS['cold_minutes']} min at <= {TARGETS['cold_peak_gib']} GiB, a day <= "
        f"{TARGETS['day_seconds']} s): {'held' if held else 'NOT held'}.",
        "",
        f"The cold render peaked {cold.peak_at / 60:.1f} min in, after Quarto printed "
        f"`{_plain(cold.peak_line)[:80]}`. "
        f"Quarto's warnings: cold {len(f['cold_problems'])}, one more day {len(day['problems'])}"
        + (f" (first: {(f['cold_problems'] + day['problems'])[0]})" if f["cold_problems"] + day["problems"] else "") + ". "
        f"Checks after the cold render: {json.dumps(f['checks_cold'])}; after one more day: "
        f"{json.dumps(f['checks_day'])}. Pages one more day rendered: {', '.join(day['files'][:8])}"
        + (" ..." if len(day["files"]) > 8 else "") + ".",
    ])
