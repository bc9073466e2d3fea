"""The `litscope` command: a thin shell over the library's functions.

User errors (`LitscopeError`, and a file the system will not let it write: a full disk, a
read-only folder) print one line and exit 2; nothing else prints a traceback unless
``LITSCOPE_DEBUG=1``. The library's warnings print as ``litscope: warning: ...``.
Output into a closed pipe (``litscope list | head -1``) ends quietly with status 0.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

from . import __version__
from .config import open_project, write_text
from .errors import LitscopeError

Handler = Callable[[argparse.Namespace], int | None]
log = logging.getLogger(__name__)


def _project(args: argparse.Namespace, required: bool = True):
    project = open_project(data=getattr(args, "data", None), required=required)
    project.allow_empty_profile = getattr(args, "allow_empty", False)
    return project


def _store(args: argparse.Namespace, required: bool = True):
    return _project(args, required).store()


# -- init -----------------------------------------------------------------------------------
def cmd_init(args: argparse.Namespace) -> None:
    from .config import load_config
    from .project import init_project
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


# -- fetch ----------------------------------------------------------------------------------
def cmd_fetch(args: argparse.Namespace) -> None:
    from .errors import FetchError
    project = _project(args, required=False)
    categories = args.cat or project.config.categories
    if args.new or args.bulk:
        given = [name for name, value in (("--query", args.query), ("--max-results", args.max_results))
                 if value is not None] + (["--since", "--until"] if args.new and (args.since or args.until) else [])
        if given:
            raise FetchError(f"{given[0]} does not go with {'--new' if args.new else '--bulk'}: the listing "
                             f"feed holds one day's announcement; a bulk harvest takes whole categories")
    if args.new:
        from .sources.announcements import fetch_new
        print(fetch_new(categories, project=project, refresh=args.refresh).attrs["report"])
    elif args.bulk:
        from .sources.oai import harvest
        if not args.since:
            raise FetchError("--bulk needs --since YYYY-MM-DD: the first submission day to harvest")
        print(harvest(categories, args.since, args.until, project=project, refresh=args.refresh))
    else:
        from .sources.arxiv_api import fetch
        result = fetch(categories, query=args.query, since=args.since, until=args.until,
                       max_results=args.max_results, refresh=args.refresh, project=project)
        print(result.attrs.get("report", f"{len(result)} papers"))


# -- import ---------------------------------------------------------------------------------
def cmd_import(args: argparse.Namespace) -> None:
    from .sources.digests import describe_cut_off, read_digest
    from .sources.snapshot import import_snapshot, is_snapshot
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
        print(f"{file}: {papers.attrs.get('format', 'digest')}, {len(papers) - counts['cut_off']} papers "
              f"({counts['added']} new, {counts['updated']} updated, {counts['unchanged']} unchanged)")
        if papers.attrs.get("cut_off"):
            log.warning("%s: %s", file, describe_cut_off(papers.attrs["cut_off"]))
        for note in counts.notes():
            log.warning("%s: %s", file, note)
    print(f"The store {store.path} now holds {store.count()} papers.")


# -- library --------------------------------------------------------------------------------
def cmd_library_import(args: argparse.Namespace) -> None:
    from .sources.arxiv_api import fetch_ids
    from .sources.library import import_library
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
    from .errors import StoreError
    from .sources.library import drop_library
    store = _store(args, required=False)
    removed = drop_library(store, args.name)
    if not removed:
        names = sorted(set(store.library()["collection"]))
        raise StoreError(f"no library {args.name!r} in {store.path} (libraries: "
                         f"{', '.join(names) or 'none'})")
    print(f"removed library {args.name!r} ({removed} items); the papers stay in the store.")


# -- search ---------------------------------------------------------------------------------
def cmd_search(args: argparse.Namespace) -> None:
    from .report import format_table
    from .score.search import search
    project = _project(args, required=False)
    store = _store(args, required=False)
    papers = store.papers()
    semantic = None if args.words_only else args.representation
    client = None if semantic is None else _embedding_client(project, semantic)
    if client is not None:
        from .score.represent import get_representation
        semantic = get_representation(semantic, client=client,
                                      endpoint_model=project.config.llm.embedding_model)
    found = search(papers, " ".join(args.query), top=args.top, semantic=semantic, store=store)
    if found.empty:
        print(f"No paper among the {len(papers)} in the store matches {' '.join(args.query)!r}.")
        return
    print(format_table(found.assign(rank=range(1, len(found) + 1), score=found["search_score"])))
    how = "words only" if semantic is None else f"words + meaning ({getattr(semantic, 'name', semantic)})"
    print(f"{len(found)} best of {len(papers)} papers by {how}, fused by reciprocal rank.")


# -- list -----------------------------------------------------------------------------------
def cmd_list(args: argparse.Namespace) -> None:
    from .report import format_table
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
    print(f"{len(papers)} papers {how}{more}.")


# -- publish and digest ---------------------------------------------------------------------
def cmd_publish(args: argparse.Namespace) -> None:
    from .errors import PublishError
    from .publish import publish_project
    from .publish.quarto_schema import check_site
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
        _render(project, full=args.full)


def _render(project, *, full: bool = False) -> None:
    """Render the review's website after litscope wrote its pages: what changed, or all."""
    from .publish import QUARTO_HELP, find_quarto, render_project
    if find_quarto() is None:
        print(QUARTO_HELP.format(root=project.root))
        return
    print(render_project(project.root, pages_folder=project.config.site.out, full=full,
                         pages_current=True).summary())


