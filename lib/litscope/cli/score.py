"""Ranking the store: `search`, `list`, `score` and `profile`."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..choices import LABELS
from ..config import write_text
from ..report import counted
from .common import _project, allow_empty_option, command, data_option

def _embedding_client(project, representation: str):
    """The project's LLM endpoint client when `representation` asks for one."""
    if not representation.startswith("endpoint"):
        return None
    from ..curate.llm import LLMClient
    return LLMClient(project.config.llm)


def _ranking(args: argparse.Namespace, project, store):
    """The review's ranking (the project's profile, or --profile), or an error saying how to
    get a profile."""
    from ..errors import ProfileError
    ranking = project.ranking(store, profile=getattr(args, "profile", None))
    if ranking is None:
        raise ProfileError(f"no profile at {project.profile_path}: 'litscope init' writes one, or "
                           f"name one with --profile")
    return ranking


def _say_what_ranked(ranking) -> None:
    """What the learned model and the similarity did (what has no effect: on stderr)."""
    for line, problem in ranking.describe().notes():
        print(line, file=sys.stderr if problem else sys.stdout)


def cmd_search(args: argparse.Namespace) -> None:
    from ..report import format_table
    from ..score.search import search
    project = _project(args, required=False)
    store = project.store()
    papers = store.papers()
    semantic = None if args.words_only else args.representation
    client = None if semantic is None else _embedding_client(project, semantic)
    if client is not None:
        from ..score.represent import get_representation
        semantic = get_representation(semantic, client=client,
                                      endpoint_model=project.config.llm.embedding_model)
    found = search(papers, " ".join(args.query), top=args.top, semantic=semantic, store=store)
    if found.empty:
        print(f"No paper among the {len(papers)} in the store matches {' '.join(args.query)!r}.")
        return
    print(format_table(found.assign(rank=range(1, len(found) + 1), score=found["search_score"])))
    how = "words only" if semantic is None else f"words + meaning ({getattr(semantic, 'name', semantic)})"
    print(f"{len(found)} best of {len(papers)} papers by {how}, fused by reciprocal rank.")


def cmd_list(args: argparse.Namespace) -> None:
    from ..report import format_table
    project = _project(args, required=False)
    store = project.store()
    papers = store.papers()
    ranking = project.ranking(store) if args.sort == "rank" and len(papers) else None
    if ranking is not None:
        papers = ranking.fit(papers).score()
        how = f"in the review's ranking ({project.profile_path.name}), best first"
    else:
        how = "newest first"
    labels = store.labels()
    papers = papers.merge(labels[["id", "label"]], on="id", how="left") if len(labels) else papers
    if args.label:
        papers = papers[papers["label"] == args.label] if "label" in papers else papers.iloc[:0]
        how += f", labelled {args.label}"
    if args.ids:                       # for other commands: litscope label $(litscope list --ids) ...
        print("\n".join(papers["id"].head(args.top)))
        return
    print(format_table(papers.head(args.top)))
    more = f"; {len(papers) - args.top} more (use --top N)" if len(papers) > args.top else ""
    print(f"{counted(len(papers), 'paper')} {how}{more}.")


def cmd_score(args: argparse.Namespace) -> None:
    from ..errors import ScoreError
    from ..report import format_table
    from ..curate.export import SCORED_SUFFIXES, write_scored
    from ..score.engine import SCORE_COLUMNS
    if args.out and Path(args.out).suffix not in SCORED_SUFFIXES:     # before any work
        raise ScoreError(f"--out {args.out}: name a .csv or .parquet file")
    project = _project(args, required=False)
    store = project.store()
    started = time.perf_counter()
    ranking = _ranking(args, project, store)
    # The learned blend and the similarity need the papers as a DataFrame; scoring alone
    # reads only the columns it shows (all of them for --out) from the store's Parquet mirror.
    papers = store.papers() if ranking.needs_frame else store.table(None if args.out else SCORE_COLUMNS)
    read = time.perf_counter()
    ranking.fit(papers)
    scorer = ranking.scorer_
    _say_what_ranked(ranking)
    if args.explain:
        table = ranking.explain(args.explain)
        print(f"{args.explain}: score {table.attrs['score']:.3f}"
              f"{' (excluded)' if table.attrs['excluded'] else ''}")
        print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}", na_rep="")
              if len(table) else "(no term matches this paper)")
        return
    best, n_papers = ranking.top(args.top), scorer.n_papers_
    if args.out:
        # Papers read from the mirror here are handed over to the frame: each column is
        # freed as its sorted copy is made (a DataFrame from the store is shared: copied).
        handed = not ranking.needs_frame
        del papers
        out, scored = args.out, scorer.score(hand_over=handed, now=ranking.now)
        write_scored(scored, out)
        print(f"Wrote {len(scored)} scored papers to {out}")
    print(format_table(best))
    cut = scorer.profile.min_score
    print(f"{len(best)} of {counted(n_papers, 'paper')} listed (best first; excluded papers"
          f"{'' if cut is None else f' and scores below {cut:g}'} left out).")
    print(f"Read the store in {read - started:.2f} s, scored in {time.perf_counter() - read:.2f} s.")


