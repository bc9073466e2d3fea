"""Learning from labels: screening against ASReview 3 on real systematic reviews and on seed
004's subtopics, every litscope setting chosen leave one task out; the public path's speed;
refit + predict at 1k / 100k / 1M.

Screening tasks (13):
- the six real reviews in ``shared/screening/`` (records labelled by the review's authors;
  title + abstract), read from ``$LITSCOPE_SCREENING_DATA`` or else from
  ``../shared/screening`` beside the checkout or a folder above it; the section says so
  when they are missing and measures seed 004 alone;
- seed digest 004's 803 papers, one task per subtopic (relevant = in that subtopic). The
  digest gives no titles, and the titles litscope derives from the abstract are left out
  (`litscope.score.represent.paper_texts`), so both tools read the abstract alone.

Each run starts from 1 relevant + 1 irrelevant prior (`sample_priors`, the same for both
tools), labels the paper `suggest_next` proposes, refits after every label, and stops at the
last relevant record: nothing after it changes a metric (loss and nDCG read the whole
recall curve, the rest being irrelevant). ASReview runs through its Python API in this
process (`Simulate` with `get_ai_config()`: ELAS u4, tf-idf 1-2 grams + linear SVM +
balancing + max query), as `asreview simulate` does. Metrics (priors left out): WSS@95 as
asreview-insights has it; loss and nDCG as `asreview/metrics.py` defines them (litscope's
`loss`/`ndcg`, checked against ASReview's own functions on every ASReview run); recall after
screening 10 %; milliseconds per step (a step: one label, one refit, one ranking).

Honest evaluation: litscope's candidate settings (`CANDIDATES`) run on every task with
*tuning* priors (seed 100). For each task, the candidate with the best score on the
*other twelve* is chosen -- the score is WSS@95 minus loss, averaged within each group of
tasks (real reviews, seed 004's subtopics) and the two groups weighed alike, so the seven
subtopics of one digest do not outvote the six reviews -- and run on the held-out task with
*reporting* priors (seeds 0-4); only that figure is in the "held out" columns. The shipped
default (`Learner()`, `suggest_next()`) is set to the candidate chosen most often and
measured on the reporting priors too.

Every run's figures are cached as JSON in ``benchmarks/.cache/learn/`` (git-ignored), keyed
by the task's records, the seed, the candidate's settings and the source of litscope's
learner (ASReview's: its version): a rerun computes only what changed. Delete the folder to
measure everything again.

``LITSCOPE_BENCH_LEARN_SEEDS=2`` sets the number of reporting seeds (default 5: with two, the means move by ~0.01);
``LITSCOPE_BENCH_LEARN_SCALE=100000`` the largest corpus of the speed table (default 1M).
"""
from __future__ import annotations

import ast
import hashlib
import importlib
import json
import os
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from litscope.sample import load_sample
from litscope.score.learn import (DEFAULT_STRATEGY, Learner, loss, ndcg, recall_after,
                                  sample_priors, simulate, suggest_next, wss_at)
from litscope.score.represent import Tfidf
from synth import corpus

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache" / "learn"
REPORT_SEEDS = range(int(os.environ.get("LITSCOPE_BENCH_LEARN_SEEDS", "5")))
TUNING_SEEDS = range(100, 101)
SCALES = [n for n in (1_000, 100_000, 1_000_000)
          if n <= int(os.environ.get("LITSCOPE_BENCH_LEARN_SCALE", "1000000"))]
REAL, SEED_004 = "real reviews", "seed 004"
#: The settings chosen among, leave one task out: (Learner settings, strategy). Each is
#: the SVM on the labels alone (ASReview's ELAS u4) joined by the logistic regression with
#: unlabelled papers as weak excludes (0.3 each, 500 drawn) from some share of includes on.
CANDIDATES: dict[str, tuple[dict, str]] = {
    "the SVM alone (ASReview's ELAS u4)": ({"pu_from": 1.0}, "top"),
    "the PU vote from 3 % includes": ({"pu_from": 0.03}, "top"),
    "the PU vote from 5 % includes": ({"pu_from": 0.05}, "top"),
}
#: Settings run with the tuning priors and shown beside the candidates, never chosen: the
#: previous default screened Cohen_2006_BetaBlockers 0.13 WSS@95 worse than ASReview on
#: the tuning priors themselves (the limit is 0.03).
SHOWN: dict[str, tuple[dict, str]] = {
    "(the previous default: the PU vote always, title twice, hashed; not a candidate)":
        ({"pu_from": 0.0, "representation": Tfidf(title_weight=2)}, "top"),
}
#: What the tables call `Learner()` with `suggest_next()`'s strategy, and ASReview's runs
#: on the tuning priors (shown beside the candidates, never chosen).
DEFAULT, ASREVIEW = "the shipped default", "(ASReview 3's ELAS u4, for reference)"


