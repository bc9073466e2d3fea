"""Publishing: time to write the review website's pages and the digests for the embedded
sample, and for real Quarto (when installed) to render a website of those pages.

`build_site` includes scoring with the example profile, every page, the figures and the
schema check of all YAML; the baseline is Pandoc converting the same pages to HTML (the
least a render of them costs), measured in the same run. The Quarto render is of a project
that `litscope init` writes, its notebooks not executed (the render tests execute them).
Then a year of daily publishing (`publish_year.py`: 3,650 papers, cold render, one more
day, the floor of a bare website).
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pypandoc

from litscope.config import SiteSettings
from litscope.publish.digest import render_digest
from litscope.score.profile import load_profile
from litscope.project import init_project
from litscope.publish import build_site, find_quarto
from litscope.sample import load_sample
from litscope.store import Store
from publish_year import run as run_year

PROFILE = Path(__file__).resolve().parents[1] / "profile.yml"   # the repository review's profile


def run() -> str:
    papers = load_sample()
    profile = load_profile(PROFILE)
    rows = []
    for top_n in (50, len(papers)):
        times, report, pandoc = [], None, 0.0
        for repeat in range(3):
            with tempfile.TemporaryDirectory() as tmp:
                start = time.perf_counter()
                report = build_site(papers, Path(tmp) / "site", profile=profile,
                                    settings=SiteSettings(top_n=top_n, per_day=0),
                                    site_url="https://example.org/")
                times.append(time.perf_counter() - start)
                if repeat == 0:
                    pages = len(list((Path(tmp) / "site").rglob("*.qmd")))
                    start = time.perf_counter()
                    for page in sorted((Path(tmp) / "site").rglob("*.qmd")):
                        pypandoc.convert_file(str(page), "html", format="markdown")
                    pandoc = time.perf_counter() - start
        rows.append(f"| {report.n_papers} | {pages} ({len(report.days)} day pages) | {min(times):.2f} s | "
                    f"{min(times) / pages * 1000:.1f} ms | {pandoc:.2f} s | {min(times) / pandoc:.2f} |")
    rendered = _quarto_render(papers)
    digest = []
    for fmt in ("daily", "bot"):
        start = time.perf_counter()
        render_digest(papers, fmt)
        digest.append(f"{fmt} {time.perf_counter() - start:.2f} s")
    return "\n".join([
        "## Publishing (`litscope publish`, `litscope digest`)",
        "",
        f"The embedded sample ({len(papers)} papers) scored with the example profile; best of 3 runs.",
        "",
        "| papers published | pages written | build_site | per page | Pandoc on the pages | ratio |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        f"Digest of all {len(papers)} papers: {', '.join(digest)}.",
        "",
        rendered,
        "",
        run_year(),
    ])


def _quarto_render(papers) -> str:
    """`quarto render` of an initialised project of the sample, its notebooks not executed."""
    quarto = find_quarto()
    if quarto is None:
        return "Quarto is not installed: no render measured."
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "review"
        init_project(root)
        config = root / "_quarto.yml"
        config.write_text(config.read_text(encoding="utf-8").replace("enabled: true", "enabled: false"),
                          encoding="utf-8")
        Store(root / "data").add_papers(papers)
        start = time.perf_counter()
        subprocess.run([quarto, "render"], cwd=root, check=True, capture_output=True,
                       env={**os.environ, "QUARTO_PYTHON": sys.executable})
        seconds = time.perf_counter() - start
        pages = [p for p in (root / "_site").rglob("*.html") if "site_libs" not in p.parts]
    return (f"`quarto render` of a project of the sample (pre-render included, notebooks not executed): "
            f"{len(pages)} pages in {seconds:.1f} s, {len(pages) / seconds:.2f} pages/s "
            f"({quarto}).")
