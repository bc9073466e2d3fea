"""The Explorer's HTML: the ranked table, the paper card and its contribution bars.

Pure functions of DataFrames; every piece of paper text is escaped (highlighted fields
come escaped from `Scorer.highlight`).
"""
from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd

from ..schema import SUMMARY_FIELDS, missing, paper_url

CSS = """<style>
.litscope-table {border-collapse: collapse; width: 100%; font-size: 0.9em; table-layout: fixed}
.litscope-table th, .litscope-table td {padding: 2px 6px; border-bottom: 1px solid #ddd;
  text-align: left; vertical-align: top; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis}
.litscope-table thead th {position: sticky; top: 0; background: var(--jp-layout-color1, #fff)}
.litscope-table tbody tr[data-id] {cursor: pointer}
.litscope-table tbody tr[data-id]:hover {background: #f3f6fb}
.litscope-table tr.litscope-selected, .litscope-table tr.litscope-selected:hover {background: #fff3c4}
.litscope-table col.n {width: 2.4em} .litscope-table col.day {width: 6.6em}
.litscope-table col.cat {width: 5.4em} .litscope-table col.score {width: 4.4em}
.litscope-table col.label {width: 5.6em}
.litscope-table td.num {padding: 2px 3px}
.litscope-table-box:focus {outline: 2px solid #90b4e8; outline-offset: -2px}
.litscope-explorer kbd {border: 1px solid #ccc; border-radius: 3px; padding: 0 3px;
  font-size: 0.9em; background: #f7f7f7}
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
    return "" if missing(value) else html.escape(str(value))


def render_message(text: str, error: bool = False) -> str:
    """A status line for what an action did (red for a problem); empty text clears it."""
    if not text:
        return ""
    color = "#b71c1c" if error else "#555"
    return f'<span style="color:{color};font-size:0.9em">{html.escape(text)}</span>'


def _day(stamps: pd.Series) -> pd.Series:
    return stamps.dt.strftime("%Y-%m-%d").fillna("")


#: The columns `render_table` reads.
TABLE_COLUMNS = ["id", "title", "published", "primary_category"]


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
            f'<td title="{_esc(title)}">{_esc(title)}</td><td>{day}</td><td>{_esc(category)}</td>'
            f'<td class="num">{score:.2f}</td>'
            f'<td class="litscope-label-{label or "none"}">{_esc(label)}</td></tr>')
    if not body:
        body.append('<tr><td colspan="6"><i>No paper passes the filters.</i></td></tr>')
    return ('<table class="litscope-table"><colgroup><col class="n"><col><col class="day">'
            '<col class="cat"><col class="score"><col class="label"></colgroup>'
            '<thead><tr><th>#</th><th>title</th><th>date</th>'
            '<th>category</th><th>score</th><th>label</th></tr></thead><tbody>'
            + "".join(body) + "</tbody></table>")


def render_contributions(explanation: pd.DataFrame, top: int = 12) -> str:
    """Per-term contributions as an HTML bar chart (green adds, red subtracts)."""
    parts = [f'<div style="color:#b71c1c">{_esc(t)}</div>' for t in explanation["term"]
             if t.startswith("exclude: ")]
    by_term: dict[str, float] = {}
    fields: dict[str, list[str]] = {}
    for term, field, value in zip(explanation["term"], explanation["field"], explanation["contribution"]):
        if value != 0:
            by_term[term] = by_term.get(term, 0.0) + value
            fields.setdefault(term, []).append(f"{field} {value:+.2f}")
    ranked = sorted(by_term.items(), key=lambda item: -abs(item[1]))[:top]
    scale = max((abs(value) for _, value in ranked), default=0.0)
    bars = []
    for term, value in ranked:
        width = 0 if scale == 0 else max(2, round(80 * abs(value) / scale))
        color = "#4caf50" if value > 0 else "#e57373"
        bars.append(f'<tr class="litscope-contribution" title="{_esc(", ".join(fields[term]))}">'
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
    day = "" if missing(paper["published"]) else paper["published"].strftime("%Y-%m-%d")
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
            f'<div style="display:flex;flex-wrap:wrap;gap:12px;margin-top:6px">'
            f'<div style="flex:3 1 260px;min-width:0">{abstract}'
            + (f'<details open style="margin-top:6px"><summary>summary</summary>{summary_html}</details>'
               if summary_html else "")
            + f'</div><div style="flex:2 1 200px;min-width:0"><b>why this score</b>{render_contributions(explanation)}'
              f'<div style="margin-top:6px">{tags}</div></div></div></div>')