# -- tasks -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Task:
    """One screening task: the records, which are relevant, and the group it belongs to."""

    name: str
    group: str
    papers: pd.DataFrame
    relevant: frozenset

    @property
    def key(self) -> str:
        """Names the task's data in the cache: its name, records and relevant ones."""
        text = "\n".join([self.name, *self.papers["id"], *sorted(self.relevant),
                          str(pd.util.hash_pandas_object(self.papers[["title", "abstract"]]).sum())])
        return f"{self.name}-{hashlib.sha1(text.encode()).hexdigest()[:10]}"


def screening_data() -> Path | None:
    """The folder of the real reviews: $LITSCOPE_SCREENING_DATA, else shared/screening in
    the folder above the checkout or any folder above that."""
    if os.environ.get("LITSCOPE_SCREENING_DATA"):
        return Path(os.environ["LITSCOPE_SCREENING_DATA"])
    return next((p / "shared" / "screening" for p in HERE.parent.parents
                 if (p / "shared" / "screening").is_dir()), None)


def _real_reviews(folder: Path) -> list[Task]:
    tasks = []
    for path in sorted(folder.glob("*.csv.xz")):
        frame = pd.read_csv(path, dtype={"record_id": str})
        papers = pd.DataFrame({"id": frame["record_id"], "title": frame["title"].fillna(""),
                               "abstract": frame["abstract"].fillna("")})
        tasks.append(Task(path.name.removesuffix(".csv.xz"), REAL, papers,
                          frozenset(papers["id"][frame["label"] == 1])))
    return tasks


def _seed_004() -> list[Task]:
    sample = load_sample()
    sample = sample[sample["subtopic"].notna()].reset_index(drop=True)
    papers = pd.DataFrame({"id": sample["id"],
                           "title": sample["title"].astype(object).where(~sample["title_derived"], ""),
                           "abstract": sample["abstract"].astype(object).fillna("")})
    return [Task(subtopic, SEED_004, papers, frozenset(sample.loc[sample["subtopic"] == subtopic, "id"]))
            for subtopic in sample["subtopic"].value_counts().index]


def screening_tasks() -> tuple[list[Task], str]:
    """The real reviews (when found) and seed 004's subtopics; a note when reviews are missing."""
    folder = screening_data()
    real = _real_reviews(folder) if folder is not None and folder.is_dir() else []
    if real:
        return [*real, *_seed_004()], f"The real reviews were read from `{folder}`."
    where = folder or "../shared/screening (beside the checkout or a folder above it)"
    return _seed_004(), (f"**The real reviews were not found** (looked in {where}; set "
                         f"LITSCOPE_SCREENING_DATA to their folder): seed 004 alone was measured.")


# -- runs --------------------------------------------------------------------------------
def _figures(ranking: pd.Index, relevant: frozenset, steps: int, seconds: float) -> dict:
    """The metrics of one screening order (priors left out)."""
    return {"wss": wss_at(ranking, relevant, 0.95), "loss": loss(ranking, relevant),
            "ndcg": ndcg(ranking, relevant), "rrf": recall_after(ranking, relevant, 0.10),
            "steps": steps, "ms": 1000 * seconds / steps}


def _source_hash() -> str:
    """The learner's code, docstrings and comments left out: a change to it measures
    litscope's runs again, a change to its documentation does not."""
    dumps = []
    for module in ("learn", "features", "represent"):
        tree = ast.parse(Path(importlib.import_module(f"litscope.score.{module}").__file__)
                         .read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                    and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
        dumps.append(ast.dump(tree))
    return hashlib.sha1("".join(dumps).encode()).hexdigest()[:10]


def _cached(name: str, compute) -> dict:
    path = CACHE / f"{name}.json"
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    result = compute()
    CACHE.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result), encoding="utf-8")
    return result


