"""One shape for every file format litscope imports: an `Importer` is a name, the kind of
thing it brings, how to tell a file is in it, and how to read it.

Contract: each family registers its importers as data, a tuple in the order detection
tries them: the digests (`litscope.sources.digests.IMPORTERS`: ``parse(text)`` gives one
record per paper), the library exports (`litscope.sources.library.IMPORTERS`:
``parse(text, path)``, or ``parse(path, collection)`` for Zotero's database) and arXiv's
metadata snapshot (`litscope.sources.snapshot.IMPORTER`: ``parse(path, out, ...)`` streams
it into Parquet). `pick` finds one by name and `detect` tells one from a file's name and
head; the commands and `read_digest` / `read_library` choose through them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

from ..errors import ImportFormatError


@dataclass(frozen=True)
class Importer:
    """A file format litscope reads.

    `looks_like` tells the format from the start of a file (text); `suffixes` are file
    name endings that settle the format before its content is looked at."""

    name: str
    kind: str
    looks_like: Callable[[str], bool]
    parse: Callable[..., Any]
    suffixes: tuple[str, ...] = ()


def names(importers: Iterable[Importer]) -> tuple[str, ...]:
    """The importers' names, in registry order (for choices and messages)."""
    return tuple(importer.name for importer in importers)


def pick(importers: Iterable[Importer], name: str) -> Importer:
    """The importer called `name`; `ImportFormatError` naming the choices otherwise."""
    importers = tuple(importers)
    for importer in importers:
        if importer.name == name:
            return importer
    kind = importers[0].kind if importers else "file"
    raise ImportFormatError(f"unknown {kind} format {name!r}; use one of {', '.join(names(importers))}")


def detect(importers: Iterable[Importer], head: str, suffix: str = "") -> Importer | None:
    """The importer for a file: the first whose `suffixes` hold `suffix` (lower case), else
    the first whose `looks_like` takes `head`; None when none fits."""
    importers = tuple(importers)
    by_suffix = next((i for i in importers if suffix and suffix.lower() in i.suffixes), None)
    return by_suffix or next((i for i in importers if i.looks_like(head)), None)
