"""The score engine at 10k / 100k / 1M synthetic papers, against the loops it replaces.

Each size runs in a fresh process (so peak memory is the scorer's own): read the Parquet
corpus (`synth.py`), compile a 50-term profile (term matrices), score, take the top 100;
then re-weight one term + top 100 (the Explorer's path), and add one term. Baselines in
the same run: reading the abstracts and lower-casing them (the floor for any scan), the
arxiv_rss_bot's per-paper substring loop and a per-paper loop of precompiled regexes
(the reference implementation), both on a subsample and scaled linearly to 1M.

``LITSCOPE_BENCH_SIZES=10000,100000`` limits the sizes.
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq

from litscope.score.profile import Profile, Term, load_profile
from litscope.score.engine import Scorer, read_papers
from synth import corpus

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SIZES = tuple(int(s) for s in os.environ.get("LITSCOPE_BENCH_SIZES", "10000,100000,1000000").split(","))
NOW = "2025-12-06"
BOT_SAMPLE, REGEX_SAMPLE = 100_000, 50_000
REWEIGHTS = 50
NEW_TERM = "long context"
NEW_REGEX = r"/\bKV[- ]?cach\w*/"


def bench_profile(n_terms: int = 50) -> Profile:
    """The keywords and phrases of the shipped profiles (the bot's interests and this
    review's), topped up with frequent abstract phrases to `n_terms`; no regexes (they are
    measured on their own)."""
    seen, terms = set(), []
    for path in (REPO / "profiles" / "example.yml", REPO / "profile.yml"):
        for term in load_profile(path).terms:
            if term.kind != "regex" and term.key.casefold() not in seen:
                seen.add(term.key.casefold())
                terms.append(term)
    extra = ["reasoning", "benchmark", "reinforcement learning", "language model", "retrieval",
             "diffusion", "transformer", "vision", "multimodal", "graph", "token", "memory",
             "chain of thought", "in-context learning", "fine-tuning", "evaluation"]
    for pattern in extra:
        if len(terms) < n_terms and pattern not in seen:
            terms.append(Term.model_validate({pattern: 0.5}))
    profile = load_profile(REPO / "profiles" / "example.yml")
    return profile.model_copy(update={"terms": terms[:n_terms], "categories": [],
                                      "max_age_days": None})


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(mode: str, path: str) -> dict:
    """What one fresh process measures (printed as JSON)."""
    start = time.perf_counter()
    if mode == "dask":
        from litscope.score.scale import top
        best = top(path, bench_profile(), k=100, now=NOW)
        return {"dask": time.perf_counter() - start, "best": best["id"].tolist(),
                "peak": _peak_mib()}
    if mode == "floor":
        abstracts = pq.read_table(path, columns=["abstract"])["abstract"]
        pc.utf8_lower(abstracts)
        return {"floor": time.perf_counter() - start, "n": len(abstracts)}
    profile = bench_profile()
    table = read_papers(path)
    read = time.perf_counter()
    scorer = Scorer(profile, progress=False).fit(table)
    fit = time.perf_counter()
    best = scorer.top(100, now=NOW)
    done = time.perf_counter()
    out = {"n": len(table), "terms": len(profile.terms), "read": read - start,
           "match": fit - read, "top": done - fit, "cold": done - start, "peak_cold": _peak_mib(),
           "nnz": int(sum(m.nnz for m in scorer.counts_.values())), "best": best["id"].tolist()}
    keys = [t.key for t in profile.terms]
    rng = np.random.default_rng(0)
    for name, rerank in (("reweight", scorer.top_rows), ("reweight_frame", scorer.top)):
        times = []
        for i in range(REWEIGHTS):
            t0 = time.perf_counter()
            scorer.set_weight(keys[i % len(keys)], float(rng.uniform(-2, 4)))
            rerank(100)
            times.append(time.perf_counter() - t0)
        out[name] = statistics.median(times)
        out[name + "_p95"] = float(np.percentile(times, 95))
    for name, term in (("add_term", NEW_TERM), ("add_regex", NEW_REGEX)):
        t0 = time.perf_counter()
        scorer.add_term(term)
        out[name] = time.perf_counter() - t0
    out["peak"] = _peak_mib()
    return out


def _measure(mode: str, path: Path) -> dict:
    result = subprocess.run([sys.executable, __file__, mode, str(path)], capture_output=True,
                            text=True, check=True, cwd=HERE)
    return json.loads(result.stdout.strip().splitlines()[-1])


def _bot_loop(titles: list[str], abstracts: list[str], keywords: list[str]) -> list[float]:
    """arxiv_rss_bot's calculate_score: +1 per keyword in title + abstract, +0.5 in title."""
    scores = []
    for title, abstract in zip(titles, abstracts):
        text = f"{title} {abstract}".lower()
        title = title.lower()
        scores.append(sum(1.0 for k in keywords if k in text) + sum(0.5 for k in keywords if k in title))
    return scores


def _regex_loop(rows: list[dict], profile: Profile) -> list[float]:
    """The per-paper loop of precompiled word-boundary regexes (the tests' reference)."""
    scores = []
    fw = profile.field_weights
    for row in rows:
        score = 0.0
        for term in profile.terms:
            for field in term.applies_to():
                n = sum(1 for _ in term.regex.finditer(row[field] or ""))
                if n:
                    score += getattr(fw, field) * term.weight * np.log2(1 + n)
        scores.append(score)
    return scores


