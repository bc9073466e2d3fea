"""Explorer re-rank latency at 10k and 100k papers, through the Explorer's own code path.

A slider change runs what a person's drag runs once the throttle fires: the scorer's
re-weighting of its precomputed term matrix, filters, top-N, and the table and card HTML.
The corpus is the embedded sample tiled to N papers (fresh ids), so match densities are
those of real abstracts; the profile is the repository's `profile.yml`. The baseline is
what an Explorer without a compiled matrix would do on every change: score from the text.
"""
from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from litscope.score.profile import load_profile
from litscope.sample import load_sample
from litscope.score.engine import Scorer
from litscope.widgets import Explorer

PROFILE = Path(__file__).resolve().parents[1] / "profile.yml"
SIZES = (10_000, 100_000)
CHANGES = 40


def tiled_sample(n: int) -> pd.DataFrame:
    """The sample repeated to `n` papers, each copy with its own ids."""
    sample = load_sample()
    copies = -(-n // len(sample))
    frame = pd.concat([sample] * copies, ignore_index=True).iloc[:n].copy()
    frame["id"] = [f"{i}-{k // len(sample)}" for k, i in enumerate(frame["id"])]
    return frame.reset_index(drop=True)


def _timings(action, values) -> list[float]:
    times = []
    for value in values:
        start = time.perf_counter()
        action(value)
        times.append((time.perf_counter() - start) * 1000)
    return times


def _row(label: str, times: list[float]) -> str:
    return (f"| {label} | {statistics.median(times):.1f} | {np.percentile(times, 95):.1f} | "
            f"{max(times):.1f} |")


def run() -> str:
    profile = load_profile(PROFILE)
    term = max(profile.terms, key=lambda t: t.weight).key
    weights = [float(w) for w in np.resize(np.linspace(-3, 5, 17), CHANGES)]
    lines = ["## Explorer: re-rank latency", "",
             f"`benchmarks/bench_widgets.py`. Profile `profile.yml` ({len(profile.terms)} terms); "
             f"corpus: the embedded sample tiled to N papers. Each figure is over {CHANGES} changes "
             f"of the weight of {term!r} (slider values set from Python, throttle off, plots closed), "
             "in milliseconds: median | 95th percentile | max. Target: under 100 ms at 100k.", ""]
    summary = []
    for n in SIZES:
        papers = tiled_sample(n)
        start = time.perf_counter()
        explorer = Explorer(papers, profile, debounce=0, plots=False)
        build = time.perf_counter() - start
        slider = explorer.term_rows[term].weight
        rerank = _timings(lambda v: setattr(slider, "value", v), weights)
        engine = _timings(lambda v: (explorer.scorer.set_weight(term, v), explorer.scorer.scores()),
                          weights)
        explorer.categories.value = ("cs.CL", "cs.LG")
        explorer.search.value = "model"
        filtered = _timings(lambda v: setattr(slider, "value", v), weights)
        explorer.categories.value = ()
        explorer.search.value = ""
        field = _timings(lambda v: setattr(explorer.field_sliders["abstract"], "value", v),
                         [abs(w) / 2 for w in weights])
        plots = _timings(lambda _: explorer._draw_plots(), range(5))
        start = time.perf_counter()
        Scorer(profile).fit(papers).scores()
        rescore = (time.perf_counter() - start) * 1000
        lines += [f"### {n:,} papers", "",
                  f"Explorer built (text scanned once) in {build:.1f} s.", "",
                  "| step | median ms | p95 ms | max ms |", "|---|---:|---:|---:|",
                  _row("weight slider → table + card (Explorer path)", rerank),
                  _row("  of which: engine re-weight + scores", engine),
                  _row("weight slider with category + text filters on", filtered),
                  _row("field-weight slider → table + card", field),
                  _row("plots redraw (own throttle, ≥ 0.4 s)", plots),
                  f"| baseline: score from the text (no compiled matrix) | {rescore:.0f} | | |", ""]
        summary.append(f"{n:,}: {statistics.median(rerank):.1f} ms median "
                       f"({rescore / statistics.median(rerank):.0f}× faster than re-scoring the text)")
    lines += ["Re-rank through the Explorer: " + "; ".join(summary) + "."]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
