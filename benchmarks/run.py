"""Run every benchmark and write benchmarks/RESULTS.md.

Each ``bench_*.py`` module beside this file exposes ``run() -> str``, returning a Markdown
section (figures as ratios against a baseline measured in the same run, plus absolute times).
``python benchmarks/run.py [NAME ...]`` runs all modules, or only those named; then the
other modules' sections of the existing RESULTS.md are kept, each stamped with its run, and
so are sections written by hand (a comment ``<!-- design: ... -->`` opens one), last.
"""
from __future__ import annotations

import importlib
import platform
import re
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(names: list[str]) -> None:
    sys.path.insert(0, str(HERE))
    modules = sorted(p.stem for p in HERE.glob("bench_*.py"))
    chosen = [m for m in modules if not names or m.removeprefix("bench_") in names or m in names]
    results = HERE / "RESULTS.md"
    sections = _sections(results.read_text(encoding="utf-8")) if results.is_file() else {}
    for name in chosen:
        print(f"== {name}", flush=True)
        start = time.perf_counter()
        text = importlib.import_module(name).run().strip()
        seconds = time.perf_counter() - start
        sections[name] = (f"<!-- {name}: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, "
                          f"{seconds:.0f} s -->\n{text}")
        print(f"   done in {seconds:.1f} s", flush=True)
    import numpy
    import pandas
    import pyarrow
    header = (f"# Benchmark results\n\nWritten by `make bench` (`benchmarks/run.py`); Python "
              f"{platform.python_version()}, {platform.machine()}, {_cores()} cores; pandas "
              f"{pandas.__version__}, pyarrow {pyarrow.__version__}, NumPy {numpy.__version__}. Every ratio "
              f"compares figures measured in the same run of one benchmark; the comment above each "
              f"section says when it ran and how long it took. Fresh memory: a new process "
              f"allocating and first writing 1 GiB took {_first_touch():.2f} s at the end of this "
              f"run. This machine is a VM that hands freed memory back to its host: the same step "
              f"took from 0.26 s to 2.8 s over one session, and every figure that allocates a "
              f"large result (reading the papers, a sorted copy of the text) moves with it. "
              f"{_reporting()}")
    body = [sections[name] for name in modules if name in sections]
    body += [sections[name] for name in sections if not name.startswith("bench_")]
    results.write_text("\n\n".join([header, *body]) + "\n", encoding="utf-8")
    print(f"Wrote {results}")


def _sections(text: str) -> dict[str, str]:
    """The sections of an existing RESULTS.md by module, as `main` wrote them."""
    parts = re.split(r"^(?=<!-- \w+: )", text, flags=re.M)
    return {re.match(r"<!-- (\w+):", part).group(1): part.strip()
            for part in parts if re.match(r"<!-- \w+: ", part)}


def _first_touch() -> float:
    """Seconds a fresh process takes to allocate and first write 1 GiB."""
    code = ("import time, numpy as np; t = time.perf_counter(); np.ones(1 << 30, np.uint8); "
            "print(time.perf_counter() - t)")
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout)


def _reporting() -> str:
    """How soon this VM hands freed memory back (Linux free page reporting), if it does."""
    knob = Path("/sys/module/page_reporting/parameters/min_free_ms")
    if not knob.is_file():
        return ""
    delay = int(knob.read_text().strip() or 0)
    return (f"Freed memory is reported to the host only after {delay / 1000:.0f} s free "
            f"(`{knob}`, 0 on this VM unless raised, as for this run): a step reuses what the "
            "previous one freed, as on a physical machine.") if delay else \
        f"Freed memory is reported to the host at once (`{knob}` is 0)."


def _cores() -> int:
    import os
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


if __name__ == "__main__":
    main(sys.argv[1:])