def cmd_digest(args: argparse.Namespace) -> None:
    from datetime import datetime, timezone
    from .config import parse_day
    from .errors import PublishError
    from .publish import score_papers
    from .publish.digest import render_digest
    from .daily import window_papers
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


# -- summarize, translate, tag, note ---------------------------------------------------------
def _selection(args: argparse.Namespace, store):
    """The papers an LLM command works on: those with --label, then the --limit newest."""
    papers = store.papers()
    if args.label:
        labels = store.labels()
        papers = papers[papers["id"].isin(labels.loc[labels["label"] == args.label, "id"])]
    return papers.head(args.limit) if args.limit else papers


def _run_llm(args: argparse.Namespace, run: Callable) -> None:
    from .errors import LLMError
    project = _project(args, required=False)
    store = project.store()
    report = run(_selection(args, store), project.config.llm, store, language=args.language,
                 dry_run=args.dry_run, force=args.force).attrs["report"]
    print(report)
    for paper_id, reason in report.failures.items():
        print(f"  {paper_id}: {reason}")
    if report.all_failed:
        raise LLMError(f"all {report.failed} papers failed, none got a "
                       f"{'summary' if report.kind == 'summary' else 'translation'} (reasons above)")


def cmd_summarize(args: argparse.Namespace) -> None:
    from .curate.summarize import summarize
    _run_llm(args, summarize)


def cmd_translate(args: argparse.Namespace) -> None:
    from .curate.summarize import translate
    _run_llm(args, translate)


def _paper_id(text: str) -> str:
    """An arXiv id as typed (with version, or as a URL) in its stored form; others as they are."""
    from .schema import split_arxiv_id
    try:
        return split_arxiv_id(text)[0]
    except LitscopeError:
        return text.strip()


def cmd_tag(args: argparse.Namespace) -> None:
    paper_id = _paper_id(args.id)
    tags = _store(args, required=False).tag(paper_id, add=[] if args.remove else args.tags,
                                            remove=args.tags if args.remove else [])
    print(f"{paper_id}: {', '.join(tags) if tags else '(no tags)'}")


def cmd_label(args: argparse.Namespace) -> None:
    store = _store(args, required=False)
    label = None if args.label == "clear" else args.label
    ids = [_paper_id(i) for i in args.ids]
    for paper_id in ids:
        store.set_label(paper_id, label, reason=args.reason)
    where = f" (recorded in {store.decisions.path.relative_to(store.decisions.root)})" if store.decisions else ""
    what = f"labelled {label}" if label else "label cleared"
    print(f"{', '.join(ids) if len(ids) <= 3 else f'{len(ids)} papers'}: {what}{where}")


