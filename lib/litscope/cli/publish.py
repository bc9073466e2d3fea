"""Publishing: the website's pages (`publish`) and the `digest`."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..choices import DIGEST_FORMATS
from ..config import write_text
from .common import _project, allow_empty_option, command, data_option, render_site

def cmd_publish(args: argparse.Namespace) -> None:
    from ..errors import PublishError
    from ..publish import publish_project
    from ..publish.quarto_schema import check_site
    project = _project(args, required=False)
    if args.render and args.out:
        raise PublishError("--render renders the review project, whose pages are in site.out; "
                           "leave out --out")
    if args.render and not (project.root / "_quarto.yml").is_file():
        raise PublishError(f"--render: no _quarto.yml in {project.root}; 'litscope init' writes a "
                           f"review project with one")
    report = publish_project(project, out=args.out)
    print(report.summary(Path.cwd()))
    if args.check:
        checked = report.out if args.out else project.root
        problems = check_site(checked)
        if problems:
            raise PublishError(f"{checked}: {len(problems)} problem(s) against Quarto 1.10's schema: "
                               + "; ".join(problems[:5]))
        print(f"Checked {checked}: every Quarto file and page front matter follows Quarto 1.10's schema.")
    if args.render:
        render_site(project, full=args.full)


def cmd_digest(args: argparse.Namespace) -> None:
    from datetime import datetime, timezone
    from ..config import parse_day
    from ..errors import PublishError
    from ..publish import score_papers
    from ..publish.digest import render_digest
    from ..daily import window_papers
    project = _project(args, required=False)
    store = project.store()
    first = parse_day(args.date, "--date") if args.date else parse_day(args.since, "--since")
    last = first if args.date else datetime.now(timezone.utc).date()
    papers = window_papers(store, first, last)   # arXiv's announcement when the store has it
    if papers.empty:
        when = f"on {args.date}" if args.date else f"since {args.since}"
        raise PublishError(f"no paper in the store {store.path} was announced or submitted {when}")
    ranking = project.ranking(store)             # the papers' places in the review's ranking
    scorer = ranking.fit(store.papers()).scorer_ if ranking is not None else None
    text = render_digest(score_papers(papers, scorer=scorer)[0], args.format, title=project.config.title)
    if args.out:
        write_text(args.out, text)
        print(f"Wrote a {args.format} digest of {len(papers)} papers to {args.out}")
    else:
        sys.stdout.write(text)


def add_parser(sub) -> None:
    """The subcommands 'publish', 'digest' and their options."""
    p = command(sub, "publish", cmd_publish, "write the curated papers' pages of the review website",
                "Write the published papers as pages of the review project's Quarto website, into\n"
                "its generated folder site.out ('curated/'): a page per day with its papers as\n"
                "sections, a page per month, the archive, the methods page (profile, PRISMA flow,\n"
                "plots), references.bib for [@key] citations, the RSS feed (when _quarto.yml sets\n"
                "website.site-url) and the front page's listing of the newest days. 'quarto render'\n"
                "in the project runs this first by itself. Which papers: site.curate in litscope.yml\n"
                "('top': the site.top_n best by score and the site.per_day best of each day;\n"
                "'include': the papers labelled include), and those the daily update recorded in\n"
                "published/. A run that changes nothing rewrites nothing. --render then renders\n"
                "the pages that changed since the last render (all of it when needed, or --full).\n\n"
                "example: litscope publish --check --render")
    p.add_argument("--out", metavar="DIR", help="write the pages into DIR instead (default: site.out, 'curated')")
    p.add_argument("--check", action="store_true",
                   help="validate _quarto.yml and every page's front matter against Quarto 1.10's "
                        "schema (no Quarto needed)")
    p.add_argument("--render", action="store_true",
                   help="then render the website with Quarto (its pages' code runs on this Python): the "
                        "pages that changed since the last render, or all of it when needed")
    p.add_argument("--full", action="store_true", help="with --render: render the whole website")
    data_option(p)
    allow_empty_option(p)

    p = command(sub, "digest", cmd_digest, "write the papers of a day as digest markdown",
                "Write the papers of a day (or since a day) as markdown: those arXiv announced\n"
                "then when the store holds its announcement ('litscope fetch --new'), else those\n"
                "first submitted then. Formats: the daily per-category digest (table of contents,\n"
                "TL;DR, collapsible details) or the arxiv_rss_bot README (numbered papers with\n"
                "score and collapsible summary).\n"
                "Both can be imported again with 'litscope import'.\n\n"
                "example: litscope digest --date 2025-12-05 --format bot --out README.md")
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--date", metavar="YYYY-MM-DD", help="papers announced (or first submitted) on this day (UTC)")
    when.add_argument("--since", metavar="YYYY-MM-DD", help="papers announced (or first submitted) on this day or later")
    p.add_argument("--format", choices=DIGEST_FORMATS, default="daily", help="digest format (default: daily)")
    p.add_argument("--out", metavar="FILE", help="write to FILE (default: standard output)")
    data_option(p)
    allow_empty_option(p)
