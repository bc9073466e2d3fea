"""Write the curated review's pages into the project's Quarto website (`build_site`).

A review project is one Quarto website: `quarto render` at its root first runs litscope
(``project: pre-render:`` in ``_quarto.yml``), which writes the pages made from the
store — a page per paper, per topic and per day, the methods page, and the front page's
listing — into one generated folder (``site.out``, ``curated/``); then Quarto renders
them with the notebooks and the person's own pages. The folder is litscope's alone: it is
built beside itself and swapped in whole, so an interrupted build leaves the previous
pages as they were, and a build that changes nothing touches nothing.
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
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
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
from ..schema import SUMMARY_FIELDS, conform_papers, paper_url
from ..score.engine import Scorer
from ..score.ranking import describe_profile
from ..store import Store
from .markdown import (SUMMARY_LABELS, byline, escape_inline, escape_markdown, front_matter,
                       highlighted_html, html_text, markdown_table, markdown_to_html, metadata_yaml,
                       one_line, page_slugs, present, raw_html, safe_url, slugify, trusted)

#: The file that marks a folder as litscope's pages and lists what it wrote.
MANIFEST = ".litscope-pages.json"
#: The front page's listing, for ``metadata-files:`` in the project's ``index.qmd``; its
#: ``description`` (shown under the front page's title) says what is listed, or that
#: nothing is yet and how to get papers.
LISTING_FILE = "_listing.yml"
#: Custom listing fields every paper page carries (Quarto reads them from front matter).
LISTING_FIELDS = ["date", "title", "subtitle", "byline", "categories", "description", "score"]
#: Beside a pages folder, the folders a build works in: `_STAGING` + name + pid + random.
_STAGING = ".litscope-staging-"
_STAGING_SUFFIX = re.compile(r"(\d+)-[0-9a-f]{8}(?:-old)?")
QUARTO_HELP = ("Quarto is not installed: get it with 'pip install quarto-cli' (litscope[publish]) on a "
               "connected machine or from https://quarto.org/docs/get-started/, then run "
               "'litscope publish --render' in {root} (it runs 'quarto render' with this Python, "
               "which the pages' code needs)")
_EXPLAIN_COLUMNS = {"term": "Term", "field": "Field", "matches": "Matches", "weight": "Weight",
                    "field_weight": "Field weight", "contribution": "Contribution"}
_KIND_NAMES = {"papers": ("paper page", "paper pages"), "topics": ("topic page", "topic pages"),
               "days": ("day page", "day pages"), "methods": ("methods page", "methods pages")}


@dataclass
class SiteReport:
    """What `build_site` wrote: pages by kind, the feed, warnings, and the time it took."""
    out: Path
    pages: dict[str, list[str]]
    n_papers: int
    n_candidates: int
    feed: bool
    seconds: float
    warnings: list[str] = field(default_factory=list)
    changed: int = 0   # files written or removed; 0 when the pages were up to date

    @property
    def n_pages(self) -> int:
        return sum(len(v) for v in self.pages.values())

    def summary(self) -> str:
        """A few lines for the terminal."""
        kinds = ", ".join(f"{len(v)} {_KIND_NAMES[k][len(v) != 1]}" for k, v in self.pages.items())
        state = f"{self.changed} files changed" if self.changed else "unchanged"
        lines = [f"Wrote the review's pages into {self.out}: {self.n_pages} pages ({kinds}) for "
                 f"{self.n_papers} of {self.n_candidates} papers in {self.seconds:.2f} s ({state})."]
        lines.append("RSS feed: index.xml (written by 'quarto render')." if self.feed
                     else "RSS feed: none.")
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("litscope", "templates"), undefined=StrictUndefined,
                      autoescape=False, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True, finalize=_finalize)
    env.filters["inline"] = lambda value: Markup(escape_inline(value))
    env.filters["num"] = lambda value, digits=2: Markup(f"{float(value):.{digits}f}")
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


def _text(value: Any) -> str:
    return str(value) if present(value) else ""


def _shorten(text: str, limit: int) -> str:
    text = one_line(text)
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + " …"


def _tag_key(tag: str) -> str:
    """What spellings of one tag share: case, hyphens and spaces, a plural last word."""
    words = re.sub(r"[\s_-]+", " ", tag.casefold()).strip().split(" ")
    last = words[-1]
    if len(last) > 3 and last.endswith("s") and not last.endswith("ss"):
        words[-1] = last[:-1]
    return " ".join(words)


def paper_categories(papers: pd.DataFrame, most: int = 40) -> list[list[str]]:
    """Each paper's listing categories: its topic and subtopic as named and its primary
    arXiv category, then the tags it shares with another paper. Spellings of one tag
    ("LLM agents", "LLM-Agent") are one, spelled as most papers spell it (a topic's or
    category's own name first); the front page lists at most `most` categories, the tags
    most papers carry."""
    named_rows, tag_rows = [], []
    spellings: dict[str, Counter] = {}
    for topic, subtopic, primary, tags in zip(papers["topic"], papers["subtopic"],
                                              papers["primary_category"], papers["tags"]):
        named = [one_line(v) for v in (topic, subtopic, primary) if present(v)]
        tagged = [one_line(t) for tag in tags for t in str(tag).split(";") if one_line(t)]
        for value in named:
            spellings.setdefault(_tag_key(value), Counter())[value] += len(papers) + 1
        for value in tagged:
            spellings.setdefault(_tag_key(value), Counter())[value] += 1
        named_rows.append(named)
        tag_rows.append(tagged)
    spelled = {key: min(counts, key=lambda v: (-counts[v], v)) for key, counts in spellings.items()}
    named_keys = {_tag_key(v) for row in named_rows for v in row}
    shared = Counter(k for row in tag_rows for k in {_tag_key(v) for v in row} - named_keys)
    room = max(most - len(named_keys), 0)
    kept = {k for k, n in sorted(shared.items(), key=lambda kv: (-kv[1], kv[0]))[:room] if n >= 2}
    return [list(dict.fromkeys(spelled[_tag_key(v)] for v in [*named, *tagged]
                               if _tag_key(v) in named_keys or _tag_key(v) in kept))
            for named, tagged in zip(named_rows, tag_rows)]


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
        how = f"The {len(chosen)} papers labelled *include* by the curator are published."
    else:
        chosen = papers[~papers["excluded"].fillna(False).astype(bool)] if "excluded" in papers else papers
        if min_score is not None and "score" in chosen:
            chosen = chosen[chosen["score"] >= min_score]
        how = f"The {min(settings.top_n, len(chosen))} highest-scoring papers are published (site.top_n)."
    if "rank" in chosen and chosen["rank"].notna().any():
        chosen = chosen.sort_values("rank", na_position="last", kind="stable")
    elif "score" in chosen:
        chosen = chosen.sort_values(["score", "published"], ascending=[False, False], na_position="last")
    else:
        chosen = chosen.sort_values("published", ascending=False, na_position="last")
        if settings.curate == "top":
            how = (f"No profile was given, so the {min(settings.top_n, len(papers))} newest papers "
                   f"are published (site.top_n).")
    if settings.curate == "top":
        days = chosen["published"].dt.strftime("%Y-%m-%d")
        of_days = chosen[days.notna()].groupby(days[days.notna()], sort=False).head(settings.per_day)
        picked = chosen.index.isin(chosen.index[:settings.top_n]) | chosen.index.isin(of_days.index)
        if settings.per_day and len(of_days):
            how += f" So are the {settings.per_day} best of each submission day (site.per_day)."
        chosen = chosen[picked]
    return chosen.reset_index(drop=True), how


# -- pages ----------------------------------------------------------------------------------
def _listing_order(papers: pd.DataFrame) -> list[int]:
    """Each paper's place in listings: the newest day's papers first, best first within a
    day, papers without a date last (Quarto lists by the pages' ``order`` by default)."""
    day = papers["published"].dt.strftime("%Y-%m-%d").fillna("")
    score = papers["score"] if "score" in papers else pd.Series(0.0, index=papers.index)
    ranked = pd.DataFrame({"day": day, "score": score.fillna(float("-inf")),
                           "position": range(len(papers))}, index=papers.index)
    ranked = ranked.sort_values(["day", "score", "position"], ascending=[False, False, True])
    order = pd.Series(range(1, len(papers) + 1), index=ranked.index)
    return order.reindex(papers.index).tolist()


def _listing(contents: str | list[str], *, scored: bool, feed: bool, categories: bool,
             listing_id: str) -> dict[str, Any]:
    """A listing of paper pages, in their `_listing_order` (Quarto's default sort)."""
    listing: dict[str, Any] = {
        "id": listing_id,
        "contents": contents,
        "type": "default",
        "sort-ui": ["date", "score", "title"] if scored else ["date", "title"],
        "filter-ui": True,
        "categories": categories,
        "fields": LISTING_FIELDS if scored else [f for f in LISTING_FIELDS if f != "score"],
        "field-display-names": {"byline": "Authors", "score": "Score"},
        "date-format": "YYYY-MM-DD",
        "page-size": 25,
    }
    if scored:   # sorts both ways, by the pages' number
        listing["field-types"] = {"score": "number"}
    if feed:
        listing["feed"] = {"type": "partial"}
    return trusted(listing)


class _SiteWriter:
    """Renders every page of the review into a folder."""

    def __init__(self, root: Path, papers: pd.DataFrame, *, settings: SiteSettings, feed: bool,
                 listing_prefix: str, scorer: Any, notes: Mapping[str, str], corpus: pd.DataFrame,
                 how: str, profile: Any, described: Any):
        self.root, self.settings, self.feed, self.listing_prefix = root, settings, feed, listing_prefix
        self.scorer, self.notes, self.corpus, self.how, self.profile = scorer, notes, corpus, how, profile
        self.described = described
        self.env = _environment()
        self.scored = "score" in papers and papers["score"].notna().any()
        self.pages: dict[str, list[str]] = {"papers": [], "topics": [], "days": [], "methods": []}
        self.papers = papers.assign(slug=page_slugs(papers["id"], "paper"),
                                    listed=pd.Series(paper_categories(papers), index=papers.index,
                                                     dtype=object),
                                    order=_listing_order(papers))
        self.topics = self._topics()
        self.related = self._related()

    def write(self, kind: str, relative: str, template: str, **context: Any) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        text = self.env.get_template(f"site/{template}").render(**context)
        path.write_text(text, encoding="utf-8")
        self.pages[kind].append(relative)

    # topics are (topic, subtopic) pairs; a page per pair, like seed 004's subtopics
    def _topics(self) -> pd.DataFrame:
        frame = self.papers[["id", "topic", "subtopic"]].copy()
        frame = frame[frame["topic"].notna() | frame["subtopic"].notna()]
        frame["name"] = [one_line(s) if present(s) else one_line(t)
                         for t, s in zip(frame["topic"], frame["subtopic"])]
        frame["parent"] = [one_line(t) if present(t) and present(s) else ""
                           for t, s in zip(frame["topic"], frame["subtopic"])]
        keys = frame[["parent", "name"]].drop_duplicates().reset_index(drop=True)
        keys["slug"] = page_slugs(keys["name"], "topic", keys=[f"{p} / {n}" if p else n for p, n in
                                                            zip(keys["parent"], keys["name"])])
        return frame.merge(keys, on=["parent", "name"])

    def _related(self) -> dict[str, list[dict[str, Any]]]:
        """Each published paper's most similar others in the review (tf-idf cosine)."""
        from ..score.similarity import related_papers
        if len(self.papers) < 2:
            return {}
        pairs = related_papers(self.papers, k=5)
        slug = dict(zip(self.papers["id"], self.papers["slug"]))
        related: dict[str, list[dict[str, Any]]] = {}
        for pair in pairs.itertuples(index=False):
            related.setdefault(pair.id, []).append(
                {"title": _shorten(one_line(pair.related_title), 120), "slug": Markup(slug[pair.related_id]),
                 "similarity": pair.similarity})
        return related

    def build(self) -> None:
        self.write_listing()
        for row in self.papers.to_dict("records"):
            self.write_paper(row)
        self.write_topics()
        self.write_days()
        self.write_methods()

    def write_listing(self) -> None:
        """The front page's listing of every paper page (``index.qmd`` reads it) and a line
        saying what it lists; without papers, no listing (Quarto warns of one that lists
        nothing) but a line saying how to get some."""
        if len(self.papers):
            status = (f"{len(self.papers)} of the {len(self.corpus)} papers in the review's store, "
                      f"{'in the ranking the Methods page describes' if self.scored else 'newest first'}.")
        elif len(self.corpus):
            status = (f"None of the {len(self.corpus)} papers in the review's store is published yet: "
                      f"the Methods page says how papers are chosen (site.curate in litscope.yml).")
        else:
            status = ("No papers yet: the review's store is empty. Import digests (litscope import FILE) "
                      "or fetch from arXiv (litscope fetch), then render the site again.")
        meta: dict[str, Any] = {"description": status}
        if len(self.papers):
            meta["listing"] = _listing(f"{self.listing_prefix}papers/*.qmd", scored=self.scored,
                                       feed=self.feed, categories=True, listing_id="papers")
        (self.root / LISTING_FILE).write_text(metadata_yaml(trusted(meta)), encoding="utf-8")

    def _paper_meta(self, row: dict[str, Any]) -> dict[str, Any]:
        meta: dict[str, Any] = {"title": row["title"]}
        if present(row["title_zh"]):
            meta["subtitle"] = row["title_zh"]
        if present(row["published"]):
            meta["date"] = Markup(row["published"].strftime("%Y-%m-%d"))
        if row["listed"]:
            meta["categories"] = row["listed"]
        if byline(row["authors"]):
            meta["byline"] = byline(row["authors"])
        if self.scored and present(row.get("score")):
            # three decimals always: the listing's sort (list.js) compares the digits after
            # the point as a whole number, so 22.302 would come before 22.34
            meta["score"] = Markup(f"{float(row['score']):.3f}")
        meta["order"] = int(row["order"])
        return meta

    @staticmethod
    def _description(row: dict[str, Any]) -> str:
        return _shorten(_text(row["tldr"]) or _text(row["abstract"]), 300)

    def _details(self, row: dict[str, Any], topics: pd.DataFrame) -> Markup:
        """The lines under the title (authors, links, topics, tags, ...) as raw HTML: not a
        paragraph, so that the page's first paragraph — what listings and the feed show —
        is its TL;DR or abstract."""
        lines = []
        if row["authors"]:
            lines.append("<b>Authors:</b> " + html_text(", ".join(map(one_line, row["authors"]))))
        abs_url = safe_url(paper_url(row))
        links = []
        if not row["id"].startswith("h:"):
            label = html_text(f"arXiv:{row['id']}" + (f"v{row['version']}" if present(row["version"]) else ""))
            links.append(f'<a href="{abs_url}">{label}</a>' if abs_url else label)
        elif abs_url:
            links.append(f'<a href="{abs_url}">abstract</a>')
        pdf_url = safe_url(row["pdf_url"])
        if pdf_url:
            links.append(f'<a href="{pdf_url}">PDF</a>')
        if present(row["primary_category"]):
            links.append(html_text(row["primary_category"]))
        if present(row["published"]):
            links.append("submitted " + row["published"].strftime("%Y-%m-%d"))
        if one_line(row["doi"]):
            links.append("DOI " + html_text(row["doi"]))
        if links:
            lines.append(" · ".join(links))
        if len(topics):
            lines.append("<b>Topic:</b> " + ", ".join(
                f'<a href="../topics/{slug}.html">{html_text(name)}</a>' for name, slug in topics.itertuples(index=False)))
        if row["tags"]:
            lines.append("<b>Tags:</b> " + html_text(", ".join(row["tags"])))
        for key, label in (("comment", "Comment"), ("journal_ref", "Journal reference")):
            if present(row[key]):
                lines.append(f"<b>{label}:</b> " + html_text(row[key]))
        if not lines:
            return Markup("")
        return raw_html('<div class="litscope-paper-details" style="margin-bottom:1em">\n'
                        + "\n".join(f"<div>{line}</div>" for line in lines) + "\n</div>")

    def write_paper(self, row: dict[str, Any]) -> None:
        """A paper's page. Its sections, in order: TL;DR, details, abstract (highlighted),
        Chinese abstract, summary, curator's note, score; a section on related papers of
        the review belongs between the summary and the note."""
        paper_id = row["id"]
        abstract_html = None
        explanation = None
        other = None
        if self.scorer is not None and present(row["abstract"]):
            marked = highlighted_html(self.scorer.highlight(paper_id, field="abstract"), row["abstract"])
            abstract_html = raw_html(f'<p class="abstract">{marked}</p>')
        if self.scorer is not None:
            table = self.scorer.explain(paper_id)
            if len(table):
                columns = {k: v for k, v in _EXPLAIN_COLUMNS.items() if k in table}
                explanation = markdown_table(table.to_dict("records"), columns)
                rest = float(row["score"]) - float(table["contribution"].sum())
                other = rest if abs(rest) > 5e-4 else None
        sections = [(SUMMARY_LABELS[f], row[f]) for f in SUMMARY_FIELDS if f != "tldr" and present(row[f])]
        topics = self.topics[self.topics["id"] == paper_id][["name", "slug"]]
        self.write("papers", f"papers/{row['slug']}.qmd", "paper.qmd.j2",
                   front_matter=front_matter(self._paper_meta(row)),
                   tldr=_text(row["tldr"]), details=self._details(row, topics),
                   abstract=_text(row["abstract"]), abstract_html=abstract_html,
                   abstract_zh=_text(row["abstract_zh"]),
                   sections=sections,
                   summary_html=raw_html(markdown_to_html(row["summary"])) if present(row["summary"]) else None,
                   summary_source=_text(row["summary_source"]), note=self.notes.get(paper_id, ""),
                   score=float(row["score"]) if self.scored and present(row.get("score")) else None,
                   rank=int(row["rank"]) if "rank" in row and present(row["rank"]) else None,
                   n_scored=len(self.corpus), explanation=explanation, other=other,
                   explained=self.scorer is not None, related=self.related.get(paper_id, []))

    def write_topics(self) -> None:
        groups = self.topics.groupby(["parent", "name", "slug"], sort=True)
        items = []
        for (parent, name, slug), members in groups:
            files = [f"../papers/{s}.qmd" for s in self.papers.loc[self.papers["id"].isin(members["id"]), "slug"]]
            meta = {"title": name, "page-layout": Markup("full"),
                    "listing": _listing(files, scored=self.scored, feed=False, categories=False,
                                        listing_id="topic-papers")}
            if parent:
                meta["subtitle"] = parent
            self.write("topics", f"topics/{slug}.qmd", "listing_page.qmd.j2", front_matter=front_matter(meta),
                       intro=Markup(escape_markdown(f"{len(files)} papers in this topic.")))
            items.append({"title": name, "href": Markup(f"{slug}.qmd"), "note": parent, "count": len(files)})
        intro = ("Topics come from the papers' topic and subtopic fields (set by the curator or "
                 "imported from topic digests).") if items else "No published paper has a topic yet."
        self.write("topics", "topics/index.qmd", "index_list.qmd.j2",
                   front_matter=front_matter({"title": Markup("Topics")}), intro=intro, items=items)

    def write_days(self) -> None:
        dated = self.papers[self.papers["published"].notna()]
        items = []
        for day, members in sorted(dated.groupby(dated["published"].dt.strftime("%Y-%m-%d")), reverse=True):
            groups = []
            for name, group in members.groupby(members["primary_category"].fillna("other"), sort=False):
                cards = [{"title": r["title"], "slug": Markup(r["slug"]), "byline": byline(r["authors"]),
                          "score": float(r["score"]) if self.scored and present(r.get("score")) else None,
                          "tldr": _text(r["tldr"]), "description": self._description(r)}
                         for r in group.to_dict("records")]
                anchor = "cat-" + slugify(name, "other")
                groups.append({"name": name, "anchor": Markup(anchor), "attr": Markup(f"{{#{anchor}}}"),
                               "papers": cards})
            groups.sort(key=lambda g: (-len(g["papers"]), g["name"]))
            meta = {"title": Markup(f"Papers of {day}"), "date": Markup(day)}
            self.write("days", f"days/{day}.qmd", "day.qmd.j2", front_matter=front_matter(meta),
                       papers=members, groups=groups)
            items.append({"title": day, "href": Markup(f"{day}.qmd"), "note": None, "count": len(members)})
        intro = ("Published papers by first-submission day (UTC), newest first." if items
                 else "No published paper has a submission date yet.")
        self.write("days", "days/index.qmd", "index_list.qmd.j2",
                   front_matter=front_matter({"title": Markup("Days")}), intro=intro, items=items)

    def write_methods(self) -> None:
        figures: dict[str, Markup] = {}
        if len(self.corpus):
            figures = {name: Markup(f"figures/{name}.png") for name in ("papers-per-day", "papers-per-category")}
            _save(plot_papers_per_day(self.corpus), self.root / figures["papers-per-day"])
            _save(_plot_categories(self.corpus), self.root / figures["papers-per-category"])
        if "score" in self.corpus and self.corpus["score"].notna().any():
            figures["score-distribution"] = Markup("figures/score-distribution.png")
            cutoff = float(self.papers["score"].min()) if self.scored else None
            _save(plot_score_distribution(self.corpus, cutoff=cutoff), self.root / figures["score-distribution"])
        if self.scorer is not None:
            figures["top-terms"] = Markup("figures/top-terms.png")
            _save(plot_top_terms(term_matches(self.scorer)), self.root / figures["top-terms"])
        terms = profile_table(self.profile)
        selection = Markup(self.how) if len(self.corpus) else Markup(
            "Import a digest ('litscope import') or fetch papers ('litscope fetch'), then render again.")
        self.write("methods", "methods.qmd", "methods.qmd.j2",
                   front_matter=front_matter({"title": Markup("Methods"), "toc": True}),
                   n_papers=len(self.corpus), selection=selection, scored=self.scored,
                   profile=self.described.lines() if self.described is not None else [],
                   terms=markdown_table(terms.to_dict("records"), {c: c.capitalize() for c in terms})
                   if terms is not None and len(terms) else None,
                   figures=figures)


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


def _put_in_place(staging: Path, out: Path, old: list[str]) -> int:
    """Replace `out` with `staging` unless they hold the same files; returns how many files
    were added, changed or removed."""
    new = _files(staging)
    (staging / MANIFEST).write_text(json.dumps(new, indent=0), encoding="utf-8")
    changed = len(set(old) ^ set(new)) + sum(
        1 for f in set(old) & set(new) if not filecmp.cmp(staging / f, out / f, shallow=False))
    if changed or not (out / MANIFEST).is_file():
        _swap_in(staging, out)
    else:
        shutil.rmtree(staging)
    return changed


def build_site(papers: pd.DataFrame, out: str | Path, *, settings: SiteSettings | None = None,
               profile: Any = None, scorer: Any = None, ranking: Any = None,
               labels: pd.DataFrame | None = None,
               notes: pd.DataFrame | Mapping[str, str] | None = None, site_url: str | None = None,
               listing_prefix: str | None = None, check: bool = True) -> SiteReport:
    """Write the pages of the curated `papers` into the folder `out` of a Quarto website.

    Papers are ranked by `ranking` (a fitted `litscope.score.ranking.Ranking`: the review's
    profile, learned model and similarity, which the methods page describes), or scored with
    `scorer` or `profile` alone, or by a `score` column they carry; `settings.curate` picks
    the published ones. The folder gets a page
    per paper, per topic and per day, a methods page with figures, and the front page's
    listing (`LISTING_FILE`, whose paths start with `listing_prefix`: the folder's name and
    a slash, for an ``index.qmd`` beside it). The listing has an RSS feed when the website
    has a `site_url`. With `check`, every YAML written is validated against Quarto's
    schema. The folder is replaced whole, atomically where the system allows it.
    """
    started = time.perf_counter()
    papers = conform_papers(papers, where="papers to publish")
    settings = settings or SiteSettings()
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
    chosen, how = site_papers(frame, settings, labels, min_score=getattr(profile, "min_score", None))
    if isinstance(notes, pd.DataFrame):
        notes = dict(zip(notes["id"], notes["note"]))
    warnings = []
    if settings.feed and not site_url:
        warnings.append("no RSS feed: Quarto writes one only when the website has a site-url; set "
                        "website.site-url in _quarto.yml (e.g. https://you.github.io/review/) to get index.xml")
    out = Path(out).absolute()
    prefix = f"{out.name}/" if listing_prefix is None else listing_prefix
    out.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale_staging(out)
    old = _check_target(out)
    staging = out.parent / f"{_STAGING}{out.name}-{os.getpid()}-{secrets.token_hex(4)}"
    staging.mkdir()
    try:
        writer = _SiteWriter(staging, chosen, settings=settings, feed=bool(settings.feed and site_url),
                             listing_prefix=prefix, scorer=scorer, notes=notes or {}, corpus=frame,
                             how=how, profile=profile, described=described)
        writer.build()
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
    return SiteReport(out=out, pages=writer.pages, n_papers=len(chosen), n_candidates=len(papers),
                      feed=writer.feed, seconds=time.perf_counter() - started, warnings=warnings,
                      changed=changed)


# -- the review project ---------------------------------------------------------------------
def quarto_config(root: Path, section: str) -> dict[str, Any]:
    """One section (``project``, ``website``) of the project's ``_quarto.yml`` ({} without)."""
    from .quarto_schema import load_yaml
    config = root / "_quarto.yml"
    data = load_yaml(config.read_text(encoding="utf-8")) if config.is_file() else None
    value = data.get(section) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def publish_project(project: Project, *, out: str | Path | None = None, store: Store | None = None,
                    ranking: Any = None, allow_empty: bool = False) -> SiteReport:
    """Write the review project's pages from its store, in its ranking (`ranking`, fitted
    on the store's papers, or ``project.ranking()``), with its ``site:`` settings into its
    pages folder (``site.out``), or into `out`. An empty store is an error unless
    `allow_empty` (Quarto's pre-render step), which writes the pages of no papers."""
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
    report = build_site(papers, target, settings=settings, profile=project.profile(),
                        ranking=ranking if len(papers) else None,
                        labels=store.labels(), notes=store.notes(),
                        site_url=quarto_config(project.root, "website").get("site-url"),
                        listing_prefix=None if out is not None else f"{Path(settings.out).as_posix()}/")
    render = quarto_config(project.root, "project").get("render")
    pages = f"/{Path(settings.out).as_posix()}/**/*.qmd"
    if out is None and isinstance(render, list) and pages not in render:
        report.warnings.append(f"_quarto.yml's project: render: does not list {pages!r}, so Quarto will "
                               f"not render the pages litscope wrote; add it")
    return report


def find_quarto() -> str | None:
    """The `quarto` executable: $LITSCOPE_QUARTO, on PATH, or beside this Python
    (``pip install quarto-cli``)."""
    named = os.environ.get("LITSCOPE_QUARTO")
    if named:
        return named if Path(named).is_file() else None
    return shutil.which("quarto") or shutil.which("quarto", path=str(Path(sys.executable).parent))


def render_project(root: str | Path, quarto: str | None = None) -> Path:
    """Run ``quarto render`` in the review project `root` (its pre-render step writes the
    pages; the code of its .qmd pages runs on this Python unless $QUARTO_PYTHON says otherwise); returns
    the rendered ``_site`` folder."""
    root = Path(root)
    quarto = quarto or find_quarto()
    if quarto is None:
        raise PublishError(QUARTO_HELP.format(root=root))
    env = {**os.environ, "QUARTO_PYTHON": os.environ.get("QUARTO_PYTHON", sys.executable)}
    result = subprocess.run([quarto, "render"], cwd=root, env=env, check=False)
    if result.returncode != 0:
        raise PublishError(f"'quarto render' in {root} failed with exit code {result.returncode} "
                           f"(its messages are above)")
    return root / quarto_config(root, "project").get("output-dir", "_site")
