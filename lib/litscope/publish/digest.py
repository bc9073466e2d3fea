"""Digest markdown in the formats litscope imports: the daily per-category digest (seeds
000/001: table of contents, a section per arXiv category, TL;DR and collapsible details)
and the arxiv_rss_bot README (seed 002: numbered papers with authors, category, date,
score, arXiv id, abstract and a collapsible summary).

Text is written as it is, so that `litscope.sources.digests.read_digest` reads the digest back,
except that anything that would open an HTML tag (``<script``, ``</details>``) is escaped
(attribute-free formatting tags such as ``<br>`` and ``<li>`` stay), and a Markdown link
from outside stays a link only to an http(s) address (``[x](javascript:...)`` shows as text).
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Any, Literal

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from ..choices import DIGEST_FORMATS
from ..config import parse_day
from ..errors import PublishError
from .markdown import SUMMARY_LABELS, clean_text, one_line, safe_url
from ..errors import LitscopeError
from ..schema import SUMMARY_FIELDS, conform_papers, missing, paper_url, split_arxiv_id

DigestFormat = Literal["daily", "bot"]
FORMATS = DIGEST_FORMATS

# "<" opening a tag, unless the tag is an attribute-free formatting one that summaries use.
_TAG_START = re.compile(r"<(?!/?(?:br|p|hr|ul|ol|li|b|i|em|strong|sub|sup|code)\s*/?>)(?=[A-Za-z/!?])",
                        re.IGNORECASE)
_CATEGORY = re.compile(r"[^\w.\-]+")
# A link's "](" or a reference definition's "[" whose target is not an http(s) address.
_UNSAFE_LINK = re.compile(r"\]\((?!\s*<?https?://)", re.IGNORECASE)
_UNSAFE_DEFINITION = re.compile(r"^( {0,3})\[(?=[^\]\n]*\]:(?![ \t]*<?https?://))", re.IGNORECASE | re.M)
#: The fields a daily digest's details hold, in order (its TL;DR sits above them).
_DETAILS = ("motivation", "method", "result", "conclusion", "abstract")


def _neutral(text: Any) -> str:
    """`text` with every ``<`` that could open an HTML tag (bar plain formatting tags) as
    ``&lt;``, and every Markdown link to anything but an http(s) address escaped."""
    text = _TAG_START.sub("&lt;", clean_text(text))
    return _UNSAFE_DEFINITION.sub(r"\1\\[", _UNSAFE_LINK.sub(r"]\\(", text))


def _finalize(value: Any) -> str:
    if isinstance(value, Markup):
        return value
    if value is None:
        return ""
    return _neutral(value)


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("litscope", "templates"), undefined=StrictUndefined,
                      autoescape=False, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True, finalize=_finalize)
    env.filters["line"] = lambda value: Markup(_neutral(one_line(value)))
    return env


def _value(value: Any) -> Any:
    """None for the missing values pandas uses (None, NaN, NA, NaT, "")."""
    return value if isinstance(value, list) or not missing(value) else None


def _url(paper: dict[str, Any], versioned: bool = False) -> Markup:
    """The paper's http(s) link (its arXiv abstract page when it has none), or ``#``; with
    `versioned`, for an arXiv paper of a known version, a link to that version, so that a
    daily digest records which version it listed (`litscope.daily.once` reads it back)."""
    url = safe_url(paper_url(paper)) or safe_url(paper["pdf_url"]) or Markup("#")
    version = paper.get("version")
    if versioned and version is not None and not str(paper["id"]).startswith("h:"):
        try:
            listed = split_arxiv_id(str(url))
        except LitscopeError:
            listed = None
        if listed != (paper["id"], int(version)):
            url = safe_url(f"https://arxiv.org/abs/{paper['id']}v{int(version)}") or url
    return url


def _record(row: dict[str, Any], number: int, versioned: bool = False) -> dict[str, Any]:
    paper = {k: _value(v) for k, v in row.items()}
    score = paper.get("score") if paper.get("score") is not None else paper.get("external_score")
    version = paper.get("version")
    source = paper.get("summary_source") or "litscope"
    return {
        "number": number, "title": paper["title"], "url": _url(paper, versioned), "authors": paper["authors"],
        "primary_category": paper["primary_category"], "tldr": paper["tldr"],
        "details": [(SUMMARY_LABELS.get(f, f.capitalize()), paper[f]) for f in _DETAILS if paper[f]],
        "published": paper["published"].strftime("%Y-%m-%d") if paper["published"] is not None else None,
        "score": round(float(score), 3) if score is not None else None,
        "arxiv_id": paper["id"] + (f"v{version}" if version is not None else ""),
        "abstract": paper["abstract"] or "(no abstract)",
        "summary": paper["summary"] or _structured_summary(paper),
        "summary_source": source.removeprefix("llm:"),
        "updated": _updated(paper),
    }


def _updated(paper: dict[str, Any]) -> str | None:
    """"new version v3 (v2 was in the digest of 2025-12-04)" for a paper an earlier digest
    listed (`litscope.daily.once` adds the columns), else None."""
    before, day = paper.get("previous_version"), paper.get("previous_digest")
    if before is None or day is None:
        return None
    now = f"v{paper['version']}" if paper.get("version") is not None else "a new version"
    return f"new version {now} (v{before} was in the digest of {day})"


def _structured_summary(paper: dict[str, Any]) -> str | None:
    """Markdown of a paper's structured summary fields, for formats with one summary block."""
    lines = [f"**{SUMMARY_LABELS[f]}**: {one_line(paper[f])}" for f in SUMMARY_FIELDS if paper[f]]
    return "\n\n".join(lines) or None