def _baselines(path: Path, profile: Profile) -> dict:
    table = pq.read_table(path, columns=["id", "title", "abstract", "comment"])
    bot = table.slice(0, BOT_SAMPLE)
    titles, abstracts = bot["title"].to_pylist(), bot["abstract"].to_pylist()
    keywords = [t.pattern.lower() for t in profile.terms]
    t0 = time.perf_counter()
    _bot_loop(titles, abstracts, keywords)
    bot_time = time.perf_counter() - t0
    sample = table.slice(0, REGEX_SAMPLE)
    t0 = time.perf_counter()
    reference = _regex_loop(sample.to_pylist(), profile)
    regex_time = time.perf_counter() - t0
    engine = Scorer(profile, progress=False).fit(sample).scores(now=NOW)
    np.testing.assert_allclose(engine, reference, rtol=1e-9, atol=1e-9)
    return {"bot": bot_time, "bot_n": len(bot), "regex": regex_time, "regex_n": len(sample)}


def _fmt(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def run() -> str:
    paths = {n: corpus(n) for n in SIZES}
    load = os.getloadavg()[0]
    profile = bench_profile()
    runs = {n: min((_measure("cold", p) for p in (paths[n], paths[n])), key=lambda r: r["cold"])
            for n in SIZES}
    largest = max(SIZES)
    floor = min((_measure("floor", paths[largest]) for _ in range(2)), key=lambda r: r["floor"])
    base = _baselines(paths[largest], profile)
    dask = _measure("dask", paths[largest])
    same = dask["best"] == runs[largest]["best"]
    scale = largest / base["bot_n"], largest / base["regex_n"]
    cold = runs[largest]["cold"]
    lines = [
        "## Score engine", "",
        f"`benchmarks/bench_score.py`. Synthetic corpora (`benchmarks/synth.py`: bigram text "
        f"trained on the embedded sample, abstracts ~1,200 characters, titles 8-15 words) read "
        f"from Parquet; a {runs[largest]['terms']}-term profile (keywords and phrases of "
        f"`profiles/example.yml` and `profile.yml`, topped up with frequent phrases). Each size "
        f"in a fresh process, best of two runs (Parquet file in the OS page cache). Load "
        f"average when the run started: {load:.1f}, at its end: {os.getloadavg()[0]:.1f} "
        f"(other work on the machine slows every figure alike; compare ratios).", "",
        "| papers | read Parquet | match terms | score + top 100 | **cold total** | matches stored "
        "| re-weight + top 100 rows (median / p95) | ... as a DataFrame | add a term "
        "| add a regex term | peak memory: cold / after the edits |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, r in runs.items():
        lines.append(f"| {n:,} | {_fmt(r['read'])} | {_fmt(r['match'])} | {_fmt(r['top'])} | "
                     f"**{_fmt(r['cold'])}** | {r['nnz']:,} | {_fmt(r['reweight'])} / "
                     f"{_fmt(r['reweight_p95'])} | {_fmt(r['reweight_frame'])} / "
                     f"{_fmt(r['reweight_frame_p95'])} | {_fmt(r['add_term'])} | "
                     f"{_fmt(r['add_regex'])} | {r['peak_cold']:,.0f} / {r['peak']:,.0f} MiB |")
    bot_1m, regex_1m = base["bot"] * scale[0], base["regex"] * scale[1]
    lines += [
        "", f"Baselines at {largest:,} papers, measured in the same run:", "",
        "| method | time | vs the engine's cold total |", "|---|---:|---:|",
        f"| read abstracts from Parquet + lower-case (pyarrow; the floor of any scan) | "
        f"{_fmt(floor['floor'])} | engine = {cold / floor['floor']:.2f}x the floor |",
        f"| arxiv_rss_bot's per-paper substring loop (measured on {base['bot_n']:,}, x{scale[0]:g}) | "
        f"{_fmt(bot_1m)} | engine {bot_1m / cold:.1f}x faster |",
        f"| per-paper loop of precompiled word-boundary regexes (measured on {base['regex_n']:,}, "
        f"x{scale[1]:g}; scores equal the engine's) | {_fmt(regex_1m)} | engine {regex_1m / cold:.0f}x "
        f"faster |",
        f"| the same scoring with Dask (`litscope.score.scale.top`, {largest:,} papers in "
        f"{-(-largest // 65536)} row groups, threads scheduler; top 100 "
        f"{'identical' if same else 'DIFFERENT'}) | {_fmt(dask['dask'])} | peak memory "
        f"{dask['peak']:,.0f} MiB |",
        "", f"Targets at 1M: cold <= 10 s, add a term <= 3 s, re-weight + top 100 <= 30 ms "
        f"(<= 5 ms at 100k), peak memory < 2 GiB. The substring loop is not comparable in "
        f"meaning: it counts 'RL' inside 'world' and ignores repeats. "
        f"The regex term added is `{NEW_REGEX}`: regexes run per paper in Python's `re`.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) == 3:
        print(json.dumps(_child(sys.argv[1], sys.argv[2])))
    else:
        print(run())
