"""The Explorer's HTML: the ranked table, the paper card and its contribution bars.

Pure functions of DataFrames; every piece of paper text is escaped (highlighted fields
come escaped from `Scorer.highlight`).
"""
from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd

from ..schema import SUMMARY_FIELDS, paper_url

CSS = """<style>
.litscope-table {border-collapse: collapse; width: 100%; font-size: 0.9em}
.litscope-table th, .litscope-table td {padding: 2px 6px; border-bottom: 1px solid #ddd;
  text-align: left; vertical-align: top}
.litscope-table tr.litscope-selected {background: #fff3c4}
.litscope-table td.num {text-align: right; font-variant-numeric: tabular-nums}
.litscope-label-include {color: #1e7d32; font-weight: bold}
.litscope-label-exclude {color: #b71c1c}
.litscope-label-maybe {color: #a66300}
.litscope-card mark.litscope-pos {background: #c8f7c5}
.litscope-card mark.litscope-neg {background: #f9c6c6}
.litscope-card mark.litscope-exclude {background: #bbb}
.litscope-bar {display: inline-block; height: 0.8em; vertical-align: middle}
.litscope-contributions {border-collapse: collapse; font-size: 0.9em}
.litscope-contributions td {padding: 0 4px; line-height: 1.4}
.litscope-contributions td.term {max-width: 130px; overflow: hidden; white-space: nowrap;
  text-overflow: ellipsis}
.litscope-contributions td.num {text-align: right; font-variant-numeric: tabular-nums}
.litscope-tag {display: inline-block; padding: 0 6px; margin: 0 4px 2px 0; border-radius: 8px;
  background: #e3ecf7; font-size: 0.85em}
</style>"""


def _esc(value: Any) -> str:
    return "" if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)) \
        else html.escape(str(value))


def _day(stamps: pd.Series) -> pd.Series:
    return stamps.dt.strftime("%Y-%m-%d").fillna("")


def render_table(papers: pd.DataFrame, scores: np.ndarray, labels: list[str | None],
                 selected: str | None) -> str:
    """The ranked table as HTML: #, title, date, category, score, label (all text escaped)."""
    body = []
    rows = zip(papers["id"], papers["title"], _day(papers["published"]),
               papers["primary_category"], scores, labels)
    for i, (paper_id, title, day, category, score, label) in enumerate(rows, 1):
        css = ' class="litscope-selected"' if paper_id == selected else ""
        body.append(
            f'<tr data-id="{_esc(paper_id)}"{css}><td class="num">{i}</td>'
            f'<td>{_esc(title)}</td><td>{day}</td><td>{_esc(category)}</td>'
            f'<td class="num">{score:.2f}</td>'
            f'<td class="litscope-label-{label or "none"}">{_esc(label)}</td></tr>')
    if not body:
        body.append('<tr><td colspan="6"><i>No paper passes the filters.</i></td></tr>')
    return ('<table class="litscope-table"><thead><tr><th>#</th><th>title</th><th>date</th>'
            '<th>category</th><th>score</th><th>label</th></tr></thead><tbody>'
            + "".join(body) + "</tbody></table>")


def render_contributions(explanation: pd.DataFrame, top: int = 12) -> str:
    """Per-term contributions as an HTML bar chart (green adds, red subtracts)."""
    rows = explanation[explanation["contribution"] != 0]
    notes = explanation.loc[explanation["term"].str.startswith("exclude: "), "term"]
    parts = [f'<div style="color:#b71c1c">{_esc(t)}</div>' for t in notes]
    by_term = rows.groupby("term", sort=False)["contribution"].sum()
    by_term = by_term.reindex(by_term.abs().sort_values(ascending=False).index)[:top]
    scale = float(by_term.abs().max()) if len(by_term) else 0.0
    bars = []
    for term, value in by_term.items():
        fields = ", ".join(f"{f} {c:+.2f}" for f, c in
                           rows.loc[rows["term"] == term, ["field", "contribution"]].itertuples(index=False))
        width = 0 if scale == 0 else max(2, round(80 * abs(value) / scale))
        color = "#4caf50" if value > 0 else "#e57373"
        bars.append(f'<tr class="litscope-contribution" title="{_esc(fields)}">'
                    f'<td class="term">{_esc(term)}</td>'
                    f'<td><span class="litscope-bar" style="width:{width}px;background:{color}"></span></td>'
                    f'<td class="num">{value:+.2f}</td></tr>')
    if bars:
        parts.append(f'<table class="litscope-contributions">{"".join(bars)}</table>')
    return "".join(parts) or "<i>no term matches</i>"


def render_card(paper: pd.Series, explanation: pd.DataFrame, highlighted: dict[str, str],
                label: str | None) -> str:
    """A paper card: linked title, authors, meta line, highlighted abstract, summary fields,
    per-term contributions and tags. `highlighted` holds escaped HTML from the scorer."""
    url = paper_url(paper)
    title = highlighted.get("title") or _esc(paper["title"])
    title = f'<a href="{_esc(url)}" target="_blank" rel="noopener">{title}</a>' if url else title
    authors = list(paper["authors"])
    author_text = ", ".join(authors[:12]) + (f" and {len(authors) - 12} more" if len(authors) > 12 else "")
    day = "" if pd.isna(paper["published"]) else paper["published"].strftime("%Y-%m-%d")
    meta = " · ".join(x for x in map(_esc, (paper["id"], paper["primary_category"], day,
                                            f"score {explanation.attrs.get('score', 0.0):.2f}",
                                            label and f"labelled {label}")) if x)
    summary = [(f, paper.get(f)) for f in (*SUMMARY_FIELDS, "summary", "title_zh", "abstract_zh")]
    summary_html = "".join(f"<div><b>{_esc(f)}:</b> {_esc(v)}</div>" for f, v in summary
                           if isinstance(v, str) and v.strip())
    tags = "".join(f'<span class="litscope-tag">{_esc(t)}</span>' for t in paper["tags"])
    abstract = highlighted.get("abstract") or "<i>no abstract</i>"
    return (f'<div class="litscope-card" data-id="{_esc(paper["id"])}">'
            f'<h3 style="margin:4px 0">{title}</h3>'
            f'<div style="color:#555">{_esc(author_text)}</div>'
            f'<div style="color:#777;font-size:0.9em">{meta}</div>'
            f'<div style="display:flex;gap:16px;margin-top:6px">'
            f'<div style="flex:3">{abstract}'
            + (f'<details open style="margin-top:6px"><summary>summary</summary>{summary_html}</details>'
               if summary_html else "")
            + f'</div><div style="flex:2"><b>why this score</b>{render_contributions(explanation)}'
              f'<div style="margin-top:6px">{tags}</div></div></div></div>')