def cmd_decisions(args: argparse.Namespace) -> None:
    from .decisions import disagreements
    from .errors import DecisionError
    project = _project(args)
    log = project.decisions()
    entries = log.read()
    if not entries:
        print(f"No decisions in {log.folder} yet: label papers in the Explorer or with 'litscope label'.")
        return
    table = log.frame()
    for reviewer, mine in table.groupby("by", sort=True):
        kinds = ", ".join(f"{n} {k}" for k, n in mine["kind"].value_counts().items())
        print(f"{reviewer}: {len(mine)} decisions ({kinds}), the latest at {mine['at'].max()[:16]}")
    if args.all:
        print(table[["at", "by", "id", "decision"]].tail(args.top).to_string(index=False))
    split = disagreements(entries)
    if split.empty:
        print("The reviewers agree on every paper they both labelled.")
        return
    found = project.store().papers(split["id"])
    titles = dict(zip(found["id"], found["title"]))
    print(f"{len(split)} papers where reviewers' latest labels differ (the latest decision counts):")
    for row in split.to_dict("records"):
        votes = " · ".join(f"{who}: {label}" for who, label in row.items()
                           if who not in ("id", "counts") and label)
        print(f"  {row['id']}  {votes}  -> {row['counts']}  {str(titles.get(row['id'], ''))[:60]}")
    if args.check:
        raise DecisionError(f"{len(split)} papers where reviewers disagree (listed above)")


def cmd_rebuild(args: argparse.Namespace) -> None:
    from .restore import rebuild
    print(rebuild(_project(args), fetch=args.fetch).summary())


def cmd_note(args: argparse.Namespace) -> None:
    paper_id, text = _paper_id(args.id), " ".join(args.text)
    _store(args, required=False).set_note(paper_id, text)
    print(f"{paper_id}: note {'saved' if text.strip() else 'deleted'}")


# -- dedupe and export ----------------------------------------------------------------------
def cmd_dedupe(args: argparse.Namespace) -> None:
    from .curate.dedupe import dedupe_store
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
    from .errors import CurateError
    from .curate.topics import TopicSuggester, assign_taxonomy, cluster_topics
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
        assigned = assign_taxonomy(papers, args.taxonomy, overwrite=args.overwrite)
        changed = assigned[(assigned["topic"].astype(object).fillna("") != papers["topic"].astype(object).fillna(""))
                           | (assigned["subtopic"].astype(object).fillna("")
                              != papers["subtopic"].astype(object).fillna(""))]
        how = f"from {args.taxonomy}"
    else:
        unsorted = papers[papers["topic"].isna()]
        if unsorted.empty:
            print("Every paper has a topic already; nothing to suggest.")
            return
        suggested = TopicSuggester().fit(papers).predict(unsorted)
        sure = suggested[suggested["confidence"] >= args.min_confidence]
        changed = unsorted.loc[sure.index].assign(topic=sure["suggested_topic"],
                                                  subtopic=sure["suggested_subtopic"])
        how = (f"learned from the {papers['topic'].notna().sum()} papers in topics "
               f"(confidence >= {args.min_confidence:g}; {len(unsorted) - len(sure)} less sure left unsorted)")
    counts = changed.assign(subtopic=changed["subtopic"].astype(object).fillna("-")) \
        .groupby(["topic", "subtopic"], dropna=False).size().sort_values(ascending=False)
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
    from .curate.export import export, select_papers
    store = _store(args, required=False)
    papers = select_papers(store.papers(), labels=store.labels() if args.label else None,
                           label=args.label, topic=args.topic)
    text = export(papers, args.format, args.out)
    if args.out:
        print(f"Wrote {len(papers)} papers as {args.format} to {args.out}")
    else:
        sys.stdout.write(text)


# -- demo -----------------------------------------------------------------------------------
# -- score, profile -------------------------------------------------------------------------
def _embedding_client(project, representation: str):
    """The project's LLM endpoint client when `representation` asks for one."""
    if not representation.startswith("endpoint"):
        return None
    from .curate.llm import LLMClient
    return LLMClient(project.config.llm)


def _ranking(args: argparse.Namespace, project, store):
    """The review's ranking (the project's profile, or --profile), or an error saying how to
    get a profile."""
    from .errors import ProfileError
    ranking = project.ranking(store, profile=getattr(args, "profile", None))
    if ranking is None:
        raise ProfileError(f"no profile at {project.profile_path}: 'litscope init' writes one, or "
                           f"name one with --profile")
    return ranking


def _say_what_ranked(ranking) -> None:
    """What the learned model and the similarity did (what has no effect: on stderr)."""
    for line, problem in ranking.describe().notes():
        print(line, file=sys.stderr if problem else sys.stdout)


