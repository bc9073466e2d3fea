"""Running the `litscope` console script as a user would, measuring what it cost: the
tests of hostile input drive the real command and check its one line, its exit status, its
time and its peak memory."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
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


#: Runs a command and writes its peak memory (KiB) to a file: a small process of its own, so
#: that the peak is the command's (a child forked from pytest starts with pytest's memory
#: counted in its maximum resident set, exec or not).
_MEASURE = ("import os, subprocess, sys; child = subprocess.Popen(sys.argv[2:]); "
            "_, status, usage = os.wait4(child.pid, 0); child.returncode = 0; "
            "open(sys.argv[1], 'w').write(str(usage.ru_maxrss)); sys.exit(os.waitstatus_to_exitcode(status))")


def litscope(*args: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120,
             prefix: list[str] | None = None) -> Run:
    """Run ``litscope ARGS`` in `cwd` (after `prefix`, e.g. a namespace wrapper), killed after
    `timeout` seconds; its peak memory is its maximum resident set (``wait4``)."""
    with tempfile.TemporaryDirectory() as scratch:
        out, err, peak = (Path(scratch) / name for name in ("out", "err", "peak"))
        started = time.monotonic()
        with out.open("wb") as stdout, err.open("wb") as stderr:
            process = subprocess.Popen([sys.executable, "-c", _MEASURE, str(peak), *(prefix or []), str(SCRIPT),
                                        *map(str, args)], cwd=cwd, env=env if env is not None else clean_env(),
                                       stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                       start_new_session=True)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        seconds = time.monotonic() - started
        kib = int(peak.read_text() or 0) if peak.is_file() else 0
        return Run(process.returncode, out.read_text(errors="replace"), err.read_text(errors="replace"),
                   seconds, kib / 1024)


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
