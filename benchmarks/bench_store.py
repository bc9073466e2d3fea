"""A million-paper store end to end: import, reading it, `litscope score`, the Explorer.

The store (SQLite, `litscope.store`) is filled once with the held-out synthetic corpus
(`synth.py`, seed 1: a corpus the engine was not tuned on) through `Store.add_papers`, in
batches, and kept under ``benchmarks/.cache/``. Each figure runs in a fresh process, so
peak memory is that step's own. Baselines in the same run: decoding the SQLite table the
way `Store.papers` did before the Parquet mirror, measured on a slice and scaled to the
store, and reading the same columns straight from the synthetic Parquet file.

``LITSCOPE_BENCH_STORE=100000`` sets the store's size.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

from peak import peak_mib
from synth import CACHE, corpus

HERE = Path(__file__).resolve().parent
SIZE = int(os.environ.get("LITSCOPE_BENCH_STORE", "1000000"))
SEED = 1
BATCH = 50_000
SQLITE_SAMPLE = 50_000
SLIDER_CHANGES = 20
PROFILE = HERE.parent / "profiles" / "example.yml"


def store_dir(n: int = SIZE, seed: int = SEED) -> Path:
    """The project folder of a store of `n` synthetic papers (built on first use)."""
    from litscope.schema import papers_frame
    from litscope.store import STORE_FILE, Store
    root = CACHE / f"store-{n}-{seed}"
    if (root / "data" / STORE_FILE).is_file() and (root / "built").is_file():
        return root
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "litscope.yml").write_text("title: benchmark store\n", encoding="utf-8")
    (root / "profile.yml").write_text(PROFILE.read_text(encoding="utf-8"), encoding="utf-8")
    store = Store(root / "data")
    start = time.perf_counter()
    reader = pq.ParquetFile(corpus(n, seed))
    for batch in reader.iter_batches(BATCH):
        store.add_papers(papersframe(batch.to_pandas()))
    (root / "built").write_text(json.dumps({"import": time.perf_counter() - start}))
    return root


def _child(mode: str, root: Path) -> dict:
    """What one fresh process measures (printed as JSON)."""
    from litscope.score.engine import SCORE_COLUMNS
    from litscope.store import Store
    store = Store(root / "data")
    start = time.perf_counter()
    if mode == "sqlite":        # the decoding Store.papers did for every read before the mirror
        from litscope.store.papers import ORDER, frame
        from litscope.schema import COLUMNS
        rows = store._query(f"SELECT {', '.join(COLUMNS)} FROM papers{ORDER} LIMIT ?",
                            (SQLITE_SAMPLE,))
        frame(rows)
        return {"seconds": time.perf_counter() - start, "rows": len(rows)}
    if mode == "mirror":        # (re)write the mirror from SQLite, as after a bulk import
        for _, path in store._mirrors():
            path.unlink()
        store.table(["id"])
        return {"seconds": time.perf_counter() - start, "peak": peak_mib()}
    if mode == "parquet":       # the same columns straight from the corpus file
        pq.read_table(corpus(SIZE, SEED), columns=list(SCORE_COLUMNS))
        return {"seconds": time.perf_counter() - start}
    if mode == "table":
        table = store.table(SCORE_COLUMNS)
        return {"seconds": time.perf_counter() - start, "rows": table.num_rows, "peak": peak_mib()}
    if mode == "papers":
        papers = store.papers()
        return {"seconds": time.perf_counter() - start, "rows": len(papers), "peak": peak_mib()}
    if mode == "explorer":
        from litscope.widgets import Explorer
        explorer = Explorer(store, PROFILE, debounce=0, plots=False, now="2025-12-06")
        opened = time.perf_counter() - start
        key = explorer.scorer.profile.terms[0].key
        times = []
        for i in range(SLIDER_CHANGES):
            t0 = time.perf_counter()
            explorer.term_rows[key].weight.value = 1.0 + (i % 5) * 0.5
            times.append(time.perf_counter() - t0)
        return {"open": opened, "slider": statistics.median(times), "peak": peak_mib()}
    raise ValueError(mode)


def _measure(mode: str, root: Path) -> dict:
    result = subprocess.run([sys.executable, __file__, mode, str(root)], capture_output=True,
                            text=True, check=True, cwd=HERE)
    return json.loads(result.stdout.strip().splitlines()[-1])


def _cli(root: Path) -> dict:
    """`litscope score --top 20` in the store's project, as a user runs it."""
    start = time.perf_counter()
    result = subprocess.run([str(Path(sys.executable).with_name("litscope")), "score", "--top",
                             "20"], capture_output=True, text=True, check=True, cwd=root)
    total = time.perf_counter() - start
    last = result.stdout.strip().splitlines()[-1]        # "Read the store in X s, scored in Y s."
    read, scored = (float(w) for w in last.replace(",", "").split() if w.replace(".", "").isdigit())
    return {"total": total, "read": read, "scored": scored, "line": last}