def cmd_score(args: argparse.Namespace) -> None:
    from .errors import ScoreError
    from .report import format_table
    from .schema import LIST_COLUMNS
    from .score.engine import SCORE_COLUMNS
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
        out, scored = Path(args.out), scorer.score(hand_over=handed, now=ranking.now)
        if out.suffix == ".csv":
            from .curate.export import write_csv
            for column in LIST_COLUMNS:
                scored[column] = ["; ".join(v or []) for v in scored[column]]
            write_csv(scored, out)
        elif out.suffix == ".parquet":   # without pandas' metadata, which cannot name list dtypes
            import pyarrow as pa
            import pyarrow.parquet as pq
            pq.write_table(pa.Table.from_pandas(scored, preserve_index=False)
                           .replace_schema_metadata(None), out)
        else:
            raise ScoreError(f"--out {out}: name a .csv or .parquet file")
        print(f"Wrote {len(scored)} scored papers to {out}")
    print(format_table(best))
    cut = scorer.profile.min_score
    print(f"{len(best)} of {n_papers} papers listed (best first; excluded papers"
          f"{'' if cut is None else f' and scores below {cut:g}'} left out).")
    print(f"Read the store in {read - started:.2f} s, scored in {time.perf_counter() - read:.2f} s.")


def cmd_profile_import_bot(args: argparse.Namespace) -> None:
    from .errors import ProfileError
    from .score.profile import dump_profile, import_bot_config
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
    from .score.profile import load_profile
    path = args.file or _project(args, required=False).profile_path
    profile = load_profile(path, allow_empty=args.allow_empty)
    empty = "; it is empty: every paper scores 0" if profile.is_empty else ""
    print(f"{path}: OK ({len(profile.terms)} terms, {len(profile.exclude)} excludes){empty}")


# -- learn ----------------------------------------------------------------------------------
def cmd_learn(args: argparse.Namespace) -> None:
    from .report import format_table
    from .score.learn import Learner, evaluate, suggest_next
    from .score.stopping import check_sample, stopping_report
    from .sources.library import library_papers, training_labels
    store = _store(args, required=False)
    papers, labels = store.papers(), training_labels(store)
    if args.check_sample:
        sample = check_sample(papers["id"], args.sample_size)
        todo = papers[papers["id"].isin(sample) & ~papers["id"].isin(labels["id"])]
        print(f"The random check sample: {len(sample)} papers drawn at random from the "
              f"{len(papers)}, {len(sample) - len(todo)} labelled. Label these {len(todo)} "
              f"(include or exclude, whatever the model thinks) for an estimate of what is left:")
        print(format_table(todo))
        return
    library = library_papers(store)
    outside = library[library["id"].str.startswith("lib:")]
    learner = Learner()
    picked = suggest_next(papers, labels, n=args.suggest, strategy=args.strategy, learner=learner,
                          store=store, extra_includes=outside)
    sources = labels.loc[labels["label"] == "include", "source"].value_counts()
    print(f"Label next ({args.strategy}; model {learner.name} trained on {learner.n_include_} "
          f"includes ({', '.join(f'{n} {s}' for s, n in sources.items())}"
          f"{f', {len(outside)} library-only' if len(outside) else ''}), {learner.n_exclude_} "
          f"excludes; score = the learned score, 0-1, higher = likelier an include):")
    print(format_table(picked.assign(rank=range(1, len(picked) + 1), score=picked["learned"])))
    own = store.labels()
    print()
    print(stopping_report(papers, own, sample_size=args.sample_size).summary())
    if args.evaluate:
        result = evaluate(papers, own, folds=args.folds, k=args.k, learner=learner, store=store)
        print(f"\nCross-validated on your labels ({int(result['folds'])} folds):")
        for name, value in result.items():
            print(f"  {name:<14} {value:.3f}" if isinstance(value, float) else f"  {name:<14} {value}")
        print("  (loss: ASReview's, 0 is perfect and ~0.5 random, lower is better; the rest: higher)")


def cmd_update(args: argparse.Namespace) -> None:
    from .daily import update
    project = _project(args)
    print(update(project, day=args.date, refresh=args.refresh).summary())
    if args.render:
        _render(project)


