"""The review project as a whole: `init`, the daily `update`, the `demo` and `rebuild`."""
from __future__ import annotations

import argparse
from pathlib import Path

from .common import _project, allow_empty_option, command, data_option, render_site

def cmd_init(args: argparse.Namespace) -> None:
    from ..config import load_config
    from ..project import init_project
    root = Path(args.dir)
    was_repo, existed = (root / ".git").exists(), (root / "litscope.yml").exists()
    created = init_project(root, title=args.title, subject=args.subject, categories=args.cat,
                           query=args.query, site_url=args.site_url, force=args.force,
                           github_action=args.github_action)
    config = load_config(root / "litscope.yml")
    print(f"{'Added to' if existed else 'Created'} the review {config.title!r} in {root.resolve()}:")
    for path in created:
        print(f"  {path}")
    if not was_repo and (root / ".git").is_dir():
        print("  (a new git repository: commit the review as you go; the store, data/, is a cache and ignored)")
    print("Next: edit profile.yml (the words you look for), then 'litscope fetch' or 'litscope import "
          "FILE', and 'quarto render' for the website.")


def cmd_update(args: argparse.Namespace) -> None:
    from ..daily import update
    project = _project(args)
    print(update(project, day=args.date, refresh=args.refresh).summary())
    if args.render:
        render_site(project)


def cmd_demo(args: argparse.Namespace) -> None:
    from ..demo import run_demo
    run_demo(project=_project(args, required=False), render=args.render)


def cmd_rebuild(args: argparse.Namespace) -> None:
    from ..restore import rebuild
    print(rebuild(_project(args), fetch=args.fetch).summary())


def add_parser(sub) -> None:
    """The subcommands 'init', 'update', 'demo', 'rebuild' and their options."""
    p = command(sub, "init", cmd_init, "create a review project",
                "Create a review project in DIR: litscope.yml (what to fetch), profile.yml (how to\n"
                "score), the workflow notebooks, the review website (_quarto.yml, index.qmd,\n"
                "review.qmd) with the review's title and subject, requirements.txt (litscope\n"
                "pinned), .gitignore and .gitattributes; a folder outside git becomes a git\n"
                "repository (git init). Without --title and --subject they are made from the\n"
                "categories and the query, whose terms also start the profile.\n\n"
                "example: litscope init my-review --title 'Speculative decoding' --cat cs.CL --cat cs.LG \\\n"
                "             --query 'abs:\"speculative decoding\"' --site-url https://me.github.io/my-review/")
    p.add_argument("dir", metavar="DIR", help="folder to create (may exist, must not hold a litscope.yml)")
    p.add_argument("--title", metavar="T", help="the review's title (the website's, and its front page's)")
    p.add_argument("--subject", metavar="S", help="one sentence on what the review follows (the front "
                   "page's subtitle)")
    p.add_argument("--cat", action="append", metavar="CATEGORY",
                   help="arXiv category to follow, repeatable (default: cs.CL and cs.LG)")
    p.add_argument("--query", metavar="Q", help="an arXiv query narrowing the categories, e.g. "
                   "'abs:\"speculative decoding\"'")
    p.add_argument("--site-url", metavar="URL", help="where the website will be published, e.g. "
                   "https://you.github.io/review/ (its RSS feed needs it)")
    p.add_argument("--force", action="store_true", help="overwrite files that exist")
    p.add_argument("--github-action", action="store_true",
                   help="also write a daily GitHub Actions workflow that updates and publishes the review")

    p = command(sub, "update", cmd_update, "the daily job: fetch, score, summarise, digest, site",
                "Run the review's daily job: fetch arXiv's latest announcement in the configured\n"
                "categories (as 'litscope fetch --new'; with arxiv.update: window, the last\n"
                "'days_back' days of the categories/query instead), summarise the papers announced\n"
                "(or submitted) in the last 'days_back' days (through llm.base_url when configured,\n"
                "extractively otherwise), write the day's digest to digests/YYYY-MM-DD.md (scored\n"
                "with the profile), record the papers the website publishes today in published/ (with\n"
                "their scores, so that their pages do not change later) and rewrite the website's\n"
                "pages; --render then renders the pages that changed. Every step skips work already\n"
                "done, so a second run on the same day changes nothing and says so.\n\n"
                "example: litscope update            (in a folder made by 'litscope init')")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="update as of this day (default: today, UTC)")
    p.add_argument("--refresh", action="store_true", help="fetch windows again even if fetched before")
    p.add_argument("--render", action="store_true",
                   help="then render the website's pages that changed with Quarto")
    data_option(p)
    allow_empty_option(p)

    p = command(sub, "demo", cmd_demo, "run the whole workflow on the embedded sample, offline",
                "Import the embedded sample corpus (papers from five real digests) into the store,\n"
                "rank it with the review's profile, and write the digest and the review website's\n"
                "pages; --render then renders the website with Quarto. For this repository (the\n"
                "sample review) or an empty folder: it refuses a store holding papers of yours.")
    p.add_argument("--render", action="store_true", help="render the website with Quarto afterwards")
    data_option(p)

    p = command(sub, "rebuild", cmd_rebuild, "make the store again from what the review project keeps",
                "The store is a cache of the review project: rebuild it on a fresh clone (or after\n"
                "a pull) from what the project keeps in git. Imports the digests the review\n"
                "published (digests/*.md) and its libraries (library/*.jsonl) again, applies every\n"
                "decision (decisions/*.jsonl) to the papers the store holds, and lists the decided\n"
                "papers it lacks; --fetch fetches those from arXiv by id (2,000 a request).\n\n"
                "example: litscope rebuild --fetch")
    p.add_argument("--fetch", action="store_true", help="fetch the decided arXiv papers the store lacks")
    data_option(p)
