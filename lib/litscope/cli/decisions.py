"""The person's decisions: `label`, `decisions` (who decided what) and `learn`."""
from __future__ import annotations

import argparse

from ..choices import LABELS, STRATEGIES
from ..report import counted
from .common import _paper_id, _project, _store, command, data_option

#: What `litscope label` takes, first or last among the ids.
LABEL_CHOICES = (*LABELS, "clear")


def _label_and_ids(words: list[str]) -> tuple[str, list[str]]:
    """The label and the ids of ``label ID... LABEL`` or ``label LABEL ID...``."""
    from ..errors import DecisionError
    at = [i for i in (0, len(words) - 1) if words[i] in LABEL_CHOICES]
    if len(words) < 2 or not at:
        raise DecisionError(f"litscope label: name the papers and one label ({', '.join(LABEL_CHOICES)}), "
                            f"e.g. 'litscope label 2512.04752 include'; got {' '.join(words)!r}")
    return words[at[0]], words[1:] if at[0] == 0 else words[:-1]


def cmd_label(args: argparse.Namespace) -> None:
    label, ids = _label_and_ids(args.words)
    store = _store(args, required=False)
    label = None if label == "clear" else label
    ids = [_paper_id(i) for i in ids]
    for paper_id in ids:
        store.set_label(paper_id, label, reason=args.reason)
    where = f" (recorded in {store.decisions.path.relative_to(store.decisions.root)})" if store.decisions else ""
    what = f"labelled {label}" if label else "label cleared"
    print(f"{', '.join(ids) if len(ids) <= 3 else f'{len(ids)} papers'}: {what}{where}")


def cmd_decisions(args: argparse.Namespace) -> None:
    from ..decisions import disagreements
    from ..errors import DecisionError
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
    print(f"{counted(len(split), 'paper')} where reviewers' latest labels differ (the latest decision counts):")
    for row in split.to_dict("records"):
        votes = " · ".join(f"{who}: {label}" for who, label in row.items()
                           if who not in ("id", "counts") and label)
        print(f"  {row['id']}  {votes}  -> {row['counts']}  {str(titles.get(row['id'], ''))[:60]}")
    if args.check:
        raise DecisionError(f"{counted(len(split), 'paper')} where reviewers disagree (listed above)")


def cmd_learn(args: argparse.Namespace) -> None:
    from ..report import format_table
    from ..score.learn import Learner, evaluate, suggest_next
    from ..score.stopping import check_sample, stopping_report
    from ..sources.library import library_only_papers, training_labels
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
    outside = library_only_papers(store)
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


def add_parser(sub) -> None:
    """The subcommands 'label', 'decisions', 'learn' and their options."""
    p = command(sub, "label", cmd_label, "label papers include, exclude or maybe (or clear the label)",
                "Label one or more papers, as the Explorer's buttons do. The label goes to the store\n"
                "and, in a review project, to the review's decisions (decisions/<you>.jsonl, with\n"
                "who and when: commit it). 'litscope learn' and a profile's alpha learn from them.\n\n"
                "examples: litscope label 2512.04752 2511.10645 include --reason 'fast decoding'\n"
                "          litscope label exclude 2512.04752      (the label first works too)")
    p.add_argument("words", nargs="+", metavar="ID... LABEL",
                   help=f"paper ids (an arXiv id, version or URL) and one label, first or last: "
                        f"{', '.join(LABEL_CHOICES)}")
    p.add_argument("--reason", metavar="TEXT", help="why (kept with the decision)")
    data_option(p)

    p = command(sub, "decisions", cmd_decisions, "who decided what, and where reviewers disagree",
                "Summarise the review's decisions (decisions/*.jsonl: one file per reviewer) and\n"
                "list the papers whose reviewers' latest labels differ; the latest decision counts\n"
                "until someone decides again.\n\n"
                "example: litscope decisions --all --top 30")
    p.add_argument("--all", action="store_true", help="also list the latest decisions")
    p.add_argument("--top", type=int, default=20, metavar="N", help="with --all: how many (default 20)")
    p.add_argument("--check", action="store_true", help="exit with status 2 when reviewers disagree")
    data_option(p)

    p = command(sub, "learn", cmd_learn, "learn from your labels: what to label next, when to stop",
                "Train a text model (tf-idf; ASReview's SVM on the labels alone, joined by a\n"
                "logistic regression with the unlabelled papers as weak excludes once includes\n"
                "are 5% of the papers, voting by rank) on the\n"
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
    p.add_argument("--strategy", choices=STRATEGIES, default="top",
                   help="which papers to suggest (default top)")
    p.add_argument("--check-sample", action="store_true",
                   help="list the random check sample's papers still to label, and stop")
    p.add_argument("--sample-size", type=int, default=50, metavar="N",
                   help="papers in the random check sample (default 50)")
    p.add_argument("--evaluate", action="store_true", help="also cross-validate the model on the labels")
    p.add_argument("--folds", type=int, default=5, metavar="K", help="cross-validation folds (default 5)")
    p.add_argument("--k", type=int, default=10, metavar="K", help="k of recall@k and precision@k (default 10)")
    data_option(p)