def _settings(candidate: str) -> tuple[dict, str]:
    return ({}, DEFAULT_STRATEGY) if candidate == DEFAULT else {**CANDIDATES, **SHOWN}[candidate]


def _default_twin() -> str | None:
    """The candidate whose settings the shipped default has, if any."""
    return next((name for name, (settings, strategy) in CANDIDATES.items()
                 if repr(Learner(**settings)) == repr(Learner()) and strategy == DEFAULT_STRATEGY), None)


def _ours(task: Task, candidate: str, seed: int) -> dict:
    settings, strategy = _settings(candidate)
    learner = Learner(**settings)
    setting = hashlib.sha1(f"{learner!r} {strategy} {_source_hash()}".encode()).hexdigest()[:10]

    def compute() -> dict:
        priors = sample_priors(task.papers["id"], task.relevant, 1, 1, seed)
        run = simulate(task.papers, task.relevant, prior_ids=priors, learner=learner, strategy=strategy)
        return _figures(run.ranking, run._relevant, run.n_screened, run.seconds)
    return _cached(f"litscope-{task.key}-{seed}-{setting}", compute)


class _Found:
    """An ASReview stopper: stop once `n` relevant papers are labelled (priors included)."""

    def __init__(self, n: int):
        self.n = n

    def stop(self, results: pd.DataFrame, labels: object) -> bool:
        return int(results["label"].sum()) >= self.n


def _asreview_order(papers: pd.DataFrame, relevant: frozenset, prior_ids: tuple[str, ...],
                    steps: int | None = None) -> tuple[pd.Index, int, float]:
    """ASReview 3's default simulation from the same priors, on the same text, until the last
    relevant paper is found (or `steps` papers are screened): the order (priors left out,
    the unscreened papers after), the steps and the seconds."""
    from asreview.learner import ActiveLearningCycle
    from asreview.models.models import get_ai_config
    from asreview.simulation.simulate import Simulate
    start = time.perf_counter()
    ids = pd.Index(papers["id"])
    labels = ids.isin(relevant).astype(int)
    cycle = ActiveLearningCycle.from_meta(get_ai_config()["value"])
    stopper = _Found(len(relevant)) if steps is None else len(prior_ids) + steps
    sim = Simulate(papers[["title", "abstract"]], labels, [cycle], stopper=stopper, print_progress=False)
    sim.label(list(ids.get_indexer(list(prior_ids))))
    sim.review()
    seconds = time.perf_counter() - start
    screened = sim._results["record_id"].to_numpy()[len(prior_ids):]   # as sim.to_sql writes it
    rest = np.setdiff1d(np.arange(len(ids)), sim._results["record_id"].to_numpy())
    return ids[np.concatenate([screened, rest])], len(screened), seconds


def _asreview(task: Task, seed: int) -> dict:
    import asreview
    from asreview.metrics import loss as asreview_loss
    from asreview.metrics import ndcg as asreview_ndcg

    def compute() -> dict:
        priors = sample_priors(task.papers["id"], task.relevant, 1, 1, seed)
        order, steps, seconds = _asreview_order(task.papers, task.relevant, priors)
        figures = _figures(order, task.relevant - set(priors), steps, seconds)
        labels = order.isin(task.relevant).astype(int).tolist()      # ASReview's padded results
        if not np.isclose([asreview_loss(labels), asreview_ndcg(labels)],
                          [figures["loss"], figures["ndcg"]]).all():
            raise AssertionError(f"{task.name}: litscope's loss/nDCG differ from asreview.metrics")
        return figures
    return _cached(f"asreview{asreview.__version__}-{task.key}-{seed}", compute)


def _seeds(seeds: range) -> str:
    """A range of seeds as a reader says it: "seed 100", "seeds 0–1"."""
    return f"seed {seeds.start}" if len(seeds) == 1 else f"seeds {seeds.start}–{seeds.stop - 1}"


def _table(tasks: list[Task], run, seeds: range, desc: str, **columns) -> pd.DataFrame:
    rows = []
    for task in tqdm(tasks, desc=desc):
        for seed in seeds:
            rows.append({"task": task.name, "group": task.group, "seed": seed, **columns,
                         **run(task, seed)})
    return pd.DataFrame(rows)


