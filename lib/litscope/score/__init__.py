"""Scoring: readable profiles (`profile`), the explainable match engine (`engine`), text
representations cached per corpus (`represent`, `features`), the model learned from labels
(`learn`) and when to stop screening (`stopping`), similarity to the person's library
(`similarity`), search by words and meaning (`search`) and scoring Parquet datasets with
Dask (`scale`).

The package is also the stage's entry point: ``litscope.score(papers, profile)`` calls
`litscope.score.engine.score`. One name, one object: ``litscope.score`` is always this
package (so ``import litscope.score.engine as engine`` works whatever was imported first),
and calling it scores. The call goes through the module's class, the mechanism Python's
data model documents for customising a module (``module.__class__``), not through a
function that the import system would replace by the package of the same name.
"""
from __future__ import annotations

import sys
import types
from typing import Any


class _ScorePackage(types.ModuleType):
    """``litscope.score``: the scoring stage's package, callable as `engine.score`."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from .engine import score
        return score(*args, **kwargs)


sys.modules[__name__].__class__ = _ScorePackage
