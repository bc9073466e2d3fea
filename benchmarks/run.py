"""Run every benchmark and write benchmarks/RESULTS.md.

Each ``bench_*.py`` module beside this file exposes ``run() -> str``, returning a Markdown
section (figures as ratios against a baseline measured in the same run, plus absolute times).
``python benchmarks/run.py [NAME ...]`` runs all modules, or only those named.
"""
from __future__ import annotations

import importlib
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(names: list[str]) -> None:
    sys.path.insert(0, str(HERE))
    modules = sorted(p.stem for p in HERE.glob("bench_*.py"))
    chosen = [m for m in modules if not names or m.removeprefix("bench_") in names or m in names]
    sections = []
    for name in chosen:
        print(f"== {name}", flush=True)
        start = time.perf_counter()
        sections.append(importlib.import_module(name).run().strip())
        print(f"   done in {time.perf_counter() - start:.1f} s", flush=True)
    header = (f"# Benchmark results\n\nWritten by `make bench` on "
              f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; Python {platform.python_version()}, "
              f"{platform.machine()}, {_cores()} cores. Every ratio compares figures measured in the "
              f"same run.\n")
    (HERE / "RESULTS.md").write_text("\n\n".join([header, *sections]) + "\n", encoding="utf-8")
    print(f"Wrote {HERE / 'RESULTS.md'}")


def _cores() -> int:
    import os
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


if __name__ == "__main__":
    main(sys.argv[1:])
