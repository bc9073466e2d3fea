"""Getting papers in: `fetch` from arXiv, `import` digests and the snapshot, the `library`."""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

from ..choices import IMPORT_FORMATS, LIBRARY_FORMATS
from ..report import counted
from .common import _project, _store, command, data_option

log = logging.getLogger(__name__)


def cmd_fetch(args: argparse.Namespace) -> None:
    from ..errors import FetchError
    project = _project(args, required=False)
    categories = args.cat or project.config.categories
    if args.new or args.bulk:
        given = [name for name, value in (("--query", args.query), ("--max-results", args.max_results))
                 if value is not None] + (["--since", "--until"] if args.new and (args.since or args.until) else [])
        if given:
            raise FetchError(f"{given[0]} does not go with {'--new' if args.new else '--bulk'}: the listing "
                             f"feed holds one day's announcement; a bulk harvest takes whole categories")
    if args.new:
        from ..sources.announcements import fetch_new
        print(fetch_new(categories, project=project, refresh=args.refresh).attrs["report"])
    elif args.bulk:
        from ..sources.oai import harvest
        if not args.since:
            raise FetchError("--bulk needs --since YYYY-MM-DD: the first submission day to harvest")
        print(harvest(categories, args.since, args.until, project=project, refresh=args.refresh))
    else:
        from ..sources.arxiv_api import fetch
        result = fetch(categories, query=args.query, since=args.since, until=args.until,
                       max_results=args.max_results, refresh=args.refresh, project=project)
        print(result.attrs.get("report", f"{len(result)} papers"))


def cmd_import(args: argparse.Namespace) -> None:
    from ..sources.digests import describe_cut_off, read_digest
    from ..sources.snapshot import import_snapshot, is_snapshot
    project = _project(args, required=False)
    snapshots = [f for f in args.files if args.format == "snapshot" or (args.format is None and is_snapshot(f))]
    for file in snapshots:
        out = Path(args.out) if args.out else project.data_dir / "snapshot"
        print(import_snapshot(file, out if len(snapshots) == 1 else out / Path(file).stem,
                              categories=args.cat, since=args.since, until=args.until))
    # read every digest before touching the store, so one bad file leaves the store as it was
    digests = [(file, read_digest(file, format=args.format)) for file in args.files if file not in snapshots]
    if not digests:
        return
    store = project.store()
    for file, papers in digests:
        counts = store.add_papers(papers)
        print(f"{file}: {papers.attrs.get('format', 'digest')}, {counted(len(papers) - counts['cut_off'], 'paper')} "
              f"({counts['added']} new, {counts['updated']} updated, {counts['unchanged']} unchanged)")
        if papers.attrs.get("cut_off"):
            log.warning("%s: %s", file, describe_cut_off(papers.attrs["cut_off"]))
        for note in counts.notes():
            log.warning("%s: %s", file, note)
    print(f"The store {store.path} now holds {store.count()} papers.")


def cmd_library_import(args: argparse.Namespace) -> None:
    from ..sources.arxiv_api import fetch_ids
    from ..sources.library import import_library
    project = _project(args, required=False)
    store = project.store()
    fetch = None if args.no_fetch else (lambda ids: fetch_ids(ids, project=project))
    result = import_library(store, args.file, name=args.name, format=args.format,
                            zotero_collection=args.collection, fetch=fetch)
    print(result.summary())
    print("Library items count as includes for 'litscope learn' and the profile's alpha, and "
          "as the papers 'similarity:' in the profile compares with.")


def cmd_library_list(args: argparse.Namespace) -> None:
    store = _store(args, required=False)
    items = store.library()
    if items.empty:
        print(f"No library in {store.path}: import one with 'litscope library import FILE'.")
        return
    for name, group in items.groupby("collection", sort=True):
        in_store = int(group["paper_id"].notna().sum())
        print(f"{name}: {len(group)} items ({in_store} in the store, {len(group) - in_store} "
              f"only in the library), imported {group['imported_at'].max()[:10]}")
        for item in group.head(args.top).itertuples():
            where = item.paper_id or "(library only)"
            print(f"  {where:<24} {item.title[:80]}")
        if len(group) > args.top:
            print(f"  ... {len(group) - args.top} more (use --top N)")


def cmd_library_remove(args: argparse.Namespace) -> None:
    from ..errors import StoreError
    from ..sources.library import drop_library
    store = _store(args, required=False)
    removed = drop_library(store, args.name)
    if not removed:
        names = sorted(set(store.library()["collection"]))
        raise StoreError(f"no library {args.name!r} in {store.path} (libraries: "
                         f"{', '.join(names) or 'none'})")
    print(f"removed library {args.name!r} ({removed} items); the papers stay in the store.")


