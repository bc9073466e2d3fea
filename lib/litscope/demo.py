"""`litscope demo`: the whole workflow on the embedded sample, offline.

Import the sample (papers of five real digests) into the project's store → merge the
papers two digests both listed (`litscope dedupe --apply`'s certain pairs) → summarise
extractively the papers no digest summarised → rank them with the review's ranking → write
the digest of the latest day → write the review's pages into the project's website (and,
with `render`, render the website with Quarto). Running it again changes nothing already
there. The demo is for this repository (the sample review) or a folder of its own: it
refuses a store that holds papers of a review of yours, which the sample would mix into.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from .config import Project


@dataclass
class DemoReport:
    """Where the demo put its outputs."""
    store: Path
    papers: int
    digest: Path | None = None
    site: Path | None = None
    rendered: Path | None = None


def run_demo(project: Project, *, out: TextIO | None = None, render: bool = False,
             progress: bool | None = None) -> DemoReport:
    """Run the workflow on the embedded sample into `project`; prints what it did to `out`.

    `render`: then run ``quarto render`` on the project (its pages' code on this Python).
    """
    from .curate.dedupe import dedupe_store
    from .publish.digest import render_digest
    from .errors import ConfigError
    from .publish import QUARTO_HELP, find_quarto, publish_project, render_project
    from .report import format_table
    from .sample import load_sample
    from .curate.summarize import summarize
    from .daily import write_if_changed

    out = out or sys.stdout

    def say(text: str = "") -> None:
        print(text, file=out, flush=True)

    store = project.store()
    sample = load_sample()
    own = set(store.sources()["source"]) - set(sample["source"])
    if own:
        raise ConfigError(f"the store {store.path} holds papers of your own (from {sorted(own)[0]}"
                          f"{' and more' if len(own) > 1 else ''}): the demo would mix the sample into "
                          f"your review; run it in an empty folder ('litscope init demo && cd demo && "
                          f"litscope demo')")
    counts = store.add_papers(sample)
    digests = sample["source"].nunique()
    say(f"1. Imported the embedded sample: {len(sample)} papers from {digests} digests into "
        f"{store.path} ({counts['added']} new, {counts['updated']} updated, "
        f"{counts['unchanged']} already there).")

    before = store.count()
    certain, uncertain = dedupe_store(store, apply=True)
    say(f"   Duplicates: {len(certain)} certain pairs merged ({before} papers, now {store.count()}); "
        f"{len(uncertain)} uncertain pairs left for 'litscope dedupe' to show.")

    papers = store.papers()
    summarized = summarize(papers, None, store, progress=progress is not False)
    llm = summarized.attrs["report"]
    with_summary = int(summarized[["tldr", "summary", "motivation"]].notna().any(axis=1).sum())
    say(f"2. Summaries: {llm.kept} imported from the digests, {llm.extractive} written "
        f"extractively now (no LLM endpoint needed); {with_summary} of {len(summarized)} "
        f"papers have one.")

    ranking = project.ranking(store)
    if ranking is not None:
        scored = ranking.fit(store.papers()).score()
        say(f"3. Ranked {len(scored)} papers with {project.profile_path.name}; the top 10:")
        say(format_table(ranking.top(10)))
    else:
        scored = store.papers()
        say(f"3. No profile at {project.profile_path}: papers are listed by date, not scored.")

    report = DemoReport(store=store.path, papers=len(papers))
    days = scored["published"].dropna().dt.date
    if len(days):
        day = days.max()
        of_day = scored[scored["published"].dt.date == day]
        report.digest = project.path(project.config.digests) / f"{day.isoformat()}.md"
        write_if_changed(report.digest, render_digest(of_day, "daily", title=project.config.title))
        say(f"4. Wrote the digest of {day} ({len(of_day)} papers): {report.digest}")

    site = publish_project(project, store=store, ranking=ranking)
    report.site = site.out
    say(f"5. {site.summary(project.root)}")
    has_site = (project.root / "_quarto.yml").is_file()
    if render and has_site and find_quarto():
        rendered = render_project(project.root, pages_folder=project.config.site.out, pages_current=True)
        report.rendered = rendered.site
        say(f"   {rendered.summary()} Open {report.rendered / 'index.html'}")
    elif not has_site:
        say(f"   {project.root} has no _quarto.yml: 'litscope init' makes a review project with its website.")
    elif find_quarto():
        say("   Render the website: 'litscope publish --render', or "
            "'QUARTO_PYTHON=.venv/bin/python quarto render' here.")
    else:
        say("   " + QUARTO_HELP.format(root=project.root) + ".")

    say()
    say("Outputs:")
    say(f"  store    {report.store}")
    if report.digest:
        say(f"  digest   {report.digest}")
    say(f"  pages    {report.site}" + (f" (the website's HTML in {report.rendered})" if report.rendered else ""))
    lab = "make lab" if (project.root / "Makefile").is_file() else "jupyter lab notebooks/"
    say(f"Next: '{lab}' opens the notebooks (notebooks/01-fetch-and-import.ipynb first) with the "
        f"Explorer; run them and save them to show their outputs on the website; 'litscope --help' "
        f"lists the commands.")
    return report
