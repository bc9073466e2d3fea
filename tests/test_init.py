"""litscope's top-level API and its layout: every module importable as ``import
litscope.x.y as m`` whatever public names were used before, and the README's calls."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import litscope

#: Run in a fresh process: first every public name (which binds it in litscope's namespace),
#: then every module with ``import ... as``, the form that reads the parent's attribute.
_WALK = textwrap.dedent("""
    import pkgutil, types
    import litscope
    for name in litscope.__all__:
        getattr(litscope, name)
    names = sorted(m.name for m in pkgutil.walk_packages(litscope.__path__, "litscope.")
                   if not m.name.endswith(".__main__"))      # running it is what it is for
    for name in names:
        scope = {}
        exec(f"import {name} as m", scope)
        if not isinstance(scope["m"], types.ModuleType):
            print(f"NOT A MODULE: import {name} as m gives {scope['m']!r}")
    print(len(names), "modules")
""")


@pytest.mark.slow
def test_every_module_imports_as_a_module_after_every_public_name():
    done = subprocess.run([sys.executable, "-c", _WALK], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "NOT A MODULE" not in done.stdout, done.stdout
    assert int(done.stdout.split()[-2]) > 50      # the walk saw the package, not an empty path


def test_no_public_name_is_also_a_module_beside_it():
    import pkgutil
    modules = {m.name for m in pkgutil.iter_modules(litscope.__path__)}
    assert {n for n in litscope.__all__ if n in modules} == {"score"}   # the callable package


def test_score_is_the_stage_package_and_scores(tmp_path):
    import types
    from litscope.score import engine
    papers = litscope.load_sample()
    profile = tmp_path / "profile.yml"
    profile.write_text("terms:\n  - language model: 2\n", encoding="utf-8")
    assert isinstance(litscope.score, types.ModuleType) and litscope.score.engine is engine
    ranked = litscope.score(papers, profile, now="2025-12-06")
    assert ranked["id"].tolist() == engine.score(papers, profile, now="2025-12-06")["id"].tolist()
    assert ranked["score"].iloc[0] > 0


def test_the_jobs_are_functions_and_their_modules_are_modules():
    import litscope.daily as daily
    import litscope.restore as restore
    assert litscope.update is daily.update and litscope.rebuild is restore.rebuild
    assert callable(litscope.update) and callable(litscope.rebuild)
