"""Write the curated review's pages into the project's Quarto website (`build_site`).

A review project is one Quarto website: `quarto render` at its root first runs litscope
(``project: pre-render:`` in ``_quarto.yml``), which writes the pages made from the
store into one generated folder (``site.out``, ``curated/``): a page per day holding its
papers as sections, a page per month, the archive, the methods page with the PRISMA flow,
the bibliography, the RSS feed and the front page's listing (`litscope.publish.archive`,
benchmarks/PUBLISH-DESIGN.md). Papers the review's daily update published are shown as
it recorded them (`litscope.publish.record`), so that a page does not change when other
papers arrive. Then Quarto renders them with the notebooks and the person's own pages.
The folder is litscope's alone: it is built beside itself and swapped in whole, so an
interrupted build leaves the previous pages as they were, and a build that changes
nothing touches nothing.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import errno
import filecmp
import json
import os
import re
import secrets
import shutil
import sys
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..config import Project, SiteSettings
from ..curate.export import select_papers
from ..errors import PublishError
from ..plots import plot_papers_per_day, plot_score_distribution, plot_top_terms, term_matches
from ..schema import conform_papers
from ..score.engine import Scorer
from ..score.ranking import describe_profile
from ..store import Store
from .archive import (FEED_FILE, SCORES_SECTION, SECTIONS_FILE, UNDATED, archive_days, section_href,
                      write_archive, write_feed)
from .citations import BIBLIOGRAPHY, review_papers, write_bibliography
from .markdown import escape_inline, escape_markdown, front_matter, markdown_table, trusted
from .record import RECORD_COLUMNS, explanation_rows

#: The file that marks a folder as litscope's pages and lists what it wrote.
MANIFEST = ".litscope-pages.json"
#: The front page's listing of the newest days, for ``metadata-files:`` in the project's
#: ``index.qmd``; its ``description`` (shown under the front page's title) says what the
#: review holds, or that nothing is published yet and how to get papers.
LISTING_FILE = "_listing.yml"
#: The website's style sheet for litscope's pages and notebook outputs (``_quarto.yml``
#: names it): tables and code that scroll in their box, figures that fit the column.
STYLE_FILE = "litscope.css"
#: The methods page, in the pages folder.
METHODS_PAGE = "methods.qmd"
#: Beside a pages folder, the folders a build works in: `_STAGING` + name + pid + random.
_STAGING = ".litscope-staging-"
_STAGING_SUFFIX = re.compile(r"(\d+)-[0-9a-f]{8}(?:-old)?")

@dataclass
class SiteReport:
    """What `build_site` wrote: the papers on the pages, the day pages, what changed, the
    feed, warnings, and the time it took."""
    out: Path
    days: list[str]
    n_papers: int
    n_candidates: int
    n_recorded: int
    feed: bool
    seconds: float
    warnings: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)   # files written or removed

    def summary(self, root: str | Path | None = None) -> str:
        """A few lines for the terminal; paths relative to `root` when they are inside it."""
        out = self.out
        if root is not None and out.is_relative_to(Path(root).absolute()):
            out = out.relative_to(Path(root).absolute())
        state = f"{len(self.changed)} files changed" if self.changed else "unchanged"
        recorded = f", {self.n_recorded} of them as the daily update recorded them" if self.n_recorded else ""
        lines = [f"Wrote the review's pages into {out}: {self.n_papers} of {self.n_candidates} papers on "
                 f"{len(self.days)} day pages{recorded}, in {self.seconds:.2f} s ({state})."]
        lines.append("RSS feed: index.xml (copied into the site after 'quarto render')." if self.feed
                     else "RSS feed: none.")
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("litscope", "templates"), undefined=StrictUndefined,
                      autoescape=False, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True, finalize=_finalize,
                      comment_start_string="{##", comment_end_string="##}")  # Pandoc writes {#id}
    env.filters["inline"] = lambda value: Markup(escape_inline(value))
    return env


def _finalize(value: Any) -> str:
    """Every value a template prints is escaped Markdown unless litscope marked it `Markup`."""
    if isinstance(value, Markup):
        return value
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return str(value)
    return escape_markdown(value)


# -- selecting and scoring ------------------------------------------------------------------
def score_papers(papers: pd.DataFrame, profile: Any = None,
                 scorer: Any = None) -> tuple[pd.DataFrame, Any]:
    """`papers` with `score`, `rank` and `excluded` from `scorer` (fitted from `profile` if
    needed), and the scorer; `papers` unchanged without either. A scorer fitted on more
    papers (the review's ranking of its whole store) gives these papers their place in it."""
    if scorer is None and profile is not None and len(papers):
        from ..score.engine import Scorer
        scorer = Scorer(profile).fit(papers)
    if scorer is None:
        return papers, None
    scores = scorer.score(columns=["id"])
    merged = papers.drop(columns=[c for c in scores if c != "id" and c in papers])
    return merged.merge(scores, on="id", how="left"), scorer


def site_papers(papers: pd.DataFrame, settings: SiteSettings, labels: pd.DataFrame | None = None,
                *, min_score: float | None = None) -> tuple[pd.DataFrame, str]:
    """The papers the website publishes (by ``settings.curate``) best first, and a Markdown
    sentence saying how.

    With ``curate: include``: the papers labelled include (`litscope.curate.export.select_papers`).

    With ``curate: top``: the ``top_n`` best, and the ``per_day`` best of each submission
    day (so that a day's picks are not crowded out by the best papers of all time); papers
    the profile excludes or that score below `min_score` are left out."""
    if settings.curate == "include":
        chosen = papers.iloc[:0] if labels is None else select_papers(papers, labels=labels, label="include")
        if chosen.empty and len(papers):
            raise PublishError("site.curate is 'include' but no paper is labelled include: label "
                               "papers in the Explorer (or 'litscope label'), or set site.curate: top "
                               "in litscope.yml")
        how = "It publishes the papers the reviewer labelled *include*."
    else:
        chosen = papers[~papers["excluded"].fillna(False).astype(bool)] if "excluded" in papers else papers
        if min_score is not None and "score" in chosen:
            chosen = chosen[chosen["score"] >= min_score]
        how = f"It publishes the {min(settings.top_n, len(chosen))} best-scoring papers of all"
    if "rank" in chosen and chosen["rank"].notna().any():
        chosen = chosen.sort_values("rank", na_position="last", kind="stable")
    elif "score" in chosen:
        chosen = chosen.sort_values(["score", "published"], ascending=[False, False], na_position="last")
    else:
        chosen = chosen.sort_values("published", ascending=False, na_position="last")
        if settings.curate == "top":
            how = (f"No profile scores the papers, so it publishes the {min(settings.top_n, len(papers))} "
                   f"newest")
    if settings.curate == "top":
        days = chosen["published"].dt.strftime("%Y-%m-%d")
        of_days = chosen[days.notna()].groupby(days[days.notna()], sort=False).head(settings.per_day)
        picked = chosen.index.isin(chosen.index[:settings.top_n]) | chosen.index.isin(of_days.index)
        if settings.per_day and len(of_days):
            how += f", and the {settings.per_day} best of each submission day"
        how += "." + (f" Papers the profile excludes, and papers scoring below {min_score:g}, are left out."
                      if min_score is not None and "score" in papers else "")
        chosen = chosen[picked]
    return chosen.reset_index(drop=True), how


# -- the papers on the pages ------------------------------------------------------------------
def shown_papers(papers: pd.DataFrame, chosen: pd.DataFrame, record: pd.DataFrame | None = None,
                 labels: pd.DataFrame | None = None, *, settings: SiteSettings | None = None,
                 scorer: Any = None, first_seen: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The papers the website shows, newest day first and best first within a day: those
    the `record` says were published (`litscope.publish.record`), as recorded, and the
    `chosen` ones not recorded yet, with today's score. Each gets ``day``, ``score``,
    ``why`` (the score's terms) and ``scored_on`` (the day it was recorded, or None). A
    paper labelled exclude is not shown; with ``curate: include``, only papers labelled
    include are. `papers` are all the candidates (scored), recorded ones among them; a
    paper's day is as recorded, else `archive_days` (with `first_seen`)."""
    settings = settings or SiteSettings()
    record = record if record is not None else pd.DataFrame(columns=RECORD_COLUMNS)
    record = record[record["id"].isin(papers["id"])].set_index("id")
    ids = set(record.index) | set(chosen["id"])
    label = {} if labels is None else dict(zip(labels["id"], labels["label"]))
    shown = papers[papers["id"].isin(ids)]
    decided = pd.Series([label.get(i, "") for i in shown["id"]], index=shown.index, dtype=object)
    shown = shown[decided.eq("include") if settings.curate == "include" else decided.ne("exclude")]
    recorded = shown["id"].isin(record.index).to_numpy()
    days = archive_days(shown, first_seen).to_numpy(copy=True)
    days[recorded] = record.loc[shown["id"][recorded], "day"].to_numpy()
    score = (shown["score"].astype(float) if "score" in shown
             else pd.Series(float("nan"), index=shown.index)).copy()
    score[recorded] = record.loc[shown["id"][recorded], "score"].to_numpy(dtype=float)
    why = [record.at[i, "why"] if done else (explanation_rows(scorer.explain(i)) if scorer is not None else None)
           for i, done in zip(shown["id"], recorded)]
    scored_on = [str(record.at[i, "at"])[:10] or None if done else None for i, done in zip(shown["id"], recorded)]
    shown = shown.assign(day=days, score=score, why=pd.Series(why, index=shown.index, dtype=object),
                         scored_on=scored_on, recorded=recorded)
    ordered = shown.assign(undated=shown["day"] == UNDATED, dated=shown["published"].notna()).sort_values(
        ["undated", "day", "dated", "score"], ascending=[True, False, False, False], na_position="last",
        kind="stable")
    ordered = ordered.drop(columns=["undated", "dated"])
    return ordered.reset_index(drop=True)


def _first_seen(store: Store | None) -> dict[str, Any]:
    """Each stored paper's first arrival in the store (its earliest source), by id."""
    if store is None:
        return {}
    sources = store.sources()
    return sources.groupby("id")["first_seen"].min().to_dict() if len(sources) else {}


def _status(shown: pd.DataFrame, n_candidates: int) -> str:
    """The front page's line under its title: what the review holds, for a reader."""
    if len(shown):
        dated = shown.loc[shown["day"] != UNDATED, "day"]
        newest = f"; the newest are of {dated.max()}" if len(dated) else ""
        return (f"{len(shown):,} papers chosen from the {n_candidates:,} the review screened{newest}.")
    if n_candidates:
        return (f"None of the {n_candidates:,} papers in the review's store is published yet: the "
                f"Methods page says how papers are chosen (site.curate in litscope.yml).")
    return ("No papers yet: the review's store is empty. Import digests (litscope import FILE) or fetch "
            "from arXiv (litscope fetch), then render the site again.")


def _write_pages(root: Path, shown: pd.DataFrame, corpus: pd.DataFrame, *, prefix: str, notes: Mapping[str, str],
                 cite_from: pd.DataFrame, site_url: str | None, title: str, how: str, scorer: Any,
                 profile: Any, described: Any, prisma: Any) -> None:
    """Every file of the pages folder `root`."""
    citations = write_bibliography(cite_from, root / BIBLIOGRAPHY)
    write_archive(shown, root, listing_prefix=prefix, citations=citations, notes=notes, methods=METHODS_PAGE,
                  status=_status(shown, len(corpus)))
    if site_url:
        write_feed(shown, site_url, root / FEED_FILE, title=title, folder=prefix)
    sections = {i: section_href(i, d) for i, d in zip(shown["id"], shown["day"])}
    (root / SECTIONS_FILE).write_text(json.dumps(sections, indent=0, sort_keys=True), encoding="utf-8")
    style = resources.files("litscope") / "templates" / "site" / STYLE_FILE
    (root / STYLE_FILE).write_text(style.read_text(encoding="utf-8"), encoding="utf-8")
    _write_methods(root, shown, corpus, how=how, scorer=scorer, profile=profile, described=described, prisma=prisma)


def _write_methods(root: Path, shown: pd.DataFrame, corpus: pd.DataFrame, *, how: str, scorer: Any,
                   profile: Any, described: Any, prisma: Any) -> None:
    """The methods page: how papers were chosen and scored, the PRISMA flow, the corpus in
    figures, and the newest day (a one-item listing of the day pages, so that Quarto
    renders the page again with every new day, whose counts it shows)."""
    from .prisma import prisma_mermaid
    figures: dict[str, Markup] = {}
    if len(corpus):
        figures = {name: Markup(f"figures/{name}.png") for name in ("papers-per-day", "papers-per-category")}
        _save(plot_papers_per_day(corpus), root / figures["papers-per-day"])
        _save(_plot_categories(corpus), root / figures["papers-per-category"])
    if "score" in corpus and corpus["score"].notna().any():
        figures["score-distribution"] = Markup("figures/score-distribution.png")
        cutoff = float(shown["score"].min()) if len(shown) and shown["score"].notna().any() else None
        _save(plot_score_distribution(corpus, cutoff=cutoff), root / figures["score-distribution"])
    if scorer is not None:
        figures["top-terms"] = Markup("figures/top-terms.png")
        _save(plot_top_terms(term_matches(scorer)), root / figures["top-terms"])
    terms = profile_table(profile)
    meta: dict[str, Any] = {"title": Markup("Methods"), "toc": True}
    dated = (shown["day"] != UNDATED).any()
    if dated:
        meta["listing"] = trusted({"id": "newest-day", "contents": "days/????-??-??.qmd", "type": "default",
                                   "sort": "date desc", "max-items": 1, "fields": ["date", "title", "description"],
                                   "date-format": "YYYY-MM-DD", "max-description-length": 400})
    selection = Markup(how) if len(corpus) else Markup(
        "Import a digest ('litscope import') or fetch papers ('litscope fetch'), then render again.")
    recorded = int(shown["recorded"].sum()) if len(shown) else 0
    text = _environment().get_template("site/methods.qmd.j2").render(
        front_matter=front_matter(meta), n_papers=len(corpus), n_shown=len(shown), n_recorded=recorded,
        selection=selection, scored=shown["score"].notna().any() if len(shown) else False,
        scores_section=Markup(SCORES_SECTION),
        profile=described.lines() if described is not None else [],
        terms=markdown_table(terms.to_dict("records"), {c: c.capitalize() for c in terms})
        if terms is not None and len(terms) else None,
        prisma=Markup(prisma_mermaid(prisma)) if prisma is not None else None,
        reasons=prisma.reasons if prisma is not None else {}, dated=bool(dated), figures=figures)
    (root / METHODS_PAGE).write_text(text, encoding="utf-8")


def _save(ax: Axes, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ax.figure.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})


def _plot_categories(papers: pd.DataFrame, top: int = 15) -> Axes:
    """Bars of papers per primary arXiv category (the `top` largest), dated or not."""
    ax = Figure(figsize=(6.0, 3.2), layout="constrained").add_subplot()
    counts = papers["primary_category"].fillna("unknown").astype(str).value_counts().head(top)
    ax.bar(counts.index, counts.to_numpy(), color="#3b6ea5")
    ax.set_title("Papers per primary category")
    ax.set_ylabel("papers")
    ax.tick_params(axis="x", labelrotation=60 if len(counts) > 6 else 0)
    return ax


def profile_table(profile: Any) -> pd.DataFrame | None:
    """The profile's terms, excludes and boosts with their weights (None without a profile)."""
    if profile is None:
        return None
    rows = [{"kind": kind, "term": term.pattern, "weight": term.weight if kind == "term" else None,
             "fields": ", ".join(term.fields) if term.fields else "all"}
            for kind, terms in (("term", profile.terms), ("exclude", profile.exclude)) for term in terms]
    rows += [{"kind": f"{kind} boost", "term": name, "weight": boost, "fields": field}
             for kind, boosts, field in (("author", profile.author_boosts, "authors"),
                                         ("category", profile.category_boosts, "categories"))
             for name, boost in boosts.items()]
    return pd.DataFrame(rows, columns=["kind", "term", "weight", "fields"])


# -- putting the folder in place ------------------------------------------------------------
def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clean_stale_staging(out: Path) -> None:
    """Remove the staging folders that builds of `out` killed before they finished left
    beside it (those of running builds stay). A build killed between the two renames of a
    swap without atomic exchange left the previous pages in an ``-old`` folder: they go back."""
    prefix = f"{_STAGING}{out.name}-"
    for folder in sorted(out.parent.glob(f"{prefix}*")):
        match = _STAGING_SUFFIX.fullmatch(folder.name[len(prefix):])
        if not match or not folder.is_dir() or (int(match[1]) != os.getpid() and _alive(int(match[1]))):
            continue
        if folder.name.endswith("-old") and not out.exists():
            os.rename(folder, out)
        else:
            shutil.rmtree(folder, ignore_errors=True)


def _check_target(out: Path) -> list[str]:
    """The files litscope wrote into `out` before ([] when `out` does not exist)."""
    if not out.exists():
        return []
    if not out.is_dir():
        raise PublishError(f"{out}: exists and is not a folder; choose another site.out or --out")
    manifest = out / MANIFEST
    if manifest.is_file():
        return json.loads(manifest.read_text(encoding="utf-8"))
    if any(out.iterdir()):
        raise PublishError(f"{out}: this folder has files that litscope did not write (no {MANIFEST}); "
                           f"choose another site.out or --out, or empty it")
    return []


_RENAME_EXCHANGE = 2   # renameat2(2) flag: swap two paths atomically (Linux >= 3.15)
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap the folders `a` and `b` in one atomic step where the system can (Linux); False
    where it cannot."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


def _swap_in(staging: Path, out: Path) -> None:
    """Put the finished `staging` folder where `out` is, then remove the previous pages."""
    if not out.exists():
        os.rename(staging, out)
        return
    if not _exchange(staging, out):   # two renames: a moment without `out`
        old = staging.with_name(staging.name + "-old")
        os.rename(out, old)
        os.rename(staging, out)
        staging = old
    shutil.rmtree(staging)


def _put_in_place(staging: Path, out: Path, old: list[str]) -> list[str]:
    """Replace `out` with `staging` unless they hold the same files; returns the files
    added, changed or removed."""
    new = _files(staging)
    (staging / MANIFEST).write_text(json.dumps(new, indent=0), encoding="utf-8")
    changed = sorted(set(old) ^ set(new)) + sorted(
        f for f in set(old) & set(new) if not filecmp.cmp(staging / f, out / f, shallow=False))
    if changed or not (out / MANIFEST).is_file():
        _swap_in(staging, out)
    else:
        shutil.rmtree(staging)
    return changed


def _rank(papers: pd.DataFrame, profile: Any, scorer: Any, ranking: Any) -> tuple[pd.DataFrame, Any, Any, Any]:
    """`papers` scored by `ranking`, else `scorer`, else `profile` (see `build_site`), and
    the scorer, profile and description of the ranking that scored them."""
    if ranking is None and scorer is None and profile is not None and len(papers):
        from ..score.ranking import Ranking
        ranking = Ranking(profile).fit(papers)
    described = None
    if ranking is not None:
        scorer, profile, described = ranking.scorer_, ranking.profile, ranking.describe()
    elif isinstance(scorer, Scorer):        # a scorer alone: what it was given is all we know
        described = describe_profile(scorer.profile, scorer.n_papers_, learned_error=None
                                     if scorer._learned is not None else "no labels were given to learn from")
    frame, scorer = score_papers(papers, profile, scorer)
    return frame, scorer, profile, described


def build_site(papers: pd.DataFrame, out: str | Path, *, settings: SiteSettings | None = None,
               profile: Any = None, scorer: Any = None, ranking: Any = None,
               labels: pd.DataFrame | None = None, notes: pd.DataFrame | Mapping[str, str] | None = None,
               record: pd.DataFrame | None = None, store: Store | None = None,
               site_url: str | None = None, title: str = "Review",
               listing_prefix: str | None = None, check: bool = True) -> SiteReport:
    """Write the pages of the published `papers` into the folder `out` of a Quarto website.

    Papers are ranked by `ranking` (a fitted `litscope.score.ranking.Ranking`: the review's
    profile, learned model and similarity, which the methods page describes), or scored with
    `scorer` or `profile` alone, or by a `score` column they carry; `settings.curate` picks
    the published ones, and those the `record` holds are shown as recorded (`shown_papers`).
    The folder gets a page per day and per month, the archive, the methods page (with the
    PRISMA flow of the `store`, whose library and includes the bibliography also cites),
    ``references.bib``, the RSS feed (with a `site_url`) and the front page's listing
    (`LISTING_FILE`, whose paths start with `listing_prefix`: the folder's name and a slash,
    for an ``index.qmd`` beside it). With `check`, every YAML written is validated against
    Quarto's schema. The folder is replaced whole, atomically where the system allows it.
    """
    started = time.perf_counter()
    papers = conform_papers(papers, where="papers to publish")
    settings = settings or SiteSettings()
    frame, scorer, profile, described = _rank(papers, profile, scorer, ranking)
    chosen, how = site_papers(frame, settings, labels, min_score=getattr(profile, "min_score", None))
    shown = shown_papers(frame, chosen, record, labels, settings=settings, scorer=scorer,
                         first_seen=_first_seen(store))
    if isinstance(notes, pd.DataFrame):
        notes = dict(zip(notes["id"], notes["note"]))
    warnings = []
    if settings.feed and not site_url:
        warnings.append("no RSS feed: it needs the website's address; set website.site-url in _quarto.yml "
                        "(e.g. https://you.github.io/review/) to get index.xml")
    missing = 0 if record is None else int((~record["id"].isin(frame["id"])).sum())
    if missing:
        warnings.append(f"{missing} published papers of the record are not in the store: run 'litscope rebuild' "
                        f"to import them again")
    prisma = None
    if store is not None:
        from .prisma import prisma_counts
        prisma = prisma_counts(store, included=shown["id"], labels=labels)
    out = Path(out).absolute()
    prefix = f"{out.name}/" if listing_prefix is None else listing_prefix
    out.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale_staging(out)
    old = _check_target(out)
    staging = out.parent / f"{_STAGING}{out.name}-{os.getpid()}-{secrets.token_hex(4)}"
    staging.mkdir()
    try:
        feed = bool(settings.feed and site_url)
        _write_pages(staging, shown, frame, prefix=prefix, notes=notes or {},
                     cite_from=review_papers(shown, store) if store is not None else shown,
                     site_url=site_url if feed else None, title=title, how=how, scorer=scorer,
                     profile=profile, described=described, prisma=prisma)
        if check:
            from .quarto_schema import check_site
            problems = check_site(staging)
            if problems:
                raise PublishError("the generated pages do not follow Quarto's schema (a litscope bug; "
                                   "please report it): " + "; ".join(problems[:5]))
        changed = _put_in_place(staging, out, old)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    days = [f"days/{d}.qmd" for d in sorted(set(shown["day"]) - {UNDATED}, reverse=True)]
    days += [f"days/{UNDATED}.qmd"] if (shown["day"] == UNDATED).any() else []
    return SiteReport(out=out, days=days, n_papers=len(shown), n_candidates=len(papers),
                      n_recorded=int(shown["recorded"].sum()), feed=feed,
                      seconds=time.perf_counter() - started, warnings=warnings, changed=changed)


# -- the review project ---------------------------------------------------------------------
def quarto_config(root: Path, section: str) -> dict[str, Any]:
    """One section (``project``, ``website``) of the project's ``_quarto.yml`` ({} without)."""
    from .quarto_schema import load_yaml
    config = root / "_quarto.yml"
    data = load_yaml(config.read_text(encoding="utf-8")) if config.is_file() else None
    value = data.get(section) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def record_published(project: Project, *, store: Store | None = None, ranking: Any = None,
                     now: Any = None) -> int:
    """Record in the review's ``published/`` (`litscope.publish.record`) the papers its
    website shows that the record does not hold yet — today's picks of the ranking
    (`ranking`, fitted on the store's papers, or ``project.ranking()``) — with their day,
    score and explanation; returns how many. The daily update does this, so that the
    website keeps showing each paper as it was chosen."""
    from .record import read_record, record_papers
    store = store or project.store()
    papers = store.papers()
    if papers.empty:
        return 0
    if ranking is None:
        ranking = project.ranking(store)
        if ranking is not None:
            ranking.fit(papers)
    frame, scorer, profile, _ = _rank(conform_papers(papers, where="papers to publish"), project.profile(),
                                      None, ranking)
    labels = store.labels()
    settings = project.config.site
    chosen, _ = site_papers(frame, settings, labels, min_score=getattr(profile, "min_score", None))
    shown = shown_papers(frame, chosen, read_record(project.root), labels, settings=settings, scorer=scorer,
                         first_seen=_first_seen(store))
    return record_papers(project.root, shown[~shown["recorded"]], now=now)


def publish_project(project: Project, *, out: str | Path | None = None, store: Store | None = None,
                    ranking: Any = None, allow_empty: bool = False) -> SiteReport:
    """Write the review project's pages from its store, in its ranking (`ranking`, fitted
    on the store's papers, or ``project.ranking()``), with its ``site:`` settings and the
    record of what its daily update published, into its pages folder (``site.out``), or
    into `out`. An empty store is an error unless `allow_empty` (Quarto's pre-render step),
    which writes the pages of no papers."""
    from .record import read_record
    store = store or project.store()
    papers = store.papers()
    if papers.empty and not allow_empty:
        raise PublishError(f"the store {store.path} holds no papers: import a digest ('litscope "
                           f"import') or fetch ('litscope fetch') first")
    settings = project.config.site
    target = Path(out) if out is not None else project.path(settings.out)
    if ranking is None and len(papers):
        ranking = project.ranking(store)
        if ranking is not None:
            ranking.fit(papers)
    website = quarto_config(project.root, "website")
    report = build_site(papers, target, settings=settings, profile=project.profile(),
                        ranking=ranking if len(papers) else None, labels=store.labels(),
                        notes=store.notes(), record=read_record(project.root), store=store,
                        site_url=website.get("site-url"), title=str(website.get("title") or project.config.title),
                        listing_prefix=None if out is not None else f"{Path(settings.out).as_posix()}/")
    render = quarto_config(project.root, "project").get("render")
    pages = f"/{Path(settings.out).as_posix()}/**/*.qmd"
    if out is None and isinstance(render, list) and pages not in render:
        report.warnings.append(f"_quarto.yml's project: render: does not list {pages!r}, so Quarto will "
                               f"not render the pages litscope wrote; add it")
    return report
