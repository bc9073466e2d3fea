"""Peak memory: of the running benchmark process, and of a command's whole process tree."""
from __future__ import annotations

import os
import resource
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence


def peak_mib() -> float:
    """This process's peak resident memory (VmHWM: ru_maxrss would include the peak of the
    parent that started it, which Linux carries across exec)."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Run:
    """A finished command: wall seconds, CPU seconds of its process tree (user + system),
    the peak of the tree's summed resident memory, when it was reached and the line the
    command had printed last by then, its exit code and output."""
    seconds: float
    cpu: float
    peak_mib: float
    returncode: int
    output: str
    peak_at: float = 0.0
    peak_line: str = ""


def run_measured(command: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None,
                 interval: float = 0.2) -> Run:
    """Run `command` at low priority (nice 10: the machine is shared), sampling the summed
    RSS of it and all its descendants every `interval` seconds (psutil)."""
    import psutil
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(["nice", "-n", "10", *command], cwd=cwd, env={**os.environ, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines: list[tuple[float, bytes]] = []
    reader = threading.Thread(target=lambda: lines.extend((time.perf_counter(), line) for line in proc.stdout),
                              daemon=True)
    reader.start()
    root, peak, peak_at = psutil.Process(proc.pid), 0, start
    while proc.poll() is None:
        total = 0
        try:
            for process in [root, *root.children(recursive=True)]:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    continue
        except psutil.Error:
            pass
        if total > peak:
            peak, peak_at = total, time.perf_counter()
        time.sleep(interval)
    reader.join()
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    before_peak = [line for at, line in lines if at <= peak_at and line.strip()]
    return Run(seconds, cpu, peak / 2**20, proc.returncode, b"".join(line for _, line in lines).decode(errors="replace"),
               peak_at - start, before_peak[-1].decode(errors="replace").strip() if before_peak else "")