# -- choosing leave one task out ---------------------------------------------------------
def _score(figures: pd.DataFrame) -> pd.Series:
    """Each candidate's tuning score: WSS@95 minus loss, mean per group, groups alike."""
    per_task = figures.assign(score=figures["wss"] - figures["loss"]).groupby(
        ["candidate", "group", "task"], sort=False)["score"].mean()
    return per_task.groupby(["candidate", "group"], sort=False).mean().groupby("candidate", sort=False).mean()


def _choose(tuning: pd.DataFrame, tasks: list[Task]) -> dict[str, str]:
    """For each held-out task, the candidate with the best score on the other tasks."""
    return {task.name: _score(tuning[tuning["task"] != task.name]).idxmax() for task in tasks}


def _screening() -> str:
    tasks, where = screening_tasks()
    tuning = pd.concat([_table(tasks, lambda t, s, c=name: _ours(t, c, s), TUNING_SEEDS,
                               f"tuning: {name}", candidate=name) for name in CANDIDATES],
                       ignore_index=True)
    chosen = _choose(tuning, tasks)
    held_out = pd.concat([_table([task], lambda t, s: _ours(t, chosen[task.name], s), REPORT_SEEDS,
                                 f"held out: {task.name}", candidate=chosen[task.name])
                          for task in tasks], ignore_index=True)
    default = _table(tasks, lambda t, s: _ours(t, DEFAULT, s), REPORT_SEEDS, "the defaults")
    theirs = _table(tasks, _asreview, REPORT_SEEDS, "ASReview")
    reference = pd.concat([*(_table(tasks, lambda t, s, c=name: _ours(t, c, s), TUNING_SEEDS, f"shown: {name}",
                                    candidate=name) for name in SHOWN),
                           _table(tasks, _asreview, TUNING_SEEDS, "ASReview, tuning priors", candidate=ASREVIEW)],
                          ignore_index=True)
    return where + "\n\n" + _screening_tables(tasks, tuning, chosen, held_out, default, theirs, reference)


# -- tables ------------------------------------------------------------------------------
METRICS = {"wss": ("WSS@95", "{:.3f}", 1), "loss": ("loss", "{:.3f}", -1),
           "ndcg": ("nDCG", "{:.3f}", 1), "rrf": ("recall@10 %", "{:.3f}", 1),
           "ms": ("ms/step", "{:.1f}", -1)}


def _means(figures: pd.DataFrame) -> pd.DataFrame:
    """Per task, the mean over seeds of every metric."""
    return figures.groupby("task", sort=False)[list(METRICS)].mean()


def _side_by_side(tasks: list[Task], ours: pd.DataFrame, theirs: pd.DataFrame, what: str,
                  chosen: dict[str, str] | None = None) -> str:
    """One row per task and per group mean: each metric for litscope and ASReview."""
    mine, asr = _means(ours), _means(theirs)
    head = ["task", "records", "relevant", *(["chosen on the other 12"] if chosen else [])]
    for label, _, _ in METRICS.values():
        head += [f"{label} {what}", f"{label} ASReview"]
    lines = ["| " + " | ".join(head) + " |", "|---|---:|---:|" + ("---|" if chosen else "")
             + "---:|" * (2 * len(METRICS))]

    def cells(a: pd.Series, b: pd.Series) -> list[str]:
        out = []
        for key, (_, fmt, better) in METRICS.items():
            bold = better * (a[key] - b[key]) > 0
            out += [f"**{fmt.format(a[key])}**" if bold else fmt.format(a[key]), fmt.format(b[key])]
        return out
    for group in (REAL, SEED_004):
        members = [t for t in tasks if t.group == group]
        if not members:
            continue
        for task in members:
            lines.append("| " + " | ".join([task.name, f"{len(task.papers):,}", f"{len(task.relevant)}",
                                            *([chosen[task.name]] if chosen else []),
                                            *cells(mine.loc[task.name], asr.loc[task.name])]) + " |")
        names = [t.name for t in members]
        lines.append("| " + " | ".join([f"**mean of the {len(members)} {group}**", "", "",
                                        *([""] if chosen else []),
                                        *cells(mine.loc[names].mean(), asr.loc[names].mean())]) + " |")
    return "\n".join(lines)


