"""Curating papers: `summarize`, `translate`, `tag`, `note`, `dedupe`, `topics`, `export`."""
from __future__ import annotations

import argparse
import sys
from typing import Callable

from ..choices import EXPORT_FORMATS, LABELS
from ..report import counted
from .common import _paper_id, _project, _store, command, data_option

def _selection(args: argparse.Namespace, store):
    """The papers an LLM command works on: those with --label, then the --limit newest."""
    from ..curate.export import select_papers
    papers = select_papers(store.papers(), labels=store.labels() if args.label else None, label=args.label)
    return papers.head(args.limit) if args.limit else papers


def _run_llm(args: argparse.Namespace, run: Callable) -> None:
    from ..errors import LLMError
    project = _project(args, required=False)
    store = project.store()
    report = run(_selection(args, store), project.config.llm, store, language=args.language,
                 dry_run=args.dry_run, force=args.force).attrs["report"]
    print(report)
    for paper_id, reason in report.failures.items():
        print(f"  {paper_id}: {reason}")
    if report.all_failed:
        raise LLMError(f"{'the paper' if report.failed == 1 else f'all {report.failed} papers'} failed, none got a "
                       f"{'summary' if report.kind == 'summary' else 'translation'} (reasons above)")


def cmd_summarize(args: argparse.Namespace) -> None:
    from ..curate.summarize import summarize
    _run_llm(args, summarize)


def cmd_translate(args: argparse.Namespace) -> None:
    from ..curate.summarize import translate
    _run_llm(args, translate)


def cmd_tag(args: argparse.Namespace) -> None:
    paper_id = _paper_id(args.id)
    tags = _store(args, required=False).tag(paper_id, add=[] if args.remove else args.tags,
                                            remove=args.tags if args.remove else [])
    print(f"{paper_id}: {', '.join(tags) if tags else '(no tags)'}")


def cmd_note(args: argparse.Namespace) -> None:
    paper_id, text = _paper_id(args.id), " ".join(args.text)
    _store(args, required=False).set_note(paper_id, text)
    print(f"{paper_id}: note {'saved' if text.strip() else 'deleted'}")


def cmd_dedupe(args: argparse.Namespace) -> None:
    from ..curate.dedupe import dedupe_store
    store = _store(args, required=False)
    before = store.count()
    if not before:
        print(f"No papers in {store.path}: import a digest with 'litscope import' or fetch with "
              f"'litscope fetch', then look for duplicates.")
        return
    certain, uncertain = dedupe_store(store, args.threshold, certain_at=args.certain, apply=args.apply)
    print(f"{len(certain) + len(uncertain)} duplicate pair(s) among {before} papers: "
          f"{len(certain)} certain, {len(uncertain)} to review.")
    for mark, pairs in (("=", certain), ("?", uncertain)):
        for pair in pairs.itertuples():
            print(f"{mark} {pair.id_a} ~ {pair.id_b}  similarity {pair.similarity:.2f} ({pair.reason})\n"
                  f"    {pair.title_a[:90]}\n    {pair.title_b[:90]}")
    if args.apply:
        print(f"Merged the certain pairs: the store now holds {store.count()} papers (was {before}). "
              f"Review the '?' pairs by hand.")
    elif len(certain):
        print("Run with --apply to merge the certain ('=') pairs into the store.")


def cmd_topics(args: argparse.Namespace) -> None:
    from ..errors import CurateError
    from ..curate.topics import assign_taxonomy, cluster_topics, suggest_topics, topic_changes, topic_counts
    store = _store(args, required=False)
    papers = store.papers()
    if papers.empty:
        raise CurateError(f"the store {store.path} holds no papers: import or fetch some first")
    if args.clusters:
        clusters = cluster_topics(papers, k=args.clusters)
        sizes = clusters.groupby("cluster_label", sort=False).size().sort_values(ascending=False)
        print(f"{len(sizes)} clusters of {len(papers)} papers (tf-idf + NMF; labels are top terms):")
        for label, size in sizes.items():
            print(f"  {size:5d}  {label}")
        return
    if args.taxonomy:
        changed = topic_changes(papers, assign_taxonomy(papers, args.taxonomy, overwrite=args.overwrite))
        how = f"from {args.taxonomy}"
    else:
        if papers["topic"].notna().all():
            print("Every paper has a topic already; nothing to suggest.")
            return
        changed = suggest_topics(papers, args.min_confidence)
        how = (f"learned from the {papers['topic'].notna().sum()} papers in topics "
               f"(confidence >= {args.min_confidence:g}; {changed.attrs['unsure']} less sure left unsorted)")
    counts = topic_counts(changed)
    print(f"{len(changed)} papers get a topic {how}:")
    for (topic, subtopic), n in counts.items():
        print(f"  {n:5d}  {topic} / {subtopic}")
    if args.apply:
        store.update_many({row.id: {"topic": row.topic, "subtopic": row.subtopic}
                           for row in changed.itertuples()})
        print(f"Saved them in {store.path}.")
    elif len(changed):
        print("Run again with --apply to save them in the store.")


def cmd_export(args: argparse.Namespace) -> None:
    from ..curate.export import export, select_papers
    store = _store(args, required=False)
    papers = select_papers(store.papers(), labels=store.labels() if args.label else None,
                           label=args.label, topic=args.topic)
    text = export(papers, args.format, args.out)
    if args.out:
        print(f"Wrote {counted(len(papers), 'paper')} as {args.format} to {args.out}")
    else:
        sys.stdout.write(text)


