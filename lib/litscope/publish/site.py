"""Write the curated review as a Quarto website project (`build_site`) and render it."""
from __future__ import annotations

import filecmp
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..config import Project, SiteSettings
from ..errors import PublishError
from ..plots import plot_papers_per_day, plot_score_distribution, plot_top_terms, term_matches
from ..schema import SUMMARY_FIELDS, validate_papers
from ..store import Store
from .markdown import (SUMMARY_LABELS, dump_yaml, escape_inline, escape_markdown, front_matter,
                       highlighted_html, markdown_table, markdown_to_html, one_line, raw_html,
                       safe_category, safe_url, slugify)

MANIFEST = ".litscope-site.json"
#: Custom listing fields every paper page carries (Quarto reads them from front matter).
LISTING_FIELDS = ["date", "title", "byline", "categories", "description", "score"]
QUARTO_HELP = ("Quarto is not installed: get it with 'pip install quarto-cli' (litscope[publish]) on a "
               "connected machine or from https://quarto.org/docs/get-started/, then run "
               "'quarto render {out}'")
_EXPLAIN_COLUMNS = {"term": "Term", "field": "Field", "matches": "Matches", "weight": "Weight",
                    "field_weight": "Field weight", "contribution": "Contribution"}
_KIND_NAMES = {"index": ("listing", "listings"), "papers": ("paper page", "paper pages"),
               "topics": ("topic page", "topic pages"), "days": ("day page", "day pages"),
               "methods": ("methods page", "methods pages")}


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
    changed: int = 0   # files written or removed; 0 when the site was up to date

    @property
    def n_pages(self) -> int:
        return sum(len(v) for v in self.pages.values())

    def summary(self) -> str:
        """A few lines for the terminal."""
        kinds = ", ".join(f"{len(v)} {_KIND_NAMES[k][len(v) != 1]}" for k, v in self.pages.items())
        lines = [f"Wrote the Quarto website project {self.out}: {self.n_pages} pages ({kinds}) "
                 f"for {self.n_papers} of {self.n_candidates} papers in {self.seconds:.2f} s."]
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


