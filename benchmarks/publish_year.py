"""A year of daily publishing: a review made by `litscope init` whose store holds 365 days x 100
synthetic papers (36,500), of which the daily update published 10 a day (3,650, recorded in
``published/``), rendered by real Quarto (design: benchmarks/PUBLISH-DESIGN.md).

Measured, in one run: recording the year's picks and writing the pages (`record_published`,
`publish_project`: what `litscope update` does after fetching and summarising); the cold
render of the whole project (`quarto render`: wall and CPU time, peak summed RSS of its
process tree); one more day as `litscope update --render` publishes it (the day's 100
papers into the store, its picks recorded, the pages written, then `render_project`: only
the pages that changed); and the floor: a bare Quarto website of one-paragraph pages, as
many as the review's. The project is the one `litscope init` writes — front page, review
page (its code runs at every render; it cites two papers), methods page with the PRISMA
flow, the five notebooks (not executed), archive, month and day pages. Quarto runs at
nice 10 (the machine is shared); CPU seconds compare better than wall seconds when other
work runs. Set LITSCOPE_BENCH_DAYS to measure fewer days.
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

from litscope.config import open_project
from litscope.project import init_project
from litscope.publish import find_quarto, publish_project
from litscope.publish.archive import paper_anchor
from litscope.publish.render import ENV_PAGES_CURRENT
from litscope.publish.site import record_published
from litscope.schema import papers_frame
from litscope.store import Store
from peak import run_measured
from synth import corpus

DAYS = int(os.environ.get("LITSCOPE_BENCH_DAYS", 365))
PER_DAY, STORE_PER_DAY = 10, 100
#: The year's first day: the day after the year is 2025-12-31, a day like any other (a
#: new year's first day also renders the archive page and the new year's month page).
FIRST_DAY = pd.Timestamp("2024-12-31", tz="UTC")
TOPICS = ["Efficient inference", "Alignment", "Agents", "Reasoning", "Multimodal models",
          "Pretraining", "Evaluation", "Retrieval", "Safety", "Theory", "Speech", "Robotics"]
SITE_URL = "https://example.org/year/"
TARGETS = {"cold_minutes": 15, "cold_peak_gib": 2, "day_seconds": 60}
#: The review's profile: terms the synthetic text (a Markov chain of the sample's abstracts)
#: holds, no minimum score, so that every day has its 10 best.
PROFILE = """name: A year of papers
terms:
  - language model: 2
  - inference: 1.5
  - agent: 1.5
  - reasoning: 1
  - quantization: 2
  - /\\befficien(t|tly|cy)\\b/: 1
field_weights: {title: 2, abstract: 1}
min_score: null
top_n: 50
"""


def _papers(days: int) -> pd.DataFrame:
    """`days` + 1 days x 100 synthetic papers, a day each, with topics, tags and a generated
    TL;DR on half of them."""
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


def _of_days(papers: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
    day = (papers["published"] - FIRST_DAY).dt.days
    return papers[(day >= first) & (day < last)]


def _publish(root: Path, day: pd.Timestamp) -> tuple[float, float]:
    """What the daily update does after fetching: record the picks, write the pages."""
    project = open_project(root)
    store = project.store()
    start = time.perf_counter()
    ranking = project.ranking(store).fit(store.papers())
    record_published(project, store=store, ranking=ranking, now=day.to_pydatetime())
    recorded = time.perf_counter() - start
    publish_project(project, store=store, ranking=ranking)
    return recorded, time.perf_counter() - start - recorded


def _cite_two(root: Path) -> list[str]:
    """Two keys of the bibliography, cited in the review page."""
    keys = re.findall(r"^@\w+\{([^,]+),", (root / "curated" / "references.bib").read_text(encoding="utf-8"), re.M)
    review = root / "review.qmd"
    review.write_text(review.read_text(encoding="utf-8") + f"\n## Two papers\n\nAs [@{keys[0]}] and "
                      f"[@{keys[1]}] show, the field moves fast.\n", encoding="utf-8")
    return keys[:2]


def _plain(output: str) -> str:
    """Quarto's output without its colours and carriage returns."""
    return re.sub(r"\x1b\[[0-9;]*m|\r", "", output)