def llm_options(p: argparse.ArgumentParser, language_default: str | None) -> None:
    p.add_argument("--language", default=language_default, metavar="CODE",
                   help=f"language code: en, zh, ja, ... (default: "
                        f"{language_default or 'llm.language in litscope.yml, else en'})")
    p.add_argument("--dry-run", action="store_true",
                   help="only count the papers and estimate the tokens; send nothing")
    p.add_argument("--limit", type=int, metavar="N", help="only the N newest papers")
    p.add_argument("--label", choices=LABELS,
                   help="only papers with this label")
    p.add_argument("--force", action="store_true",
                   help="ask again even when an answer is cached")
    data_option(p)


def add_parser(sub) -> None:
    """The subcommands 'summarize', 'translate', 'tag', 'note', 'dedupe', 'topics', 'export' and their options."""
    p = command(sub, "summarize", cmd_summarize, "summarise papers with an LLM, or extractively offline",
                "Give papers a structured summary (TL;DR, motivation, method, result, conclusion)\n"
                "from any OpenAI-compatible endpoint: set llm.base_url and llm.model in litscope.yml\n"
                "and the API key in the environment variable llm.api_key_env names (OPENAI_API_KEY).\n"
                "Answers are cached in the store, so a repeated run sends nothing. Without an\n"
                "endpoint, the abstract's most central sentences make an extractive summary.\n"
                "Summaries imported with a digest are kept.\n\n"
                "example: litscope summarize --label include --language zh --dry-run")
    llm_options(p, None)

    p = command(sub, "translate", cmd_translate, "translate titles and abstracts with an LLM",
                "Translate titles and abstracts through the LLM endpoint (see 'litscope summarize\n"
                "--help'); Chinese goes to title_zh/abstract_zh. Existing translations are kept\n"
                "unless --force.\n\n"
                "example: litscope translate --language zh --limit 20")
    llm_options(p, "zh")

    p = command(sub, "tag", cmd_tag, "add or remove tags of a paper",
                "Add tags to a paper (or remove them with --remove) and print its tags.\n\n"
                "example: litscope tag 2512.04752 speculative-decoding to-read")
    p.add_argument("id", metavar="ID", help="the paper's id (an arXiv id, version or URL accepted)")
    p.add_argument("tags", nargs="+", metavar="TAG")
    p.add_argument("--remove", action="store_true", help="remove the tags instead")
    data_option(p)

    p = command(sub, "note", cmd_note, "write a note on a paper",
                "Save a note on a paper, replacing its previous note; an empty TEXT deletes it.\n\n"
                "example: litscope note 2512.04752 compare with Medusa")
    p.add_argument("id", metavar="ID", help="the paper's id (an arXiv id, version or URL accepted)")
    p.add_argument("text", nargs="+", metavar="TEXT")
    data_option(p)

    p = command(sub, "dedupe", cmd_dedupe, "find (and merge) duplicate papers from different sources",
                "Find papers that are one paper under two ids: from two digests, as a revised\n"
                "version, or as an entry without arXiv id (title only, or abstract only). Pairs\n"
                "whose titles or abstracts are similar (tf-idf cosine >= --threshold) are listed;\n"
                "'=' pairs are certain (every text they share >= --certain, not two arXiv ids),\n"
                "'?' pairs need a person's eye. --apply merges the certain pairs into the store:\n"
                "the arXiv copy is kept, fields only the other copy has are added, and its\n"
                "sources, label, note and cached summaries move over.\n\n"
                "example: litscope dedupe --threshold 0.5 --apply")
    p.add_argument("--threshold", type=float, default=0.6, metavar="T",
                   help="list pairs at least this similar, 0..1 (default 0.6)")
    p.add_argument("--certain", type=float, default=0.8, metavar="C",
                   help="merge pairs at least this similar in every text, T..1 (default 0.8)")
    p.add_argument("--apply", action="store_true", help="merge the certain pairs into the store")
    data_option(p)

    p = command(sub, "topics", cmd_topics, "sort papers into topics: rules, learned, or clusters",
                "Sort the store's papers into topics in one of three ways:\n"
                "  --taxonomy FILE  rules from a taxonomy (topic -> subtopics -> keywords and\n"
                "                   examples; see taxonomies/llm.yml)\n"
                "  (default)        learned from the papers that have a topic already, suggested\n"
                "                   for the others with a confidence\n"
                "  --clusters K     K clusters (tf-idf + NMF) labelled by their top terms, for a\n"
                "                   first look; nothing is saved\n"
                "Prints what would change; --apply saves it.\n\n"
                "example: litscope topics --taxonomy taxonomies/llm.yml --apply")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--taxonomy", metavar="FILE", help="assign topics by this taxonomy's rules")
    mode.add_argument("--clusters", type=int, metavar="K", help="show K clusters of the papers")
    p.add_argument("--overwrite", action="store_true",
                   help="with --taxonomy: also re-sort papers that have a topic")
    p.add_argument("--min-confidence", type=float, default=0.5, metavar="P",
                   help="suggest a learned topic only this sure (default 0.5)")
    p.add_argument("--apply", action="store_true", help="save the topics in the store")
    data_option(p)

    p = command(sub, "export", cmd_export, "export papers as BibTeX, RIS, CSV or JSON Lines",
                "Export the store's papers, or a selection of them, for a reference manager or\n"
                "a spreadsheet. BibTeX entries carry arXiv's eprint fields and stable citation\n"
                "keys (lastname + year + first title word); RIS follows what Zotero imports.\n\n"
                "example: litscope export --format bibtex --label include --out review.bib")
    p.add_argument("--format", required=True, choices=EXPORT_FORMATS)
    p.add_argument("--label", choices=LABELS,
                   help="only papers with this label")
    p.add_argument("--topic", metavar="T", help="only papers whose topic or subtopic is T")
    p.add_argument("--out", metavar="FILE", help="write to FILE (default: standard output)")
    data_option(p)