def _order(papers: pd.DataFrame) -> pd.DataFrame:
    """In the ranking's order when ranked (excluded papers last), best first when scored (by
    litscope, else by the digest imported), else newest first."""
    if "rank" in papers and "excluded" in papers and papers["score"].notna().any():
        ranked = papers.assign(_excluded=papers["excluded"].fillna(True).astype(bool))
        return ranked.sort_values(["_excluded", "rank", "score", "id"], ascending=[True, True, False, True],
                                  na_position="last").drop(columns="_excluded")
    for column in ("score", "external_score"):
        if column in papers and papers[column].notna().any():
            return papers.sort_values([column, "id"], ascending=[False, True], na_position="last")
    return papers.sort_values(["published", "id"], ascending=[False, True], na_position="last")


def papers_between(papers: pd.DataFrame, *, on: str | date | None = None,
                   since: str | date | None = None, until: str | date | None = None) -> pd.DataFrame:
    """The papers first submitted on day `on`, or from `since` (to `until`) (UTC days);
    undated papers are never among them."""
    if (on is None) == (since is None):
        raise PublishError("give exactly one of --date and --since")
    first = parse_day(on, "--date") if on is not None else parse_day(since, "--since")
    last = first if on is not None else parse_day(until, "--until") if until is not None else None
    days = papers["published"].dt.normalize()   # NaT compares False: undated papers drop out
    inside = days >= pd.Timestamp(first, tz="UTC")
    if last is not None:
        inside &= days <= pd.Timestamp(last, tz="UTC")
    return papers[inside]


def render_digest(papers: pd.DataFrame, format: DigestFormat = "daily", *, title: str | None = None,
                  now: datetime | None = None) -> str:
    """Digest markdown of `papers` in `format` (``daily`` or ``bot``), best first when scored."""
    if format not in FORMATS:
        raise PublishError(f"unknown digest format {format!r}; use one of {', '.join(FORMATS)}")
    papers = conform_papers(papers, where="papers for the digest")
    ordered = _order(papers).reset_index(drop=True)
    env = _environment()
    if format == "bot":
        records = [_record(row, i + 1) for i, row in enumerate(ordered.to_dict("records"))]
        categories = sorted({c for cats in ordered["categories"] for c in cats})
        stamp = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M:%S UTC")
        return env.get_template("digest/bot.md.j2").render(
            title=title or "arXiv papers", updated=stamp, papers=records, categories=categories)
    names = [_CATEGORY.sub("-", one_line(c)).strip("-") or "other" if isinstance(c, str) else "other"
             for c in ordered["primary_category"]]
    ordered = ordered.assign(_section=names)
    sections = list(dict.fromkeys(ordered.sort_values("_section", kind="stable")["_section"]))
    sections.sort(key=lambda s: -int((ordered["_section"] == s).sum()))
    groups, number = [], 0
    for name in sections:
        rows = []
        for row in ordered[ordered["_section"] == name].to_dict("records"):
            number += 1
            rows.append(_record(row, number, versioned=True))   # its link says the version
        groups.append({"name": Markup(name), "papers": rows})
    return env.get_template("digest/daily.md.j2").render(groups=groups)