def cmd_profile_import_bot(args: argparse.Namespace) -> None:
    from ..errors import ProfileError
    from ..score.profile import dump_profile, import_bot_config
    text = dump_profile(import_bot_config(args.config))
    if not args.out:
        sys.stdout.write(text)
        return
    out = Path(args.out)
    if out.exists() and not args.force:
        raise ProfileError(f"{out} exists already (use --force to overwrite it)")
    write_text(out, text)
    print(f"Wrote {out}. Score with: litscope score --profile {out}")


def cmd_profile_check(args: argparse.Namespace) -> None:
    from ..score.profile import load_profile
    path = args.file or _project(args, required=False).profile_path
    profile = load_profile(path, allow_empty=args.allow_empty)
    empty = "; it is empty: every paper scores 0" if profile.is_empty else ""
    print(f"{path}: OK ({len(profile.terms)} terms, {len(profile.exclude)} excludes){empty}")


def add_parser(sub) -> None:
    """The subcommands 'search', 'list', 'score', 'profile' and their options."""
    p = command(sub, "search", cmd_search, "search the store by words and by meaning",
                "Rank the store's papers for a query two ways, by its words (tf-idf) and by its\n"
                "meaning (embeddings: WordLlama, offline, unless --representation says\n"
                "otherwise), and fuse both rankings by reciprocal rank. The first search embeds\n"
                "the store's papers and caches the vectors there; later ones are instant.\n\n"
                "example: litscope search \"speculative decoding\" --top 10")
    p.add_argument("query", nargs="+", metavar="QUERY")
    p.add_argument("--top", type=int, default=20, metavar="N", help="how many papers (default 20)")
    p.add_argument("--representation", default="wordllama", metavar="R",
                   help="embeddings for meaning: wordllama (default), sentence-transformers:MODEL, "
                        "endpoint[:MODEL] (the llm: settings)")
    p.add_argument("--words-only", action="store_true", help="rank by the query's words alone")
    data_option(p)

    p = command(sub, "list", cmd_list, "list papers in the store",
                "Print the store's papers as a table: in the review's ranking (the order of the\n"
                "site, the digest and 'litscope score', excluded papers last), or newest first.\n\n"
                "example: litscope list --label include --top 50")
    p.add_argument("--top", type=int, default=20, metavar="N", help="how many rows (default 20)")
    p.add_argument("--label", choices=LABELS, help="only papers with this label")
    p.add_argument("--sort", choices=["rank", "date"], default="rank",
                   help="the review's ranking (default; newest first without a profile) or date")
    p.add_argument("--ids", action="store_true", help="print only the papers' ids, one a line")
    data_option(p)

    p = command(sub, "score", cmd_score, "rank the store's papers with a profile",
                "Score every paper in the store with a profile and print the best ones: terms\n"
                "matched in title, abstract, comment and authors, times their weights, plus\n"
                "author/category boosts and recency. --explain shows where a paper's score\n"
                "comes from; --out writes every paper with score, rank and excluded.\n\n"
                "example: litscope score --top 20 --explain 2512.04752")
    p.add_argument("--profile", metavar="FILE", help="the profile (default: the project's, "
                   "'profile:' in litscope.yml)")
    p.add_argument("--top", type=int, metavar="N", help="how many papers to list (default: the "
                   "profile's top_n)")
    p.add_argument("--explain", metavar="ID", help="show the contributions to one paper's score")
    p.add_argument("--out", metavar="FILE", help="also write all scored papers to FILE (.csv or .parquet)")
    data_option(p)
    allow_empty_option(p)

    p = command(sub, "profile", lambda _: profile_parser.print_help() or 2, "check or import scoring profiles",
                "Check a scoring profile, or turn an arxiv_rss_bot config.json into one.")
    profile_parser, profile_sub = p, p.add_subparsers(metavar="ACTION")
    q = profile_sub.add_parser("check", help="validate a profile",
                               description="Validate a profile; errors name the field and the line.")
    q.add_argument("file", nargs="?", metavar="FILE", help="the profile (default: the project's)")
    allow_empty_option(q)
    q.set_defaults(handler=cmd_profile_check)
    q = profile_sub.add_parser(
        "import-bot", help="make a profile from an arxiv_rss_bot config.json",
        description="Make a profile from an arxiv_rss_bot config.json: its keywords become terms\n"
                    "(title 1.5, abstract 1, counted once), exclude_keywords become excludes,\n"
                    "categories a filter, max_papers top_n, days_back max_age_days, min_score stays.\n\n"
                    "example: litscope profile import-bot config.json --out profile.yml",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    q.add_argument("config", metavar="CONFIG.json")
    q.add_argument("--out", metavar="FILE", help="write the profile to FILE (default: standard output)")
    q.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    q.set_defaults(handler=cmd_profile_import_bot)