def _verdict(tasks: list[Task], ours: pd.DataFrame, theirs: pd.DataFrame) -> str:
    """The targets, checked on the figures of one table."""
    mine, asr = _means(ours), _means(theirs)
    real = [t.name for t in tasks if t.group == REAL]
    subtopics = [t.name for t in tasks if t.group == SEED_004]
    out = []
    if real:
        d = mine.loc[real] - asr.loc[real]
        worst = d["wss"].idxmin()
        out += [f"real reviews: mean WSS@95 {mine.loc[real, 'wss'].mean():.3f} vs "
                f"{asr.loc[real, 'wss'].mean():.3f} ({d['wss'].mean():+.5f}: "
                f"{'holds' if d['wss'].mean() >= 0 else 'fails'}), mean loss "
                f"{mine.loc[real, 'loss'].mean():.3f} vs {asr.loc[real, 'loss'].mean():.3f} "
                f"({d['loss'].mean():+.5f}: {'holds' if d['loss'].mean() <= 0 else 'fails'}), the largest WSS@95 deficit "
                f"{max(0.0, -d['wss'].min()):.3f} ({worst}; "
                f"{'holds' if d['wss'].min() >= -0.03 else 'fails'}: at most 0.03), higher WSS@95 on "
                f"{int((d['wss'] > 0).sum())} of {len(real)}, lower loss on {int((d['loss'] < 0).sum())} "
                f"of {len(real)}"]
    d = mine.loc[subtopics] - asr.loc[subtopics]
    out.append(f"seed 004: mean WSS@95 {mine.loc[subtopics, 'wss'].mean():.3f} vs "
               f"{asr.loc[subtopics, 'wss'].mean():.3f} ({'holds' if d['wss'].mean() > 0 else 'fails'}), "
               f"higher on {int((d['wss'] > 0).sum())} of {len(subtopics)}")
    ms = [mine[['ms']].mean().iloc[0], asr[['ms']].mean().iloc[0]]
    out.append(f"time per step (mean over tasks) {ms[0]:.1f} ms vs {ms[1]:.1f} ms, each as measured "
               f"when its run was cached (the load differs between runs: the paired figure is "
               f"under \"The public path's speed\")")
    return "; ".join(out) + "."


def _screening_tables(tasks, tuning, chosen, held_out, default, theirs, reference) -> str:
    picks = pd.Series(chosen).value_counts()
    both = pd.concat([tuning, reference], ignore_index=True)
    score = _score(both)
    by_task = both.groupby(["candidate", "task"], sort=False)[["wss", "loss"]].mean()
    cand = ["| candidate (tuning seeds) | score | " + " | ".join(t.name for t in tasks) + " |",
            "|---|---:|" + "---:|" * len(tasks)]
    twin = _default_twin()
    for name in [*CANDIDATES, *SHOWN, ASREVIEW]:
        cand.append(f"| {name} | {score[name]:.3f} | " + " | ".join(
            "{:.3f} / {:.3f}".format(*by_task.loc[(name, t.name)]) for t in tasks) + " |")
    return f"""**Held out** (each task's figure from the candidate chosen on the other twelve;
mean over reporting {_seeds(REPORT_SEEDS)}; bold where litscope is
better):

{_side_by_side(tasks, held_out, theirs, "litscope", chosen)}

Held out: {_verdict(tasks, held_out, theirs)} Chosen per fold: {", ".join(f"{n} ({k}×)" for n, k in picks.items())}.

**The shipped default** (`Learner()` and `suggest_next()`{f', the candidate "{twin}"' if twin else ''}), the
same reporting seeds:

{_side_by_side(tasks, default, theirs, "litscope")}

Shipped default: {_verdict(tasks, default, theirs)}

Every candidate on every task with the tuning priors ({_seeds(TUNING_SEEDS)}),
WSS@95 / loss; score = WSS@95 − loss, mean per group, the two groups alike (what the choice
saw, with the held-out task left out); below them, not chosen among, the previous default
and ASReview on the same priors:

{chr(10).join(cand)}"""