def cmd_demo(args: argparse.Namespace) -> None:
    from .demo import run_demo
    run_demo(project=_project(args, required=False), render=args.render)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="litscope",
        description="Literature reviews of arXiv: fetch papers into a local store, score them "
                    "with a readable profile, curate and publish them as a Quarto website.",
        epilog="Run 'litscope COMMAND --help' for the options of one command. Commands look for "
               "litscope.yml in the working directory and its parents, as git does.")
    parser.add_argument("--version", action="version", version=f"litscope {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, handler: Handler, help: str, description: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=description,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.set_defaults(handler=handler)
        return p

    def data_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data", metavar="DIR", help="the store's folder (default: the project's "
                       "'data:' setting, or $LITSCOPE_DATA)")

    def allow_empty_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--allow-empty", action="store_true",
                       help="accept a profile without terms or boosts (every paper then scores 0; "
                            "without this flag such a profile is an error)")

    p = command("init", cmd_init, "create a review project",
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

    p = command("fetch", cmd_fetch, "fetch papers from arXiv into the store",
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

    p = command("import", cmd_import, "import digest files or arXiv's metadata snapshot",
                "Import papers from digest files into the store: daily per-category digests,\n"
                "arxiv_rss_bot READMEs, bilingual title/abstract lists and topic digests. The format\n"
                "is detected. arXiv's metadata snapshot (arxiv-metadata-oai-snapshot.json, plain, .gz\n"
                "or Kaggle's .zip) is streamed into Parquet parts instead (--out, default data/snapshot),\n"
                "which 'litscope.scale' and the scorer read; --cat, --since and --until filter it.\n\n"
                "example: litscope import arxiv-metadata-oai-snapshot.json --cat cs.CL --since 2025-01-01")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--format", choices=["daily", "bot", "bilingual", "topics", "snapshot"],
                   help="skip detection and read FILE in this format")
    p.add_argument("--out", metavar="DIR", help="snapshot: the folder of Parquet parts (default: data/snapshot)")
    p.add_argument("--cat", action="append", metavar="CATEGORY",
                   help="snapshot: keep papers in this category, repeatable (default: all)")
    p.add_argument("--since", metavar="YYYY-MM-DD", help="snapshot: keep papers first submitted on or after")
    p.add_argument("--until", metavar="YYYY-MM-DD", help="snapshot: keep papers first submitted on or before")
    data_option(p)

    p = command("library", lambda _: library_parser.print_help() or 2,
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
    q.add_argument("--format", choices=["bibtex", "ris", "csl-json", "ids", "zotero"],
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

    p = command("search", cmd_search, "search the store by words and by meaning",
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

    p = command("list", cmd_list, "list papers in the store",
                "Print the store's papers as a table: in the review's ranking (the order of the\n"
                "site, the digest and 'litscope score', excluded papers last), or newest first.\n\n"
                "example: litscope list --label include --top 50")
    p.add_argument("--top", type=int, default=20, metavar="N", help="how many rows (default 20)")
    p.add_argument("--label", choices=["include", "exclude", "maybe"], help="only papers with this label")
    p.add_argument("--sort", choices=["rank", "date"], default="rank",
                   help="the review's ranking (default; newest first without a profile) or date")
    p.add_argument("--ids", action="store_true", help="print only the papers' ids, one a line")
    data_option(p)

    p = command("score", cmd_score, "rank the store's papers with a profile",
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

    p = command("profile", lambda _: profile_parser.print_help() or 2, "check or import scoring profiles",
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

    p = command("learn", cmd_learn, "learn from your labels: what to label next, when to stop",
                "Train a text model (tf-idf; a logistic regression with the unlabelled papers as\n"
                "weak excludes and an SVM on the labels alone, voting by rank) on the\n"
                "include/exclude labels in the store and the imported library (its items count as\n"
                "includes), and list the unlabelled papers to label next: the likeliest includes\n"
                "(--strategy top, finds them soonest) or the ones it is least sure about\n"
                "(--strategy uncertain). Then the stopping report: how many relevant papers are\n"
                "probably still unscreened and how many more to find for 95% recall, estimated\n"
                "from a random check sample (--check-sample lists its papers to label), and the\n"
                "consecutive-excludes heuristic. --evaluate adds cross-validated recall@k,\n"
                "precision@k, WSS@95, ASReview's loss and nDCG, recall after 10% and ROC AUC on\n"
                "your labels.\n\n"
                "example: litscope learn --suggest 20 --evaluate")
    p.add_argument("--suggest", type=int, default=10, metavar="N",
                   help="how many papers to suggest (default 10)")
    p.add_argument("--strategy", choices=["top", "uncertain"], default="top",
                   help="which papers to suggest (default top)")
    p.add_argument("--check-sample", action="store_true",
                   help="list the random check sample's papers still to label, and stop")
    p.add_argument("--sample-size", type=int, default=50, metavar="N",
                   help="papers in the random check sample (default 50)")
    p.add_argument("--evaluate", action="store_true", help="also cross-validate the model on the labels")
    p.add_argument("--folds", type=int, default=5, metavar="K", help="cross-validation folds (default 5)")
    p.add_argument("--k", type=int, default=10, metavar="K", help="k of recall@k and precision@k (default 10)")
    data_option(p)

    p = command("publish", cmd_publish, "write the curated papers' pages of the review website",
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

    p = command("digest", cmd_digest, "write the papers of a day as digest markdown",
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
    p.add_argument("--format", choices=["daily", "bot"], default="daily", help="digest format (default: daily)")
    p.add_argument("--out", metavar="FILE", help="write to FILE (default: standard output)")
    data_option(p)
    allow_empty_option(p)

    def llm_options(p: argparse.ArgumentParser, language_default: str | None) -> None:
        p.add_argument("--language", default=language_default, metavar="CODE",
                       help=f"language code: en, zh, ja, ... (default: "
                            f"{language_default or 'llm.language in litscope.yml, else en'})")
        p.add_argument("--dry-run", action="store_true",
                       help="only count the papers and estimate the tokens; send nothing")
        p.add_argument("--limit", type=int, metavar="N", help="only the N newest papers")
        p.add_argument("--label", choices=["include", "exclude", "maybe"],
                       help="only papers with this label")
        p.add_argument("--force", action="store_true",
                       help="ask again even when an answer is cached")
        data_option(p)

    p = command("summarize", cmd_summarize, "summarise papers with an LLM, or extractively offline",
                "Give papers a structured summary (TL;DR, motivation, method, result, conclusion)\n"
                "from any OpenAI-compatible endpoint: set llm.base_url and llm.model in litscope.yml\n"
                "and the API key in the environment variable llm.api_key_env names (OPENAI_API_KEY).\n"
                "Answers are cached in the store, so a repeated run sends nothing. Without an\n"
                "endpoint, the abstract's most central sentences make an extractive summary.\n"
                "Summaries imported with a digest are kept.\n\n"
                "example: litscope summarize --label include --language zh --dry-run")
    llm_options(p, None)

    p = command("translate", cmd_translate, "translate titles and abstracts with an LLM",
                "Translate titles and abstracts through the LLM endpoint (see 'litscope summarize\n"
                "--help'); Chinese goes to title_zh/abstract_zh. Existing translations are kept\n"
                "unless --force.\n\n"
                "example: litscope translate --language zh --limit 20")
    llm_options(p, "zh")

    p = command("tag", cmd_tag, "add or remove tags of a paper",
                "Add tags to a paper (or remove them with --remove) and print its tags.\n\n"
                "example: litscope tag 2512.04752 speculative-decoding to-read")
    p.add_argument("id", metavar="ID", help="the paper's id (an arXiv id, version or URL accepted)")
    p.add_argument("tags", nargs="+", metavar="TAG")
    p.add_argument("--remove", action="store_true", help="remove the tags instead")
    data_option(p)

    p = command("label", cmd_label, "label papers include, exclude or maybe (or clear the label)",
                "Label one or more papers, as the Explorer's buttons do. The label goes to the store\n"
                "and, in a review project, to the review's decisions (decisions/<you>.jsonl, with\n"
                "who and when: commit it). 'litscope learn' and a profile's alpha learn from them.\n\n"
                "example: litscope label 2512.04752 2511.10645 include --reason 'fast decoding'")
    p.add_argument("ids", nargs="+", metavar="ID", help="paper ids (an arXiv id, version or URL accepted)")
    p.add_argument("label", choices=["include", "exclude", "maybe", "clear"])
    p.add_argument("--reason", metavar="TEXT", help="why (kept with the decision)")
    data_option(p)

    p = command("decisions", cmd_decisions, "who decided what, and where reviewers disagree",
                "Summarise the review's decisions (decisions/*.jsonl: one file per reviewer) and\n"
                "list the papers whose reviewers' latest labels differ; the latest decision counts\n"
                "until someone decides again.\n\n"
                "example: litscope decisions --all --top 30")
    p.add_argument("--all", action="store_true", help="also list the latest decisions")
    p.add_argument("--top", type=int, default=20, metavar="N", help="with --all: how many (default 20)")
    p.add_argument("--check", action="store_true", help="exit with status 2 when reviewers disagree")
    data_option(p)

    p = command("rebuild", cmd_rebuild, "make the store again from what the review project keeps",
                "The store is a cache of the review project: rebuild it on a fresh clone (or after\n"
                "a pull) from what the project keeps in git. Imports the digests the review\n"
                "published (digests/*.md) and its libraries (library/*.jsonl) again, applies every\n"
                "decision (decisions/*.jsonl) to the papers the store holds, and lists the decided\n"
                "papers it lacks; --fetch fetches those from arXiv by id (2,000 a request).\n\n"
                "example: litscope rebuild --fetch")
    p.add_argument("--fetch", action="store_true", help="fetch the decided arXiv papers the store lacks")
    data_option(p)

    p = command("note", cmd_note, "write a note on a paper",
                "Save a note on a paper, replacing its previous note; an empty TEXT deletes it.\n\n"
                "example: litscope note 2512.04752 compare with Medusa")
    p.add_argument("id", metavar="ID", help="the paper's id (an arXiv id, version or URL accepted)")
    p.add_argument("text", nargs="+", metavar="TEXT")
    data_option(p)

    p = command("dedupe", cmd_dedupe, "find (and merge) duplicate papers from different sources",
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

    p = command("export", cmd_export, "export papers as BibTeX, RIS, CSV or JSON Lines",
                "Export the store's papers, or a selection of them, for a reference manager or\n"
                "a spreadsheet. BibTeX entries carry arXiv's eprint fields and stable citation\n"
                "keys (lastname + year + first title word); RIS follows what Zotero imports.\n\n"
                "example: litscope export --format bibtex --label include --out review.bib")
    p.add_argument("--format", required=True, choices=["bibtex", "ris", "csv", "jsonl"])
    p.add_argument("--label", choices=["include", "exclude", "maybe"],
                   help="only papers with this label")
    p.add_argument("--topic", metavar="T", help="only papers whose topic or subtopic is T")
    p.add_argument("--out", metavar="FILE", help="write to FILE (default: standard output)")
    data_option(p)

    p = command("topics", cmd_topics, "sort papers into topics: rules, learned, or clusters",
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

    p = command("update", cmd_update, "the daily job: fetch, score, summarise, digest, site",
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

    p = command("demo", cmd_demo, "run the whole workflow on the embedded sample, offline",
                "Import the embedded sample corpus (papers from five real digests) into the store,\n"
                "rank it with the review's profile, and write the digest and the review website's\n"
                "pages; --render then renders the website with Quarto. For this repository (the\n"
                "sample review) or an empty folder: it refuses a store holding papers of yours.")
    p.add_argument("--render", action="store_true", help="render the website with Quarto afterwards")
    data_option(p)
    return parser


class _WarningLines(logging.Handler):
    """The library's warnings as the command prints them, on the standard error of the moment."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"litscope: {record.levelname.lower()}: {self.format(record)}", file=sys.stderr)


def _show_warnings() -> None:
    logger = logging.getLogger("litscope")
    if not any(isinstance(h, _WarningLines) for h in logger.handlers):
        logger.addHandler(_WarningLines(logging.WARNING))


def _closed_pipe() -> int:
    """Standard output went into a closed pipe: stop quietly, as Unix tools do. What is still
    buffered goes to /dev/null, so that Python's last flush does not fail again."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):   # not a real file (captured in tests): nothing to flush
        pass
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    _show_warnings()
    try:
        status = int(args.handler(args) or 0)
        sys.stdout.flush()          # a closed pipe shows here, not in Python's exit
        return status
    except BrokenPipeError:
        return _closed_pipe()
    except LitscopeError as exc:
        if os.environ.get("LITSCOPE_DEBUG"):
            raise
        print(f"litscope: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:          # a full disk, a read-only folder, a file it may not write
        if os.environ.get("LITSCOPE_DEBUG") or exc.filename is None:
            raise
        print(f"litscope: error: {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("litscope: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
