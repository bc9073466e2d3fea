"""litscope: literature reviews of arXiv in Jupyter, published with Quarto.

The public API reads like the workflow: ``fetch`` → ``Store`` → ``score`` → curate →
``build_site``. Names are imported lazily so that ``import litscope`` stays fast.
"""
from __future__ import annotations

import importlib
import sys
import types
from typing import Any

__version__ = "0.1.0"

#: public name -> module that defines it
_EXPORTS = {
    "LitscopeError": "errors",
    "papers_frame": "schema", "validate_papers": "schema", "empty_papers": "schema",
    "open_project": "config", "load_config": "config",
    "Store": "store",
    "init_project": "project",
    "fetch": "fetch",
    "read_digest": "importers", "detect_format": "importers",
    "load_sample": "sample",
    "load_profile": "profile", "save_profile": "profile", "Profile": "profile",
    "Scorer": "score", "score": "score", "explain": "score",
    "Explorer": "widgets",
    "summarize": "summarize", "translate": "summarize", "extractive_summary": "summarize",
    "load_taxonomy": "topics", "assign_taxonomy": "topics", "TopicSuggester": "topics",
    "cluster_topics": "topics",
    "find_duplicates": "dedupe", "merge_duplicates": "dedupe", "dedupe": "dedupe",
    "export": "export", "select_papers": "export",
    "build_site": "publish", "render_site": "publish", "publish_project": "publish",
    "render_digest": "digest",
    "Learner": "learn", "suggest_next": "learn", "evaluate": "learn", "simulate": "learn",
    "update": "update", "run_demo": "demo",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'litscope' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


class _Package(types.ModuleType):
    """Keeps ``litscope.fetch`` (and ``score``) the function named like its module: importing
    the submodule would otherwise rebind the package attribute to the module object."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _EXPORTS.get(name) == name:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
