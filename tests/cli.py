"""Running the `litscope` console script as a user would, measuring what it cost: the
tests of hostile input drive the real command and check its one line, its exit status, its
time and its peak memory."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(sys.executable).with_name("litscope")
#: The LLM key the `review` fixture's project reads (conftest.py).
KEY_ENV, KEY = "LITSCOPE_TEST_REVIEW_KEY", "sk-review-test-5be1d07c"


@dataclass
class Run:
    """What one command did: its exit status, output, wall time and peak memory."""
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_mib: float

    @property
    def error(self) -> str:
        """The one error line the command printed (the whole standard error otherwise)."""
        lines = [line for line in self.stderr.splitlines() if not line.startswith("litscope: warning:")]
        return lines[0] if len(lines) == 1 else self.stderr

    @property
    def warnings(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("litscope: warning:")]

    def failed_cleanly(self) -> bool:
        """Status 2 with exactly one error line, no traceback."""
        errors = [line for line in self.stderr.splitlines() if not line.startswith("litscope: warning:")]
        return (self.returncode == 2 and len(errors) == 1 and errors[0].startswith("litscope: error: ")
                and "Traceback" not in self.stderr)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any LITSCOPE_ setting of the machine's, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LITSCOPE_")}
    env.update(extra)
    return env


def litscope(*args: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120,
             prefix: list[str] | None = None) -> Run:
    """Run ``litscope ARGS`` in `cwd` (after `prefix`, e.g. a namespace wrapper), killed after
    `timeout` seconds; its peak memory is the child's maximum resident set (``wait4``)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        process = subprocess.Popen([*(prefix or []), str(SCRIPT), *map(str, args)], cwd=cwd,
                                   env=env if env is not None else clean_env(), stdin=subprocess.DEVNULL,
                                   stdout=out, stderr=err)
        killer = threading.Timer(timeout, process.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            killer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return Run(process.returncode, out.read().decode(errors="replace"), err.read().decode(errors="replace"),
                   seconds, usage.ru_maxrss / 1024)


def run_in(review: Path, *args: str | Path, prefix: list[str] | None = None, timeout: float = 120) -> Run:
    """``litscope ARGS`` in the `review` fixture's project, with its LLM key set."""
    return litscope(*args, cwd=review, env=clean_env(**{KEY_ENV: KEY}), timeout=timeout, prefix=prefix)


def namespaces_work() -> bool:
    """Whether this machine lets a user make mounts of their own (``unshare -Urm``): how the
    tests make a full disk and a read-only folder without privileges."""
    try:
        return subprocess.run(["unshare", "-Urm", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def on_a_full_disk(folder: Path) -> list[str]:
    """A prefix that runs a command in `folder` on a full disk, which holds a copy of
    ``FOLDER.before`` and a file ``filler`` that takes the rest; what the disk holds
    afterwards is copied to ``FOLDER.after``."""
    script = (f'mount -t tmpfs -o size=64m tmpfs "{folder}" && cp -a "{folder}.before/." "{folder}/" && '
              f'(cat /dev/zero > "{folder}/filler" 2>/dev/null; true) && cd "{folder}" && "$@"; status=$?; '
              f'rm "{folder}/filler"; mkdir -p "{folder}.after" && cp -a "{folder}/." "{folder}.after/"; '
              f'exit $status')
    return ["unshare", "-Urm", "sh", "-c", script, "sh"]


def read_only(folder: Path) -> list[str]:
    """A prefix that runs a command with `folder` mounted read-only."""
    return ["unshare", "-Urm", "sh", "-c", f'mount --bind -o ro "{folder}" "{folder}" && exec "$@"', "sh"]
