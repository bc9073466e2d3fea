"""litscope: literature reviews of arXiv in Jupyter, published with Quarto.

The public API reads like the workflow: ``fetch`` → ``Store`` → ``score`` → curate →
``build_site``; the stages live in subpackages (``sources``, ``score``, ``curate``,
``publish``) whose imports point upstream only. Names are imported lazily so that
``import litscope`` stays fast. Every module is importable as ``import litscope.x.y as m``:
no public name is also the name of a module beside it (``litscope.score``, the scoring
stage's package, is callable: see `litscope.score`; ``update`` lives in `litscope.daily`,
``rebuild`` in `litscope.restore`).
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: public name -> module that defines it
_EXPORTS = {
    "LitscopeError": "errors",
    "papers_frame": "schema", "validate_papers": "schema", "conform_papers": "schema",
    "empty_papers": "schema",
    "open_project": "config", "load_config": "config",
    "Store": "store",
    "init_project": "project",
    "fetch": "sources.arxiv_api", "fetch_ids": "sources.arxiv_api",
    "fetch_new": "sources.announcements", "harvest": "sources.oai", "import_snapshot": "sources.snapshot",
    "read_digest": "sources.digests", "detect_format": "sources.digests",
    "load_sample": "sample",
    "load_profile": "score.profile", "save_profile": "score.profile", "Profile": "score.profile",
    "Scorer": "score.engine", "score": "score", "explain": "score.engine",
    "Ranking": "score.ranking", "DecisionLog": "decisions", "rebuild": "restore",
    "Learner": "score.learn", "suggest_next": "score.learn", "evaluate": "score.learn",
    "simulate": "score.learn", "stopping_report": "score.stopping",
    "search": "score.search", "similarity_to": "score.similarity", "related_papers": "score.similarity",
    "read_library": "sources.library", "import_library": "sources.library",
    "Explorer": "widgets",
    "summarize": "curate.summarize", "translate": "curate.summarize",
    "extractive_summary": "curate.summarize",
    "load_taxonomy": "curate.topics", "assign_taxonomy": "curate.topics",
    "TopicSuggester": "curate.topics", "cluster_topics": "curate.topics",
    "find_duplicates": "curate.dedupe", "merge_duplicates": "curate.dedupe", "dedupe": "curate.dedupe",
    "export": "curate.export", "select_papers": "curate.export",
    "build_site": "publish", "render_project": "publish", "publish_project": "publish",
    "show": "publish", "prisma_counts": "publish", "prisma_mermaid": "publish",
    "render_digest": "publish.digest",
    "update": "daily", "run_demo": "demo",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module = importlib.import_module(f".{_EXPORTS[name]}", __name__)
        value = module if _EXPORTS[name] == name else getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'litscope' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])

