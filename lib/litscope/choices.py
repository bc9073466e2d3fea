"""The names a person picks from: labels, formats, strategies.

Plain tuples, importable without pandas, so that the command line offers them as choices
(its parser is built before any command runs) and the library modules that own them check
against the same tuples: `decisions.LABELS`, `curate.export.FORMATS`, `publish.digest.FORMATS`,
`sources.library.FORMATS`, `sources.digests.FORMATS` (keyed by these names) and the learner's
strategies are these.
"""
from __future__ import annotations

#: The labels a paper can have (a label decision of None clears it).
LABELS: tuple[str, ...] = ("include", "exclude", "maybe")
#: What `litscope.curate.export.export` writes.
EXPORT_FORMATS: tuple[str, ...] = ("bibtex", "ris", "csv", "jsonl")
#: What `litscope.publish.digest.render_digest` writes.
DIGEST_FORMATS: tuple[str, ...] = ("daily", "bot")
#: The digest formats `litscope.sources.digests` reads (its importers' names, in detection order).
DIGEST_IMPORTERS: tuple[str, ...] = ("daily", "bot", "bilingual", "topics")
#: What `litscope import` reads: the digests, and arXiv's metadata snapshot.
IMPORT_FORMATS: tuple[str, ...] = (*DIGEST_IMPORTERS, "snapshot")
#: The library exports `litscope.sources.library.import_library` reads.
LIBRARY_FORMATS: tuple[str, ...] = ("bibtex", "ris", "csl-json", "ids", "zotero")
#: How `litscope.score.learn.suggest_next` picks the papers to label next.
STRATEGIES: tuple[str, ...] = ("top", "uncertain")