def _problems(output: str) -> list[str]:
    """Quarto's warnings and errors, and any other line that says WARNING (the kernel's)."""
    return [line for line in (l.strip() for l in _plain(output).splitlines())
            if re.search(r"^(?:WARN|ERROR)\b|^\[ERROR\]|WARNING", line)]


def _checks(root: Path, newest: pd.DataFrame, keys: list[str]) -> dict:
    """What a reader relies on: search finds papers by their abstracts and not by score
    tables; every feed item links to a section that exists; the sitemap lists the days;
    the review page has its two references; the methods page draws the PRISMA flow."""
    site = root / "_site"
    docs = json.loads((site / "search.json").read_text(encoding="utf-8"))
    sections = json.loads((root / "curated" / "sections.json").read_text(encoding="utf-8"))
    paper = next(i for i in newest["id"] if i in sections)
    word = newest.set_index("id").at[paper, "abstract"].split()[5].lower()
    feed = (site / "index.xml").read_text(encoding="utf-8")
    links = re.findall(r"<link>([^<]+#paper-[^<]+)</link>", feed)
    broken = [l for l in links if not (site / l.removeprefix(SITE_URL).split("#")[0]).is_file()
              or f'id="{l.split("#")[1]}"' not in (site / l.removeprefix(SITE_URL).split("#")[0]).read_text(encoding="utf-8")]
    review = (site / "review.html").read_text(encoding="utf-8")
    return {"papers_shown": len(sections),
            "paper_sections_in_search": sum("#paper-" in d["href"] for d in docs),
            "search_finds_abstract_word": any(word in d["text"].lower() for d in docs
                                              if d["href"].endswith(paper_anchor(paper))),
            "search_hits_score_table": sum("Why it is here" in d["text"] for d in docs if "#paper-" in d["href"]),
            "feed_items": len(links), "feed_links_broken": len(broken),
            "sitemap_days": (site / "sitemap.xml").read_text(encoding="utf-8").count("/curated/days/2"),
            "review_references": sum(f'id="ref-{k}"' in review for k in keys),
            "methods_prisma": 'class="mermaid' in (site / "curated" / "methods.html").read_text(encoding="utf-8")}


def run() -> str:
    quarto = find_quarto()
    if quarto is None:
        return "### A year of daily publishing\n\nQuarto is not installed: nothing measured."
    env = {"QUARTO_PYTHON": sys.executable, ENV_PAGES_CURRENT: "1"}
    figures: dict = {"days": DAYS}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = os.environ.get("LITSCOPE_BENCH_KEEP", tmp)   # a folder to keep the projects in
        root = Path(tmp) / "review"
        init_project(root, title="A year of papers", site_url=SITE_URL, git=False)
        (root / "profile.yml").write_text(PROFILE, encoding="utf-8")
        papers = _papers(DAYS)
        store = Store(root / "data")
        start = time.perf_counter()
        store.add_papers(_of_days(papers, 0, DAYS))
        figures["store_fill"] = time.perf_counter() - start
        figures["store_papers"] = store.count()
        figures["record"], figures["write_pages"] = _publish(root, FIRST_DAY + pd.Timedelta(days=DAYS - 1))
        keys = _cite_two(root)
        figures["pages_written"] = sum(1 for _ in (root / "curated").rglob("*.qmd"))
        cold = run_measured([quarto, "render"], root, env)
        assert cold.returncode == 0, cold.output[-3000:]
        site = root / "_site"
        figures["pages"] = len([p for p in site.rglob("*.html") if "site_libs" not in p.parts])
        figures["cold"], figures["cold_problems"] = cold, _problems(cold.output)
        figures["checks_cold"] = _checks(root, _of_days(papers, DAYS - 1, DAYS), keys)

        # one more day, as `litscope update --render` publishes it
        day = _of_days(papers, DAYS, DAYS + 1)
        start = time.perf_counter()
        store.add_papers(day)
        added = time.perf_counter() - start
        recorded, written = _publish(root, FIRST_DAY + pd.Timedelta(days=DAYS))
        render = ("from litscope.publish import render_project\n"
                  "print(render_project('.', pages_current=True).summary())")
        more = run_measured([sys.executable, "-c", render], root, env)
        assert more.returncode == 0, more.output[-3000:]
        figures["day"] = {"store": added, "record": recorded, "pages": written, "render": more,
                          "rendered": re.findall(r"^\[\s*\d+/\d+\] (\S+)", _plain(more.output), re.M),
                          "problems": _problems(more.output)}
        figures["checks_day"] = _checks(root, day, keys)

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
    return _report(figures)


