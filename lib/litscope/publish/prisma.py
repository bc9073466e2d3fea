"""The PRISMA 2020 flow diagram of a review, counted from its store and drawn as Mermaid,
which Quarto renders itself (its own copy of mermaid.js; no outside service).

The boxes and what counts in them:

- identified: each source's records, a paper once per source that delivered it
  (``paper_sources``: arXiv's search API, its announcements, OAI-PMH harvests, the
  metadata snapshot; digests, ``<format>:<file>``; other files), and the person's
  library items;
- duplicates removed: records of a paper another source (or the library) had delivered
  too; the ids that ``litscope dedupe`` merged into another are given beside them;
- screened: the records left, one per paper (and library items not in the store);
- excluded by the ranking (an automation tool in PRISMA's terms): neither published,
  labelled nor in the library; excluded by the reviewer: labelled *exclude*, counted by
  reason where labels carry one (a ``reason`` column); undecided: labelled *maybe*;
- included: published (`included` ids), labelled *include*, or in the library; a paper
  labelled *exclude* is excluded whatever else holds.

Every paper is in exactly one of the last four, so they add up to the screened records.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

import pandas as pd

__all__ = ["Prisma", "prisma_counts", "prisma_mermaid"]

#: Source name (or prefix before ``:``) -> how the diagram names it, databases first.
DATABASE_SOURCES = {"arxiv": "arXiv search API", "arxiv:announcement": "arXiv announcements",
                    "arxiv:oai": "arXiv OAI-PMH harvests", "arxiv:snapshot": "arXiv metadata snapshot"}
_MERMAID_ESCAPES = {"\"": "#quot;", "<": "#lt;", ">": "#gt;", "{": "#123;", "}": "#125;",
                    "#": "#35;", "`": "#96;", "\\": "#92;", "|": "#124;"}


@dataclass
class Prisma:
    """The counts of a PRISMA 2020 flow diagram (see the module docstring)."""
    databases: dict[str, int]
    other: dict[str, int]
    duplicates: int
    merged: int
    screened: int
    excluded_by_ranking: int
    excluded: int
    reasons: dict[str, int] = field(default_factory=dict)
    undecided: int = 0
    included: int = 0

    @property
    def identified(self) -> int:
        return sum(self.databases.values()) + sum(self.other.values())


def _source_name(source: str) -> tuple[bool, str]:
    """(from a database, name in the diagram) of a ``paper_sources`` source."""
    from ..sources.digests import FORMATS
    if source in DATABASE_SOURCES:
        return True, DATABASE_SOURCES[source]
    return False, "digests" if source.split(":", 1)[0] in FORMATS else "other files"


def prisma_counts(store: Any, included: Iterable[str] = (), labels: pd.DataFrame | None = None) -> Prisma:
    """The flow diagram's counts from `store`: `included` are the ids the website publishes
    (its ranking's choice), `labels` the store's labels (``store.labels()`` by default;
    an optional ``reason`` column gives the reasons for exclusion)."""
    sources = store.sources()
    databases: Counter = Counter()
    other: Counter = Counter()
    for source, count in sources["source"].value_counts().items():
        from_database, name = _source_name(str(source))
        (databases if from_database else other)[name] += int(count)
    library = store.library()
    papers = set(sources["id"])   # every stored paper has a source; a merge moves them
    library_only = {f"lib:{c}/{k}" for c, k, p in zip(library["collection"], library["item_key"],
                                                      library["paper_id"]) if pd.isna(p) or p not in papers}
    if len(library):
        other["library"] = len(library)
    labels = store.labels() if labels is None else labels
    labels = labels[labels["id"].isin(papers)]
    label = dict(zip(labels["id"], labels["label"]))
    excluded = {i for i, value in label.items() if value == "exclude"}
    undecided = {i for i, value in label.items() if value == "maybe"}
    in_library = set(library["paper_id"].dropna()) & papers
    chosen = ((set(included) & papers) | {i for i, v in label.items() if v == "include"} | in_library) - excluded - undecided
    screened = len(papers) + len(library_only)
    reasons: Counter = Counter()
    if "reason" in labels:
        for pid, reason in zip(labels["id"], labels["reason"]):
            if pid in excluded:
                reasons[" ".join(str(reason).split()) if isinstance(reason, str) and reason.strip()
                        else "no reason given"] += 1
    total = sum(databases.values()) + sum(other.values())
    return Prisma(databases=dict(databases), other=dict(other), duplicates=max(total - screened, 0),
                  merged=len(store.merged()), screened=screened,
                  excluded_by_ranking=len(papers) - len(chosen) - len(excluded) - len(undecided),
                  excluded=len(excluded), reasons=dict(reasons.most_common()), undecided=len(undecided),
                  included=len(chosen) + len(library_only))


def _label(text: str) -> str:
    """Text for a Mermaid node label: what Mermaid or Quarto would read as markup as entities."""
    return re.sub(r'["<>{}#`\\|]', lambda m: _MERMAID_ESCAPES[m.group()], " ".join(text.split()))


def _node(name: str, title: str, lines: dict[str, int] | None = None) -> str:
    body = "<br/>".join([_label(title), *(f"{_label(k)}: {v:,}" for k, v in (lines or {}).items())])
    return f'    {name}["{body}"]'


def prisma_mermaid(counts: Prisma) -> str:
    """A Mermaid flowchart of the PRISMA 2020 flow diagram (the contents of a
    ````{mermaid}`` block): identification, screening and inclusion down the left, what
    left the flow at each step on the right."""
    lines = ["flowchart TD"]
    if counts.databases or not counts.other:
        lines.append(_node("db", f"Records identified from arXiv (n = {sum(counts.databases.values()):,})",
                           counts.databases))
    if counts.other:
        lines.append(_node("other", f"Records identified from other sources (n = {sum(counts.other.values()):,})",
                           counts.other))
    removed = {"ids merged by litscope dedupe": counts.merged} if counts.merged else None
    lines += [_node("dup", f"Duplicate records removed (n = {counts.duplicates:,})", removed),
              _node("screened", f"Records screened (n = {counts.screened:,})"),
              _node("ranking", f"Records not chosen by the ranking (n = {counts.excluded_by_ranking:,})"),
              _node("excluded", f"Records excluded by the reviewer (n = {counts.excluded:,})", counts.reasons or None)]
    if counts.undecided:
        lines.append(_node("maybe", f"Records awaiting a decision (n = {counts.undecided:,})"))
    lines.append(_node("included", f"Papers included in the review (n = {counts.included:,})"))
    if counts.databases or not counts.other:
        lines += ["    db --> screened", "    db --> dup"]
    if counts.other:
        lines += ["    other --> screened", "    other --> dup"]
    lines += ["    screened --> ranking", "    screened --> excluded", "    screened --> included"]
    if counts.undecided:
        lines.append("    screened --> maybe")
    return "\n".join(lines) + "\n"
