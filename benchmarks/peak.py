"""Peak memory of the running benchmark process."""
from __future__ import annotations

import resource
from pathlib import Path


def peak_mib() -> float:
    """This process's peak resident memory (VmHWM: ru_maxrss would include the peak of the
    parent that started it, which Linux carries across exec)."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