def add_parser(sub) -> None:
    """The subcommands 'fetch', 'import', 'library' and their options."""
    p = command(sub, "fetch", cmd_fetch, "fetch papers from arXiv into the store",
                "Fetch papers from arXiv into the store, in one of three ways:\n"
                "  (default)  the search API: papers submitted from --since to --until, one search\n"
                "             per run of up to arxiv.days_per_request days for all categories at\n"
                "             once, in pages of up to 2,000. Days fetched completely cost no request\n"
                "             (--refresh asks again); the last arxiv.settle_days days are asked again\n"
                "             only once arXiv has announced since (Sunday-Thursday, 20:00 US Eastern).\n"
                "  --new      arXiv's latest announcement from its listing feed: one request for all\n"
                "             categories, announce types (new, cross, replace, replace-cross) stored,\n"
                "             metadata filled with one request per 2,000 papers; read once a day.\n"
                "  --bulk     a backfill through OAI-PMH from --since: page by page into the store;\n"
                "             run it again after an interruption and it resumes where it stopped.\n"
                "Requests are spaced by at least 3 s and retried with back-off, as arXiv asks. Set\n"
                "$LITSCOPE_ARXIV_URL, $LITSCOPE_ARXIV_FEED_URL or $LITSCOPE_ARXIV_OAI_URL to use a mirror.\n\n"
                "examples: litscope fetch --cat cs.CL --cat cs.LG --since 2025-12-01 --until 2025-12-05\n"
                "          litscope fetch --new\n"
                "          litscope fetch --bulk --since 2025-01-01")
    p.add_argument("--cat", action="append", metavar="CATEGORY",
                   help="arXiv category, repeatable (default: the project's categories)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--new", action="store_true", help="read arXiv's latest announcement (listing feed)")
    mode.add_argument("--bulk", action="store_true", help="harvest through OAI-PMH from --since (resumable)")
    p.add_argument("--query", help="arXiv search query, e.g. 'abs:\"speculative decoding\"'")
    p.add_argument("--since", help="first submission day, YYYY-MM-DD (default: days_back days ago)")
    p.add_argument("--until", help="last submission day, YYYY-MM-DD (default: today)")
    p.add_argument("--max-results", type=int, metavar="N", help="stop after N papers")
    p.add_argument("--refresh", action="store_true", help="ask again for what was fetched before")
    data_option(p)

    p = command(sub, "import", cmd_import, "import digest files or arXiv's metadata snapshot",
                "Import papers from digest files into the store: daily per-category digests,\n"
                "arxiv_rss_bot READMEs, bilingual title/abstract lists and topic digests. The format\n"
                "is detected. arXiv's metadata snapshot (arxiv-metadata-oai-snapshot.json, plain, .gz\n"
                "or Kaggle's .zip) is streamed into Parquet parts instead (--out, default data/snapshot),\n"
                "which 'litscope.scale' and the scorer read; --cat, --since and --until filter it.\n\n"
                "example: litscope import arxiv-metadata-oai-snapshot.json --cat cs.CL --since 2025-01-01")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--format", choices=IMPORT_FORMATS,
                   help="skip detection and read FILE in this format")
    p.add_argument("--out", metavar="DIR", help="snapshot: the folder of Parquet parts (default: data/snapshot)")
    p.add_argument("--cat", action="append", metavar="CATEGORY",
                   help="snapshot: keep papers in this category, repeatable (default: all)")
    p.add_argument("--since", metavar="YYYY-MM-DD", help="snapshot: keep papers first submitted on or after")
    p.add_argument("--until", metavar="YYYY-MM-DD", help="snapshot: keep papers first submitted on or before")
    data_option(p)

    p = command(sub, "library", lambda _: library_parser.print_help() or 2,
                "import your reference library (BibTeX, RIS, CSL-JSON, ids, Zotero)",
                "Import, list or remove the person's own library: what they already collected.\n"
                "Library items count as includes for learning and are what the profile's\n"
                "'similarity:' component compares new papers with.")
    library_parser, library_sub = p, p.add_subparsers(metavar="ACTION")
    q = library_sub.add_parser(
        "import", help="import (or re-import) a library export",
        description="Import a library export: BibTeX (Zotero, Better BibTeX, JabRef), RIS,\n"
                    "CSL-JSON, a list of arXiv ids/URLs or DOIs (one a line), or Zotero's own\n"
                    "zotero.sqlite (read from a copy, so Zotero may stay open). Items are matched\n"
                    "to the store's papers by arXiv id, DOI or title; arXiv papers the store lacks\n"
                    "are fetched (2,000 ids per request). Importing the same NAME again makes it\n"
                    "hold exactly the new export: items gone from it are removed.\n\n"
                    "example: litscope library import ~/Zotero/zotero.sqlite --collection 'LLM efficiency'",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    q.add_argument("file", metavar="FILE")
    q.add_argument("--name", metavar="NAME", help="the library's name (default: the file's name)")
    q.add_argument("--format", choices=LIBRARY_FORMATS,
                   help="skip detection (by extension and content)")
    q.add_argument("--collection", metavar="C", help="only this collection of a zotero.sqlite")
    q.add_argument("--no-fetch", action="store_true",
                   help="do not fetch missing arXiv papers (their own title and abstract count)")
    data_option(q)
    q.set_defaults(handler=cmd_library_import)
    q = library_sub.add_parser("list", help="list the imported libraries and their items",
                               description="List each imported library with its items.")
    q.add_argument("--top", type=int, default=10, metavar="N", help="items shown per library (default 10)")
    data_option(q)
    q.set_defaults(handler=cmd_library_list)
    q = library_sub.add_parser("remove", help="remove an imported library",
                               description="Remove a library's items (the papers stay in the store).")
    q.add_argument("name", metavar="NAME")
    data_option(q)
    q.set_defaults(handler=cmd_library_remove)
