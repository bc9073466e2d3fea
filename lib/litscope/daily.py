"""The daily job: `litscope update` and the GitHub Actions workflow that runs it.

`update` chains the stages the way a digest bot runs them, on a review project: fetch
(arXiv's latest announcement by default, or the configured window) → rank with the
review's ranking (its profile, the model learned from its labels and library, the
similarity to the library: `litscope.score.ranking`) → summarise the window's papers
(through the LLM endpoint when one is configured, extractively otherwise) → write the
day's digest, each paper once (a paper of an earlier digest only comes back as a new
version) → record the papers the website publishes today, with their scores, in the
review's ``published/`` (`litscope.publish.record`) → rewrite the website's pages; with
``render``, render what changed. Every stage is idempotent — fetched windows cost no
request, cached summaries no LLM call, papers recorded before are not recorded again,
unchanged files are not rewritten — so a second run on the same day changes nothing and
says so.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from .config import Project, parse_day, write_text
from .store import Store


def github_workflow() -> str:
    """The daily GitHub Actions workflow that `litscope init --github-action` writes."""
    return (resources.files("litscope") / "templates" / "github-workflow.yml").read_text(encoding="utf-8")


@dataclass
class UpdateReport:
    """What one `update` did, stage by stage."""
    day: date
    since: date
    new_papers: int = 0
    window_papers: int = 0
    summaries_written: int = 0
    digest: Path | None = None
    digest_changed: bool = False
    site: Path | None = None
    site_changed: int = 0
    recorded: int = 0
    lines: list[str] = field(default_factory=list)

    @property
    def nothing_new(self) -> bool:
        return not (self.new_papers or self.summaries_written or self.digest_changed or self.site_changed
                    or self.recorded)

    def summary(self) -> str:
        head = (f"Nothing new since the last update: no new papers, summaries, digest or site "
                f"changes for {self.since} to {self.day}." if self.nothing_new else
                f"Updated the review for {self.since} to {self.day}: {self.new_papers} new papers, "
                f"{self.summaries_written} new summaries, digest {'written' if self.digest_changed else 'unchanged'}, "
                f"{self.site_changed} site files changed.")
        return "\n".join([*self.lines, head])


def write_if_changed(path: Path, text: str) -> bool:
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, text)
    return True


def update(project: Project, *, day: str | date | None = None, refresh: bool = False,
           client=None, llm_client=None, progress: bool | None = None) -> UpdateReport:
    """Run the daily pipeline on `project` for the ``days_back`` days up to `day` (UTC today).

    `client` (an `ArxivClient`) and `llm_client` (an `LLMClient`) replace the ones made from
    the project's settings. Returns an `UpdateReport`; errors are `LitscopeError`s raised
    before the stage that failed wrote anything.
    """
    from .publish.digest import render_digest
    from .curate.llm import endpoint_configured
    from .publish import publish_project, score_papers
    from .publish.record import FOLDER as RECORD_FOLDER
    from .publish.site import record_published
    from .curate.summarize import summarize

    config = project.config
    today = parse_day(day, "--date") if day is not None else datetime.now(timezone.utc).date()
    since = today - timedelta(days=config.days_back - 1)
    report = UpdateReport(day=today, since=since)
    store = project.store()

    # 1. fetch: what was read or fetched before costs no request
    before = store.count()
    fetched = fetch_step(project, store, since, today, refresh=refresh, client=client,
                         now=None if day is None else datetime.combine(today, time.max, timezone.utc))
    report.new_papers = store.count() - before
    report.lines.append(f"Fetch: {fetched.attrs.get('report', f'{len(fetched)} papers')}")

    # 2. rank the store's papers once: the digest and the site list them in this order
    ranking = project.ranking(store)
    if ranking is not None and store.count():
        ranking.fit(store.papers())
    window = window_papers(store, since, today, announced=config.arxiv.update == "new")
    digests = project.path(config.digests)
    window, repeated = once(window, published_before(digests, today))
    report.window_papers = len(window)

    if not len(window):
        how = "announced" if config.arxiv.update == "new" else "submitted"
        seen = f" ({repeated} were in earlier digests)" if repeated else ""
        report.lines.append(f"Digest: none, no new papers were {how} from {since} to {today}{seen}.")
    else:
        # 3. summarise the window's papers; cached and imported summaries are kept
        online = llm_client is not None or endpoint_configured(config.llm)
        llm = summarize(window, config.llm if online else None, store,
                        progress=progress is not False, client=llm_client).attrs["report"]
        summarized = store.papers(ids=window["id"])
        report.summaries_written = _summaries_written(window, summarized)
        report.lines.append(str(llm)[:1].upper() + str(llm)[1:])
        if llm.failures:
            paper, reason = next(iter(llm.failures.items()))
            more = f" (and {len(llm.failures) - 1} more: 'litscope summarize' lists each)" if len(llm.failures) > 1 else ""
            report.lines.append(f"  first failure: {paper}: {reason}{more}")

        # 4. the day's digest of the window, in the review's ranking
        summarized = summarized.merge(window[["id", *UPDATED_COLUMNS]], on="id", how="left")
        scored, _ = score_papers(summarized, scorer=getattr(ranking, "scorer_", None))
        text = render_digest(scored, "daily", title=f"{config.title}: {since} to {today}")
        report.digest = digests / f"{today.isoformat()}.md"
        report.digest_changed = write_if_changed(report.digest, text)
        updated = int(window["previous_version"].notna().sum())
        report.lines.append(f"Digest: {report.digest} ({len(window)} papers"
                            + (f", {updated} of them new versions" if updated else "")
                            + (f"; {repeated} in earlier digests left out" if repeated else "")
                            + f", {'written' if report.digest_changed else 'unchanged'})")

    # 5. record what the website publishes today, and rewrite its pages from the whole
    # store ('litscope publish --render' renders what changed)
    if store.count():
        when = None if day is None else datetime.combine(today, time(12), timezone.utc)
        report.recorded = record_published(project, store=store, ranking=ranking, now=when)
        report.lines.append(f"Published: {report.recorded} new papers recorded in {RECORD_FOLDER}/ "
                            f"(their day, score and its explanation, as the website shows them).")
        site = publish_project(project, store=store, ranking=ranking)
        report.site, report.site_changed = site.out, len(site.changed)
        report.lines.append(f"Site pages: {site.out}, {site.n_papers} papers on {len(site.days)} day pages, "
                            f"{len(site.changed)} files changed.")
    return report


def fetch_step(project: Project, store: Store, since: date, until: date, *, refresh: bool = False,
               client=None, now: datetime | None = None) -> pd.DataFrame:
    """The update's fetch, as ``arxiv.update`` says: ``new`` reads arXiv's latest announcement
    (``litscope fetch --new``), ``window`` searches the days from `since` to `until`."""
    config = project.config
    if config.arxiv.update == "new":
        from .sources.announcements import fetch_new
        return fetch_new(config.categories, project=project, store=store, client=client, now=now,
                         refresh=refresh)
    from .sources.arxiv_api import fetch
    return fetch(config.categories, query=config.query, since=since, until=until, refresh=refresh,
                 project=project, store=store, client=client, now=now)


#: The columns `once` adds: the version and digest day of a paper's earlier listing.
UPDATED_COLUMNS = ["previous_version", "previous_digest"]
_DIGEST_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})\.md$")


def published_before(folder: Path, day: date) -> pd.DataFrame:
    """The papers the review's digests before `day` listed (``digests/YYYY-MM-DD.md``, read
    back): id, the highest version listed (<NA> when unknown) and the day of that digest.
    The digests are committed, so this survives a fresh clone."""
    from .sources.digests import read_digest
    rows = []
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        name = _DIGEST_NAME.match(path.name)
        if name and date.fromisoformat(name[1]) < day:
            listed = read_digest(path)
            rows.append(pd.DataFrame({"id": listed["id"].astype(str), "version": listed["version"],
                                      "day": name[1]}))
    if not rows:
        return pd.DataFrame({"id": pd.Series(dtype=str), "version": pd.Series(dtype="Int64"),
                             "day": pd.Series(dtype=str)})
    listed = pd.concat(rows, ignore_index=True).astype({"version": "Int64"})
    return listed.sort_values(["version", "day"], na_position="first").drop_duplicates("id", keep="last")


def once(papers: pd.DataFrame, listed: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """`papers` without those an earlier digest `listed` (see `published_before`), unless
    arXiv has a newer version of them now: those stay, with the version and day of their
    earlier listing (`UPDATED_COLUMNS`). Also returns how many were left out."""
    earlier = listed.set_index("id")
    before = earlier["version"].reindex(papers["id"]).to_numpy()
    seen = papers["id"].isin(earlier.index).to_numpy()
    version = papers["version"].astype("Int64").to_numpy()
    newer = seen & ~pd.isna(before) & ~pd.isna(version)
    newer[newer] = version[newer] > before[newer]
    kept = ~seen | newer
    out = papers.assign(previous_version=pd.array(np.where(newer, before, pd.NA), dtype="Int64"),
                        previous_digest=np.where(newer, earlier["day"].reindex(papers["id"]).to_numpy(), None))
    return out[kept].reset_index(drop=True), int((~kept).sum())


def window_papers(store: Store, since: date, until: date, *,
                  announced: bool | None = None) -> pd.DataFrame:
    """The store's papers arXiv announced from `since` to `until` (as its listing feeds
    said, so that a day's digest lists that day's announcement), or without `announced`
    the papers first submitted then. ``announced=None`` takes the announcements when the
    store holds any of those days."""
    from .publish.digest import papers_between
    listed = store.announcements()
    days = pd.to_datetime(listed["day"]).dt.date
    listed = listed[(days >= since) & (days <= until)]
    if announced or (announced is None and len(listed)):
        return store.papers(ids=listed["id"])
    return papers_between(store.papers(), since=since, until=until)


def _summaries_written(before: pd.DataFrame, after: pd.DataFrame) -> int:
    """How many papers' summaries changed between two snapshots of the same papers."""
    columns = ["summary_source", "tldr"]
    old = before.set_index("id")[columns].astype(object).fillna("")
    new = after.set_index("id")[columns].astype(object).fillna("").reindex(old.index)
    return int((old != new).any(axis=1).sum())
