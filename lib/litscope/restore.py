"""`litscope rebuild`: the store made again from what the review project keeps in git.

The store is a cache; the review's own text is what counts: its decisions (`decisions/`,
`litscope.decisions`), its libraries (`library/`) and the digests it published
(`digests/`). `rebuild` imports those digests again, restores the libraries, fetches by id
the decided arXiv papers the store lacks (with `fetch`), and applies every decision to the
papers the store holds; it reports what it applied and where reviewers disagree.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pandas as pd

from .config import Project
from .decisions import disagreements, replay
from .errors import LitscopeError
from .report import counted


@dataclass
class RebuildReport:
    """What `rebuild` did."""
    store: Path
    digests: int = 0
    digest_papers: int = 0
    libraries: list = field(default_factory=list)
    fetched: int = 0
    fetch_error: str | None = None
    applied: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    disagreements: pd.DataFrame = field(default_factory=pd.DataFrame)

    def summary(self) -> str:
        lines = [f"Rebuilt the store {self.store} from the review project:"]
        if self.digests:
            lines.append(f"  digests: {self.digest_papers} papers from the {self.digests} digests "
                         f"the review published, imported again")
        for library in self.libraries:
            lines.append(f"  library {library.collection!r}: {sum(library.counts.values()) - library.counts['removed']} "
                         f"items, {library.matched.get('none', 0)} of them not in the store")
        if self.fetched or self.fetch_error:
            lines.append(f"  fetched {self.fetched} decided papers by id" +
                         (f" ({self.fetch_error})" if self.fetch_error else ""))
        applied = self.applied
        lines.append(f"  decisions: {applied.get('decided', 0)} papers decided, {applied.get('applied', 0)} "
                     f"of them in the store and up to date")
        if self.missing:
            shown = ", ".join(self.missing[:8]) + (" ..." if len(self.missing) > 8 else "")
            lines.append(f"  {len(self.missing)} decided papers are not in the store: {shown} "
                         f"('litscope rebuild --fetch' fetches the arXiv ones, or import them)")
        if len(self.disagreements):
            lines.append(f"  {counted(len(self.disagreements), 'paper')} where reviewers disagree "
                         f"('litscope decisions' lists them; the latest label counts)")
        return "\n".join(lines)


def rebuild(project: Project, *, fetch: bool = False, client=None) -> RebuildReport:
    """Import the review's digests and libraries again, fetch the decided arXiv papers the
    store lacks (with `fetch`; `client` an `ArxivClient`), and apply every decision."""
    from .sources.digests import read_digest
    from .sources.library import restore_libraries
    from .schema import split_arxiv_id
    from .store import Store
    store = Store(project.data_dir, decisions=project.decisions())   # this store, a cache of this review
    report = RebuildReport(store=store.path)
    digests = sorted(project.path(project.config.digests).glob("*.md"))
    if digests:
        papers = pd.concat([read_digest(path) for path in digests], ignore_index=True)
        papers = papers.sort_values("version", na_position="first", kind="stable") \
            .drop_duplicates("id", keep="last").reset_index(drop=True)
        store.add_papers(papers)
        report.digests, report.digest_papers = len(digests), len(papers)
    from .sources.arxiv_api import fetch_ids
    fetcher = partial(fetch_ids, project=project, client=client) if fetch else None
    report.libraries = restore_libraries(store, fetch=fetcher)
    decisions = project.decisions().read()
    decided = list(replay(decisions))
    if fetcher is not None:
        held = set(store.papers(ids=decided)["id"])
        wanted = []
        for paper_id in decided:
            if paper_id not in held:
                try:
                    wanted.append(split_arxiv_id(paper_id)[0])
                except LitscopeError:
                    continue              # a paper without an arXiv id: import it
        if wanted:
            try:
                found = fetcher(wanted)
            except LitscopeError as exc:
                report.fetch_error = str(exc)
            else:
                store.add_papers(found)
                report.fetched = len(found)
    report.applied = store.apply_decisions()
    held = set(store.papers(ids=decided)["id"])
    report.missing = sorted(pid for pid in decided if pid not in held)
    report.disagreements = disagreements(decisions)
    return report