# -- speed -------------------------------------------------------------------------------
def _public_path(tasks: list[Task]) -> str:
    """A whole screening run through `suggest_next` on the largest task, against ASReview's
    run of as many steps, measured one after the other in this run."""
    task = max(tasks, key=lambda t: len(t.papers))
    papers, relevant = task.papers, task.relevant
    priors = sample_priors(papers["id"], relevant, 1, 1, 0)
    labels = {p: int(p in relevant) for p in priors}
    learner = Learner()
    start = time.perf_counter()
    found = sum(labels.values())
    steps = 0
    with tqdm(desc=f"{task.name} through suggest_next") as bar:
        while found < len(relevant):
            pick = suggest_next(papers, labels, 1, learner=learner)["id"].iloc[0]
            labels[pick] = int(pick in relevant)
            found += labels[pick]
            steps += 1
            bar.update()
    ours = time.perf_counter() - start
    _, their_steps, theirs = _asreview_order(papers, relevant, priors, steps=steps)
    return (f"A whole screening run on {task.name} ({len(papers):,} records, seed 0) through the "
            f"public path -- `suggest_next(papers, labels, 1, learner=learner)` after each label, as "
            f"the Explorer and a notebook loop call it (features computed once per corpus; the "
            f"SVM refitted each step; the logistic regression, once it votes, when an include "
            f"comes or every 5th exclude) -- until the last relevant record, {steps} steps: "
            f"**{ours:.1f} s** ({1000 * ours / steps:.1f} ms a step); ASReview 3's default, the same "
            f"{their_steps} steps: **{theirs:.1f} s** ({1000 * theirs / their_steps:.1f} ms a step); "
            f"ratio **{ours / theirs:.2f}×** (target ≤ 1).")