def _present(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return bool(value)
    return value is not None and value is not pd.NA and value == value and str(value).strip() != ""


def _text(value: Any) -> str:
    return str(value) if _present(value) else ""


def _shorten(text: str, limit: int) -> str:
    text = one_line(text)
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + " …"


def byline(authors: Iterable[str], limit: int = 3) -> str:
    """``"A, B, C et al."`` for a list of author names."""
    names = [one_line(a) for a in authors if one_line(a)]
    if not names:
        return "(authors unknown)"
    return ", ".join(names[:limit]) + (" et al." if len(names) > limit else "")


# -- selecting and scoring ------------------------------------------------------------------
def score_papers(papers: pd.DataFrame, profile: Any = None,
                 scorer: Any = None) -> tuple[pd.DataFrame, Any]:
    """`papers` with `score`, `rank` and `excluded` from `scorer` (fitted from `profile` if
    needed), and the scorer; `papers` unchanged without either."""
    if scorer is None and profile is not None:
        from ..score.engine import Scorer
        scorer = Scorer(profile).fit(papers)
    if scorer is None:
        return papers, None
    scores = scorer.score()
    scores = scores[[c for c in ("id", "score", "rank", "excluded") if c in scores]]
    merged = papers.drop(columns=[c for c in scores if c != "id" and c in papers])
    return merged.merge(scores, on="id", how="left"), scorer


def select_papers(papers: pd.DataFrame, settings: SiteSettings, labels: pd.DataFrame | None = None,
                  *, min_score: float | None = None) -> tuple[pd.DataFrame, str]:
    """The curated papers (by ``settings.curate``) best first, and a Markdown sentence saying how.

    With ``curate: top``, papers the profile excludes or that score below `min_score` are left out."""
    if settings.curate == "include":
        include = set() if labels is None else set(labels.loc[labels["label"] == "include", "id"])
        chosen = papers[papers["id"].isin(include)]
        if chosen.empty:
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
        chosen = chosen.head(settings.top_n)
    return chosen.reset_index(drop=True), how


# -- pages ----------------------------------------------------------------------------------
def _slugs(values: Iterable[str], fallback: str) -> list[str]:
    """Unique file-name slugs for `values`, in order."""
    seen: dict[str, int] = {}
    out = []
    for value in values:
        slug = slugify(value, f"{fallback}-{hashlib.sha1(str(value).encode()).hexdigest()[:8]}")
        seen[slug] = seen.get(slug, 0) + 1
        out.append(slug if seen[slug] == 1 else f"{slug}-{seen[slug]}")
    return out


def _listing(contents: str | list[str], *, scored: bool, feed: bool, categories: bool,
             listing_id: str) -> dict[str, Any]:
    listing: dict[str, Any] = {
        "id": listing_id,
        "contents": contents,
        "type": "default",
        "sort": "score desc" if scored else "date desc",
        "sort-ui": ["score", "date", "title"] if scored else ["date", "title"],
        "filter-ui": True,
        "categories": categories,
        "fields": LISTING_FIELDS if scored else [f for f in LISTING_FIELDS if f != "score"],
        "field-display-names": {"byline": "Authors", "score": "Score"},
        "date-format": "YYYY-MM-DD",
        "page-size": 25,
    }
    if scored:
        listing["field-types"] = {"score": "number"}
    if feed:
        listing["feed"] = {"type": "partial"}
    return listing


class _SiteWriter:
    """Renders every page of one site into a folder."""

    def __init__(self, root: Path, papers: pd.DataFrame, *, settings: SiteSettings, title: str,
                 scorer: Any, notes: Mapping[str, str], corpus: pd.DataFrame, how: str,
                 profile: Any):
        self.root, self.settings, self.title = root, settings, title
        self.scorer, self.notes, self.corpus, self.how, self.profile = scorer, notes, corpus, how, profile
        self.env = _environment()
        self.scored = "score" in papers and papers["score"].notna().any()
        self.feed = bool(settings.feed and settings.site_url)
        self.pages: dict[str, list[str]] = {"index": [], "papers": [], "topics": [], "days": [],
                                            "methods": []}
        self.papers = papers.assign(slug=_slugs(papers["id"], "paper"))
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
        frame["name"] = [one_line(s) if _present(s) else one_line(t)
                         for t, s in zip(frame["topic"], frame["subtopic"])]
        frame["parent"] = [one_line(t) if _present(t) and _present(s) else ""
                           for t, s in zip(frame["topic"], frame["subtopic"])]
        keys = frame[["parent", "name"]].drop_duplicates().reset_index(drop=True)
        keys["slug"] = _slugs(keys["name"], "topic")
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
        self.write_config()
        self.write_index()
        for row in self.papers.to_dict("records"):
            self.write_paper(row)
        self.write_topics()
        self.write_days()
        self.write_methods()

    def write_config(self) -> None:
        website: dict[str, Any] = {"title": self.title}
        if self.settings.description:
            website["description"] = one_line(self.settings.description)
        if self.settings.site_url:
            website["site-url"] = self.settings.site_url
        website["navbar"] = {"left": [
            {"href": "index.qmd", "text": "Papers"},
            {"href": "topics/index.qmd", "text": "Topics"},
            {"href": "days/index.qmd", "text": "Days"},
            {"href": "methods.qmd", "text": "Methods"},
        ]}
        website["page-footer"] = {"center": "Built with litscope"}
        config = {"project": {"type": "website", "output-dir": "_site"}, "website": website,
                  "format": {"html": {"theme": "cosmo", "toc": True}}}
        (self.root / "_quarto.yml").write_text(dump_yaml(config), encoding="utf-8")

    def write_index(self) -> None:
        meta = {"title": escape_inline(self.title), "page-layout": "full", "title-block-banner": True,
                "listing": _listing("papers/*.qmd", scored=self.scored, feed=self.feed,
                                    categories=True, listing_id="papers")}
        if self.settings.description:
            meta["description"] = escape_inline(self.settings.description)
        intro = Markup(f"{self.how} Browse them by [topic](topics/index.qmd) or [day](days/index.qmd); "
                       f"the [methods](methods.qmd) page shows how they were chosen.")
        self.write("index", "index.qmd", "listing_page.qmd.j2", front_matter=front_matter(meta), intro=intro)

    def _paper_meta(self, row: dict[str, Any]) -> dict[str, Any]:
        cats = [*row["categories"], *[row[k] for k in ("topic", "subtopic") if _present(row[k])], *row["tags"]]
        meta: dict[str, Any] = {"title": escape_inline(row["title"])}
        if _present(row["title_zh"]):
            meta["subtitle"] = escape_inline(row["title_zh"])
        if _present(row["published"]):
            meta["date"] = row["published"].strftime("%Y-%m-%d")
        meta["description"] = escape_inline(self._description(row))
        categories = list(dict.fromkeys(c for c in map(safe_category, cats) if c))
        if categories:
            meta["categories"] = categories
        meta["byline"] = escape_inline(byline(row["authors"]))
        if self.scored and _present(row.get("score")):
            meta["score"] = round(float(row["score"]), 3)
        return meta

    @staticmethod
    def _description(row: dict[str, Any]) -> str:
        return _shorten(_text(row["tldr"]) or _text(row["abstract"]) or "(no abstract)", 300)

    def _links(self, row: dict[str, Any]) -> Markup:
        abs_url = safe_url(row["abs_url"])
        if abs_url is None and not row["id"].startswith("h:"):
            abs_url = safe_url(f"https://arxiv.org/abs/{row['id']}")
        parts = []
        label = escape_inline(f"arXiv:{row['id']}" + (f"v{row['version']}" if _present(row["version"]) else ""))
        parts.append(f"[{label}]({abs_url})" if abs_url else label)
        pdf_url = safe_url(row["pdf_url"])
        if pdf_url:
            parts.append(f"[PDF]({pdf_url})")
        if _present(row["primary_category"]):
            parts.append(escape_inline(row["primary_category"]))
        if _present(row["published"]):
            parts.append("submitted " + row["published"].strftime("%Y-%m-%d"))
        doi = one_line(row["doi"])
        if doi:
            parts.append(f"DOI {escape_inline(doi)}")
        return Markup(" · ".join(parts))

    def write_paper(self, row: dict[str, Any]) -> None:
        paper_id = row["id"]
        abstract_html = None
        explanation = None
        other = None
        if self.scorer is not None and _present(row["abstract"]):
            marked = highlighted_html(self.scorer.highlight(paper_id, field="abstract"), row["abstract"])
            abstract_html = raw_html(f'<p class="abstract">{marked}</p>')
        if self.scorer is not None:
            table = self.scorer.explain(paper_id)
            if len(table):
                columns = {k: v for k, v in _EXPLAIN_COLUMNS.items() if k in table}
                explanation = markdown_table(table.to_dict("records"), columns)
                rest = float(row["score"]) - float(table["contribution"].sum())
                other = rest if abs(rest) > 5e-4 else None
        sections = [(SUMMARY_LABELS[f], row[f]) for f in SUMMARY_FIELDS if _present(row[f])]
        topics = self.topics[self.topics["id"] == paper_id][["name", "slug"]]
        self.write("papers", f"papers/{row['slug']}.qmd", "paper.qmd.j2",
                   front_matter=front_matter(self._paper_meta(row)),
                   links=self._links(row),
                   authors=", ".join(map(one_line, row["authors"])) or "(unknown)",
                   topics=[{"title": t, "slug": Markup(s)} for t, s in topics.itertuples(index=False)],
                   tags=row["tags"], comment=_text(row["comment"]), journal_ref=_text(row["journal_ref"]),
                   abstract=_text(row["abstract"]), abstract_html=abstract_html,
                   abstract_zh=_text(row["abstract_zh"]),
                   sections=sections,
                   summary_html=raw_html(markdown_to_html(row["summary"])) if _present(row["summary"]) else None,
                   summary_source=_text(row["summary_source"]), note=self.notes.get(paper_id, ""),
                   score=float(row["score"]) if self.scored and _present(row.get("score")) else None,
                   rank=int(row["rank"]) if "rank" in row and _present(row["rank"]) else None,
                   n_scored=len(self.corpus), explanation=explanation, other=other,
                   explained=self.scorer is not None, related=self.related.get(paper_id, []))

    def write_topics(self) -> None:
        groups = self.topics.groupby(["parent", "name", "slug"], sort=True)
        items = []
        for (parent, name, slug), members in groups:
            files = [f"../papers/{s}.qmd" for s in self.papers.loc[self.papers["id"].isin(members["id"]), "slug"]]
            meta = {"title": escape_inline(name), "page-layout": "full",
                    "listing": _listing(files, scored=self.scored, feed=False, categories=False,
                                        listing_id="topic-papers")}
            if parent:
                meta["subtitle"] = escape_inline(parent)
            self.write("topics", f"topics/{slug}.qmd", "listing_page.qmd.j2", front_matter=front_matter(meta),
                       intro=Markup(escape_markdown(f"{len(files)} papers in this topic.")))
            items.append({"title": name, "href": Markup(f"{slug}.qmd"), "note": parent, "count": len(files)})
        intro = ("Topics come from the papers' topic and subtopic fields (set by the curator or "
                 "imported from topic digests).") if items else "No paper has a topic yet."
        self.write("topics", "topics/index.qmd", "index_list.qmd.j2",
                   front_matter=front_matter({"title": "Topics"}), intro=intro, items=items)

    def write_days(self) -> None:
        dated = self.papers[self.papers["published"].notna()]
        items = []
        for day, members in sorted(dated.groupby(dated["published"].dt.strftime("%Y-%m-%d")), reverse=True):
            groups = []
            for name, group in members.groupby(members["primary_category"].fillna("other"), sort=False):
                cards = [{"title": r["title"], "slug": Markup(r["slug"]), "byline": byline(r["authors"]),
                          "score": float(r["score"]) if self.scored and _present(r.get("score")) else None,
                          "tldr": _text(r["tldr"]), "description": self._description(r)}
                         for r in group.to_dict("records")]
                anchor = "cat-" + slugify(name, "other")
                groups.append({"name": name, "anchor": Markup(anchor), "attr": Markup(f"{{#{anchor}}}"),
                               "papers": cards})
            groups.sort(key=lambda g: (-len(g["papers"]), g["name"]))
            meta = {"title": f"Papers of {day}", "date": day}
            self.write("days", f"days/{day}.qmd", "day.qmd.j2", front_matter=front_matter(meta),
                       papers=members, groups=groups)
            items.append({"title": day, "href": Markup(f"{day}.qmd"), "note": None, "count": len(members)})
        self.write("days", "days/index.qmd", "index_list.qmd.j2",
                   front_matter=front_matter({"title": "Days"}),
                   intro="Published papers by first-submission day (UTC), newest first.", items=items)

    def write_methods(self) -> None:
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
        self.write("methods", "methods.qmd", "methods.qmd.j2",
                   front_matter=front_matter({"title": "Methods", "toc": True}),
                   n_papers=len(self.corpus), selection=Markup(self.how), scored=self.scored,
                   profile=profile_settings(self.profile),
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


def profile_settings(profile: Any) -> list[str]:
    """Sentences on the profile's settings besides its terms (field weights, decay, blend)."""
    if profile is None:
        return []
    weights = ", ".join(f"{k} {v:g}" for k, v in profile.field_weights.model_dump().items())
    lines = [f"Profile: {one_line(profile.name or 'unnamed')}. Field weights: {weights}; term "
             f"frequency: {profile.tf}."]
    if profile.half_life_days:
        lines.append(f"Scores halve every {profile.half_life_days:g} days after submission.")
    if profile.alpha:
        lines.append(f"A model learned from the include/exclude labels gives {profile.alpha:.0%} of "
                     f"the score.")
    if profile.min_score is not None:
        lines.append(f"Papers scoring below {profile.min_score:g} are not among the highest-scoring ones.")
    return lines


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


# -- writing the folder ---------------------------------------------------------------------
def _sync(staging: Path, out: Path) -> int:
    """Replace the files a previous build wrote in `out` with `staging`'s, keeping the rest
    (Quarto's _site, .quarto and _freeze, files the user added). Files whose bytes did not
    change are left alone; returns how many files were written or removed."""
    manifest = out / MANIFEST
    old: list[str] = []
    if out.exists():
        if not out.is_dir():
            raise PublishError(f"{out}: exists and is not a folder; choose another --out")
        if manifest.is_file():
            old = json.loads(manifest.read_text(encoding="utf-8"))
        elif any(out.iterdir()):
            raise PublishError(f"{out}: this folder has files that 'litscope publish' did not write "
                               f"(no {MANIFEST}); choose another --out or empty it")
    new = sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file())
    changed = 0
    for relative in set(old) - set(new):
        changed += (out / relative).exists()
        (out / relative).unlink(missing_ok=True)
    for relative in new:
        target = out / relative
        if target.is_file() and filecmp.cmp(staging / relative, target, shallow=False):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(staging / relative, target)
        changed += 1
    manifest.write_text(json.dumps(new, indent=0), encoding="utf-8")
    for folder in sorted({(out / r).parent for r in set(old) - set(new)}, reverse=True):
        if folder != out and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return changed


def build_site(papers: pd.DataFrame, out: str | Path, *, settings: SiteSettings | None = None,
               profile: Any = None, scorer: Any = None, labels: pd.DataFrame | None = None,
               notes: pd.DataFrame | Mapping[str, str] | None = None, title: str | None = None,
               check: bool = True) -> SiteReport:
    """Write a Quarto website project for the curated `papers` into `out`.

    Papers are scored with `scorer` (or a `Scorer` fitted from `profile`), or by a `score`
    column they carry; `settings.curate` picks the published ones. The project has a listing
    page, a page per paper, per topic and per day, and a methods page with figures. With
    `check`, every YAML file written is validated against Quarto's schema.
    """
    started = time.perf_counter()
    validate_papers(papers, where="papers to publish")
    settings = settings or SiteSettings()
    frame, scorer = score_papers(papers, profile, scorer)
    chosen, how = select_papers(frame, settings, labels, min_score=getattr(profile, "min_score", None))
    if isinstance(notes, pd.DataFrame):
        notes = dict(zip(notes["id"], notes["note"]))
    warnings = []
    if settings.feed and not settings.site_url:
        warnings.append("no RSS feed: Quarto writes one only when website.site-url is set; set site.site_url "
                        "in litscope.yml (e.g. https://you.github.io/review/) to get index.xml")
    out = Path(out)
    site_title = one_line(title or settings.title or "arXiv review")
    with tempfile.TemporaryDirectory(prefix="litscope-site-") as tmp:
        writer = _SiteWriter(Path(tmp), chosen, settings=settings, title=site_title, scorer=scorer,
                             notes=notes or {}, corpus=frame, how=how, profile=profile)
        writer.build()
        if check:
            from .quarto_schema import check_site
            problems = check_site(tmp)
            if problems:
                raise PublishError("the generated site does not follow Quarto's schema (a litscope bug; "
                                   "please report it): " + "; ".join(problems[:5]))
        changed = _sync(Path(tmp), out)
    return SiteReport(out=out, pages=writer.pages, n_papers=len(chosen), n_candidates=len(papers),
                      feed=writer.feed, seconds=time.perf_counter() - started, warnings=warnings,
                      changed=changed)


def publish_project(project: Project, *, out: str | Path | None = None,
                    store: Store | None = None) -> SiteReport:
    """Build the site of a review project from its store, profile and ``site:`` settings."""
    store = store or Store(project.data_dir)
    papers = store.papers()
    if papers.empty:
        raise PublishError(f"the store {store.path} holds no papers: import a digest ('litscope "
                           f"import') or fetch ('litscope fetch') first")
    settings = project.config.site
    return build_site(papers, out or project.path(settings.out), settings=settings, profile=project.profile(),
                      labels=store.labels(), notes=store.notes(),
                      title=settings.title or project.config.title)


def find_quarto() -> str | None:
    """The `quarto` executable: on PATH, or beside this Python (``pip install quarto-cli``)."""
    return shutil.which("quarto") or shutil.which("quarto", path=str(Path(sys.executable).parent))


def render_site(out: str | Path, quarto: str | None = None) -> Path:
    """Run ``quarto render`` on the project in `out`; returns the rendered ``_site`` folder."""
    out = Path(out)
    quarto = quarto or find_quarto()
    if quarto is None:
        raise PublishError(QUARTO_HELP.format(out=out))
    result = subprocess.run([quarto, "render", str(out)], check=False)
    if result.returncode != 0:
        raise PublishError(f"'quarto render {out}' failed with exit code {result.returncode} "
                           f"(its messages are above)")
    return out / "_site"
