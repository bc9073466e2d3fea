"""The names a person picks from are one tuple each: the library checks them, the command
line offers them, and offering them costs the command no heavy import."""
from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from litscope import choices
from litscope.cli import build_parser


def test_the_owning_modules_check_against_the_same_tuples():
    from litscope import decisions, store
    from litscope.curate import export
    from litscope.publish import digest
    from litscope.sources import digests, library
    assert decisions.LABELS is store.LABELS is choices.LABELS
    assert export.FORMATS is choices.EXPORT_FORMATS
    assert digest.FORMATS is choices.DIGEST_FORMATS
    assert library.FORMATS == choices.LIBRARY_FORMATS
    assert tuple(digests.FORMATS) == choices.DIGEST_IMPORTERS


def test_the_learner_refuses_a_strategy_it_does_not_offer():
    import pandas as pd
    from litscope.errors import LearnError
    from litscope.score.learn import suggest_next
    with pytest.raises(LearnError, match="strategy must be one of top, uncertain, not 'best'"):
        suggest_next(pd.DataFrame({"id": []}), {}, strategy="best")


def _choices(argv: list[str], dest: str) -> list[str]:
    parser = build_parser()
    for name in argv:
        parser = next(a for a in parser._actions
                      if isinstance(a, argparse._SubParsersAction)).choices[name]
    return list(next(a for a in parser._actions if a.dest == dest).choices)


@pytest.mark.parametrize("argv, dest, expected", [
    (["list"], "label", list(choices.LABELS)),
    (["export"], "label", list(choices.LABELS)),
    (["summarize"], "label", list(choices.LABELS)),
    (["export"], "format", list(choices.EXPORT_FORMATS)),
    (["digest"], "format", list(choices.DIGEST_FORMATS)),
    (["import"], "format", [*choices.DIGEST_IMPORTERS, "snapshot"]),
    (["library", "import"], "format", list(choices.LIBRARY_FORMATS)),
    (["learn"], "strategy", list(choices.STRATEGIES)),
])
def test_the_command_line_offers_the_library_choices(argv, dest, expected):
    assert _choices(argv, dest) == expected


def test_label_takes_the_library_labels_or_clear():
    from litscope.cli.decisions import LABEL_CHOICES
    assert LABEL_CHOICES == (*choices.LABELS, "clear")


def test_building_the_command_line_imports_no_pandas():
    code = "import sys, litscope.cli; litscope.cli.build_parser(); print(sorted({'pandas', 'sklearn'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
