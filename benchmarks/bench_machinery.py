"""Where the speed machinery starts to pay: the threshold `litscope.schema.MACHINERY_ROWS`.

The machinery is the one-copy gather (`litscope.gather`, compiled with numba) and jemalloc
as the pool the papers are read into (`litscope.memory`, swapped in process-wide through
`litscope.compat.arrow_pool`). Without it, `litscope.score(path)` reads into Arrow's
default pool and puts the papers in rank order with Arrow's own ``take``. Each size of
the sweep runs `litscope.score(path)` (the full ranked frame of a Parquet file: import,
read, match, rank, gather, to pandas) in a fresh process, as a notebook or the command
line does, with the machinery forced on and forced off, paired in rounds so that the
machine's drift hits both sides alike. The threshold chosen is the smallest size from
which the machinery is faster (median ratio over rounds) at that size and every larger
one; `MACHINERY_ROWS` holds it, and this section says whether the code and the sweep
agree. ``LITSCOPE_BENCH_SWEEP=10000,100000`` sets the sizes.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from peak import peak_mib
from synth import corpus

HERE = Path(__file__).resolve().parent
SIZES = tuple(int(s) for s in os.environ.get("LITSCOPE_BENCH_SWEEP",
                                             "10000,50000,100000,200000,300000").split(","))
ROUNDS = 3
NOW = "2025-12-06"
#: The forced settings of `MACHINERY_ROWS`: always on, never on.
MODES = {"machinery": 0, "arrow": 1 << 62}


def _child(mode: str, path: str) -> dict:
    """`litscope.score(path)` with the machinery on or off, timed from the first import."""
    start = time.perf_counter()
    import litscope
    from litscope import schema
    from bench_score import bench_profile
    schema.MACHINERY_ROWS = MODES[mode]
    profile = bench_profile()
    ready = time.perf_counter()
    ranked = litscope.score(path, profile, now=NOW)
    done = time.perf_counter()
    return {"total": done - start, "score": done - ready, "n": len(ranked), "peak": peak_mib(),
            "numba": "numba" in sys.modules, "gather": "litscope.gather" in sys.modules}


def _measure(mode: str, path: Path) -> dict:
    result = subprocess.run([sys.executable, __file__, mode, str(path)], capture_output=True,
                            text=True, check=True, cwd=HERE)
    return json.loads(result.stdout.strip().splitlines()[-1])


def _fmt(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def sweep(sizes=SIZES, rounds: int = ROUNDS) -> dict[int, dict]:
    """Per size: the best run of each mode, and the median and range over rounds of
    machinery / Arrow of the same round."""
    out = {}
    for n in sizes:
        path = corpus(n)
        runs = [{mode: _measure(mode, path) for mode in MODES} for _ in range(rounds)]
        ratios = sorted(r["machinery"]["total"] / r["arrow"]["total"] for r in runs)
        out[n] = {mode: min((r[mode] for r in runs), key=lambda r: r["total"]) for mode in MODES}
        out[n].update(ratio=statistics.median(ratios), low=ratios[0], high=ratios[-1])
    return out


def choose(results: dict[int, dict]) -> int | None:
    """The smallest size from which the machinery was faster in every round, at it and at
    every larger size (a median below 1 whose rounds straddle 1 is noise on this machine)."""
    chosen = None
    for n in sorted(results, reverse=True):
        if results[n]["high"] >= 1:
            break
        chosen = n
    return chosen


def run() -> str:
    from litscope.schema import MACHINERY_ROWS
    load = os.getloadavg()[0]
    results = sweep()
    chosen = choose(results)
    lines = [
        "## Speed machinery threshold", "",
        f"`benchmarks/bench_machinery.py`. `litscope.score(path)` of the synthetic corpus "
        f"(`synth.py`, seed 0) with the `example` profile (`bench_score.py`), each run a fresh "
        f"process timed from its first import; machinery forced on (one-copy gather in "
        f"jemalloc) and off (Arrow's `take`, default pool), {ROUNDS} paired rounds, best time of "
        f"each; ratio: median over rounds of on / off in the same round. Load average at the "
        f"start: {load:.1f}, at the end: {os.getloadavg()[0]:.1f}.", "",
        "| papers | machinery on: total (score call) | off: total (score call) | on / off "
        "(rounds) | peak memory on / off |",
        "|---:|---:|---:|---:|---:|",
    ]
    for n, r in results.items():
        on, off = r["machinery"], r["arrow"]
        lines.append(f"| {n:,} | {_fmt(on['total'])} ({_fmt(on['score'])}) | {_fmt(off['total'])} "
                     f"({_fmt(off['score'])}) | **{r['ratio']:.2f}** ({r['low']:.2f}-{r['high']:.2f}) "
                     f"| {on['peak']:,.0f} / {off['peak']:,.0f} MiB |")
    verdict = ("at no size measured" if chosen is None else f"from {chosen:,} papers")
    agree = "agrees" if chosen == MACHINERY_ROWS else "DIFFERS: set MACHINERY_ROWS from this sweep"
    lines += ["", f"The machinery was faster in every round {verdict}; `litscope.schema.MACHINERY_ROWS` is "
              f"{MACHINERY_ROWS:,} ({agree}). Below it no gather module nor jemalloc pool is "
              f"touched; numba is imported for the token matcher at the first scan either way."]
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) == 3:
        print(json.dumps(_child(sys.argv[1], sys.argv[2])))
    else:
        print(run())