def _scale_row(n: int) -> str:
    """Cold features, then refit + predict after one new label through suggest_next (warm)."""
    papers = pq.read_table(corpus(n), columns=["id", "title", "abstract"]).to_pandas()
    n_labels = min(1_000, n // 20)
    rng = np.random.default_rng(0)
    labelled = papers["id"].sample(n_labels, random_state=0).tolist()
    include = papers.set_index("id").loc[labelled, "abstract"].str.contains("reason", case=False) \
        | (rng.random(n_labels) < 0.02)
    labels = dict(zip(labelled, np.where(include, "include", "exclude")))
    learner = Learner()
    start = time.perf_counter()
    suggest_next(papers, labels, 10, learner=learner)
    cold = time.perf_counter() - start
    unlabelled = papers["id"][~papers["id"].isin(labels)].tolist()
    times = []
    for k in range(7 if n <= 100_000 else 3):
        labels[unlabelled[k]] = "exclude"                # one new label, then refit + predict
        start = time.perf_counter()
        suggest_next(papers, labels, 10, learner=learner)
        times.append(time.perf_counter() - start)
    target = {1_000: "≤ 50 ms", 100_000: "≤ 1 s", 1_000_000: "≤ 5 s"}[n]
    warm = statistics.median(times)
    shown = f"{warm * 1000:.0f} ms" if warm < 1 else f"{warm:.2f} s"
    return (f"| {n:,} | {n_labels:,} | {cold:.1f} s | {learner.features_.matrix.shape[1]:,} | "
            f"**{shown}** | {target} |")


def _scale() -> str:
    rows = [_scale_row(n) for n in SCALES]
    left_out = [f"{n:,}" for n in (1_000, 100_000, 1_000_000) if n not in SCALES]
    note = (f"\n\n{' and '.join(left_out)} papers not measured in this run "
            f"(LITSCOPE_BENCH_LEARN_SCALE={SCALES[-1]})." if left_out else "")
    return ("| papers | labels | first call (features + fit) | features | refit + predict "
            "after one new label (median) | target |\n|---:|---:|---:|---:|---:|---|\n" + "\n".join(rows) + note)


def _versions() -> str:
    import asreview
    import sklearn
    commit = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip() or "unknown"
    return (f"ASReview {asreview.__version__}, scikit-learn {sklearn.__version__}, litscope at "
            f"commit {commit} (learner code {_source_hash()}, the key of the cached runs)")


def run() -> str:
    started = os.getloadavg()[0]
    screening = _screening()
    public = _public_path(screening_tasks()[0])
    scale = _scale()
    load = (f"Load average when the run started: {started:.1f}, at its end: {os.getloadavg()[0]:.1f} "
            f"(2 cores, shared: times drift, compare within one run). Versions: {_versions()}.")
    return f"""## Learning from labels: screening against ASReview 3 on real reviews, settings chosen leave one task out

{load}

Thirteen screening tasks: six real systematic reviews whose authors labelled every record
(`shared/screening/`: Cohen et al. 2006's ADHD, proton pump inhibitors, beta blockers and
triptans, Kitchenham et al. 2010, Bannach-Brown et al. 2019; title + abstract; 1–14 %
relevant) and the seven subtopics of seed digest 004's 803 arXiv papers (abstract alone,
9–23 % relevant). Priors: 1 relevant + 1 irrelevant, the same for both tools. litscope:
`Learner` + `suggest_next` (`litscope.score.learn.simulate` labels what `suggest_next`
proposes, refitting after every label); ASReview 3's default model (ELAS u4) through its
Python API in the same process. Both run to the last relevant record. WSS@95 as
asreview-insights computes it; loss and nDCG as `asreview/metrics.py` defines them (loss:
the normalised area between the recall curve and the perfect one, lower is better; checked
against ASReview's functions on its runs); recall after screening 10 %; ms per step.

**How the settings were chosen.** Each candidate (last table) ran on all 13 tasks with
tuning priors ({_seeds(TUNING_SEEDS)}, never reported). For each
task, the candidate with the best score on the *other twelve* (WSS@95 − loss, averaged per
group -- real reviews, seed 004 -- and the groups weighed alike) ran on it with the reporting
priors ({_seeds(REPORT_SEEDS)}); only that figure is in the "held
out" table. The shipped default is the setting chosen most often. The candidates came
from an exploration on tuning seed 100 alone, in a faster loop over the same features that
refitted every member on every label (ASReview on that seed: WSS@95 0.576, loss 0.096 on the real reviews, 0.585 on seed 004).
The previous default -- the SVM and the logistic regression with unlabelled papers as weak
excludes voting from the first label, the title counted twice, tf-idf hashed into 2^20
columns -- led on both groups there (0.591 / 0.090, 0.598) but screened
Cohen_2006_BetaBlockers far worse (0.595 vs 0.717), as on the reporting seeds before. That
review turned out to reward ASReview's exact features: ASReview's SVM on litscope's
hashed tf-idf reached 0.651 on it (title twice 0.624; 2^24 columns 0.713), while on an
exact vocabulary it gives ASReview's WSS@95 and loss on each of the six reviews (and 0.585
on seed 004, by another order on some), hence `Tfidf(exact_up_to=20_000)`. No way of
letting the unlabelled papers vote from the start kept that review within 0.03: on the
exact vocabulary the pair scored 0.621 (title once) and 0.596 (twice); on the hashed
features with the title twice, a quarter share of the vote 0.610 and a vote fading as
excludes come (share 0.5 × min(1, k / excludes), k 100 or 300) 0.619 and 0.609. Letting it vote only once the includes reach a share of the corpus --
a floor on the prevalence, which is 1–4 % in five of the reviews and 9–23 % in seed 004 --
kept the gain where relevant papers are common (seed 004: 0.608 from 5 %, 0.613 from 3 %;
Bannach-Brown_2019, 14 % relevant: 0.432 and 0.452 vs 0.415) and leaves the rare-include
reviews to the SVM alone. Those thresholds and the SVM alone are the candidates. The
previous default is measured and shown beside them but is not one: on the tuning priors it
screened BetaBlockers 0.13 worse than ASReview, past the 0.03 the issue allows, and as a
candidate its score there -- the highest -- would have chosen it on every fold but two, the
loss on BetaBlockers outweighed by gains on the other reviews. That exclusion, like the
candidates themselves, was decided on seed 100 with all 13 tasks in view: the held-out
figures are free of the reporting priors, not of the tuning seed's view of every task. A
reused learner keeps its logistic regression, once it votes, over up to four new excludes
(`refit_every=5`; an include refits it at once) while the SVM refits on every label.

{screening}

### The public path's speed

{public}

Refit + predict after one new label through `suggest_next` (features cached per corpus; the
first call computes them; includes are under 5 % of the papers, so the SVM learns alone),
synthetic corpora (`benchmarks/synth.py`), median of the repeats:

{scale}
"""


if __name__ == "__main__":
    print(run())
