"""The `litscope` command itself: what every command shares (output into a closed pipe)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SCRIPT = Path(sys.executable).with_name("litscope")
PROFILE = Path(__file__).resolve().parents[1] / "profile.yml"


@pytest.mark.parametrize("command", [["list", "--top", "100000"], ["score", "--profile", str(PROFILE), "--top", "100000"],
                                     ["export", "--format", "csv"]])
def test_output_into_a_closed_pipe_ends_quietly(sample_store, tmp_path, command):
    """``litscope list | head -1``: the reader goes away after one line; like Unix tools the
    command stops without a word and with status 0 (its output is far beyond a pipe's buffer;
    commands that print, as list and score do, used to end in a BrokenPipeError traceback)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LITSCOPE_")}
    proc = subprocess.Popen([str(SCRIPT), *command, "--data", str(sample_store.path.parent)], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0, err
    assert first.strip() and err == ""