def _fmt(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def run() -> str:
    root = store_dir()
    load = os.getloadavg()[0]
    imported = json.loads((root / "built").read_text())["import"]
    mirror = _measure("mirror", root)
    sqlite = _measure("sqlite", root)
    sqlite_all = sqlite["seconds"] * SIZE / sqlite["rows"]
    parquet = min(_measure("parquet", root)["seconds"] for _ in range(2))
    table = min((_measure("table", root) for _ in range(2)), key=lambda r: r["seconds"])
    papers = _measure("papers", root)
    cli = min((_cli(root) for _ in range(2)), key=lambda r: r["total"])
    explorer = _measure("explorer", root)
    size = sum(f.stat().st_size for f in (root / "data").rglob("*") if f.is_file())
    return "\n".join([
        "## A million-paper store", "",
        f"`benchmarks/bench_store.py`. A store of {SIZE:,} synthetic papers (`synth.py`, seed "
        f"{SEED}: not the corpus the engine was tuned on), imported with `Store.add_papers` in "
        f"batches of {BATCH:,} in {_fmt(imported)}; SQLite file and Parquet mirror "
        f"{size / 2**30:.1f} GiB. Each step in a fresh process. Load average when the run "
        f"started: {load:.1f}, at its end: {os.getloadavg()[0]:.1f}.", "",
        "| step | time | peak memory |", "|---|---:|---:|",
        f"| decode the SQLite papers table as `Store.papers` did before the mirror "
        f"(measured on {sqlite['rows']:,} rows, scaled) | {_fmt(sqlite_all)} | |",
        f"| write the Parquet mirror from SQLite (once after an import; later writes fold "
        f"only changed papers in) | {_fmt(mirror['seconds'])} | {mirror['peak']:,.0f} MiB |",
        f"| `Store.table(SCORE_COLUMNS)`: the scoring columns from the mirror | "
        f"{_fmt(table['seconds'])} | {table['peak']:,.0f} MiB |",
        f"| baseline: the same columns with `pyarrow.parquet.read_table` from the corpus file | "
        f"{_fmt(parquet)} | |",
        f"| `Store.papers()`: every column as the schema's DataFrame | {_fmt(papers['seconds'])} "
        f"| {papers['peak']:,.0f} MiB |",
        f"| **`litscope score --top 20`** (example profile), whole command | **{_fmt(cli['total'])}**"
        f" | |",
        f"| ... of which it reports reading the store / scoring | {_fmt(cli['read'])} / "
        f"{_fmt(cli['scored'])} | |",
        f"| `Explorer(store, profile)` opened | {_fmt(explorer['open'])} | "
        f"{explorer['peak']:,.0f} MiB |",
        f"| ... a weight slider change (median of {SLIDER_CHANGES}: re-rank, table, card) | "
        f"{_fmt(explorer['slider'])} | |",
    ])


if __name__ == "__main__":
    if len(sys.argv) == 3:
        print(json.dumps(_child(sys.argv[1], Path(sys.argv[2]))))
    else:
        print(run())