def _report(f: dict) -> str:
    cold, floor, day = f["cold"], f["floor"], f["day"]
    per_page = floor.seconds / f["pages"]
    prepare = day["store"] + day["record"] + day["pages"]
    one_more = prepare + day["render"].seconds
    held = (cold.seconds / 60 <= TARGETS["cold_minutes"] and cold.peak_mib / 1024 <= TARGETS["cold_peak_gib"]
            and one_more <= TARGETS["day_seconds"])
    return "\n".join([
        "### A year of daily publishing (`benchmarks/publish_year.py`, design in `PUBLISH-DESIGN.md`)",
        "",
        f"A review made by `litscope init` whose store holds {f['store_papers']:,} synthetic papers of {f['days']} "
        f"days; the daily update published the best {PER_DAY} of each day and the 50 best of all "
        f"({f['checks_cold']['papers_shown']:,} papers, recorded in `published/`): a page per day with its papers "
        f"as sections, a page per month, the archive, the front page listing the newest 14 days, the methods page "
        f"with the PRISMA flow, the review page (its code runs; it cites two papers), the five notebooks; "
        f"Quarto {f['pages']} pages in all. Quarto ran at nice 10 on a machine shared with other work: CPU "
        "seconds are the figure to compare.",
        "",
        "| step | wall | CPU | peak RSS (process tree) |",
        "|---|---|---|---|",
        f"| fill the store ({f['store_papers']:,} papers) | {f['store_fill']:.1f} s | | |",
        f"| record the year's picks (`published/`) | {f['record']:.1f} s | | |",
        f"| write the pages, bibliography, feed and methods page ({f['pages_written']} pages) | "
        f"{f['write_pages']:.1f} s | | |",
        f"| cold `quarto render` of the year ({f['pages']} pages) | {cold.seconds / 60:.1f} min | "
        f"{cold.cpu / 60:.1f} min | {cold.peak_mib:,.0f} MiB |",
        f"| floor: bare website of {f['pages']} one-paragraph pages | {floor.seconds / 60:.1f} min | "
        f"{floor.cpu / 60:.1f} min | {floor.peak_mib:,.0f} MiB |",
        f"| one more day: its {STORE_PER_DAY} papers into the store | {day['store']:.1f} s | | |",
        f"| one more day: record its picks, write the pages | {day['record'] + day['pages']:.1f} s | | |",
        f"| one more day: `render_project` (what `litscope update --render` runs): Quarto renders "
        f"{', '.join(day['rendered'])}; post-render | {day['render'].seconds:.1f} s | {day['render'].cpu:.1f} s | "
        f"{day['render'].peak_mib:,.0f} MiB |",
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
        + (f" (first: {(f['cold_problems'] + day['problems'])[0]})" if f["cold_problems"] + day["problems"] else "")
        + f". Checks after the cold render: {json.dumps(f['checks_cold'])}; after one more day: "
        f"{json.dumps(f['checks_day'])}.",
    ])
