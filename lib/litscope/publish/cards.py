"""`show(papers)`: papers as cards, in JupyterLab and on the pages of the review's website.

The cards are Markdown holding HTML (``text/markdown``): JupyterLab renders it, and so does
Quarto, which would add require.js and jQuery from a CDN to any page with a ``text/html``
output. Every piece of paper text goes through `html_text`, so that neither HTML,
Markdown nor a Quarto shortcode in it does anything.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from ..schema import conform_papers, paper_url
from .markdown import byline, html_text, one_line, present, safe_url

_CARD = ('<div class="litscope-card" style="border:1px solid #ddd;border-radius:6px;'
         'padding:0.5em 0.8em;margin:0 0 0.6em 0">')


def _card(paper: dict[str, Any]) -> str:
    title = html_text(paper["title"])
    url = safe_url(paper_url(paper))
    lines = [f'<div style="font-weight:600"><a href="{url}">{title}</a></div>' if url
             else f'<div style="font-weight:600">{title}</div>']
    facts = []
    if byline(paper["authors"]):
        facts.append(html_text(byline(paper["authors"])))
    if present(paper["primary_category"]):
        facts.append(html_text(paper["primary_category"]))
    if present(paper["published"]):
        facts.append(paper["published"].strftime("%Y-%m-%d"))
    if present(paper.get("score")):
        facts.append(f"score {float(paper['score']):.2f}")
    if facts:
        lines.append(f'<div style="color:#666;font-size:0.9em">{" · ".join(facts)}</div>')
    text = paper["tldr"] if present(paper["tldr"]) else paper["abstract"]
    if present(text):
        text = one_line(text)
        lines.append(f"<div>{html_text(text[:400] + (' …' if len(text) > 400 else ''))}</div>")
    if present(paper["tags"]):
        lines.append(f'<div style="font-size:0.85em">{html_text(", ".join(paper["tags"]))}</div>')
    return _CARD + "".join(lines) + "</div>"


class PaperCards:
    """Papers shown as cards (what `show` returns); displays itself as Markdown."""

    def __init__(self, papers: pd.DataFrame, limit: int):
        self.papers, self.limit = papers, limit

    def _repr_markdown_(self) -> str:
        rows = self.papers.head(self.limit).to_dict("records")
        cards = [_card(row) for row in rows]
        if len(self.papers) > self.limit:
            cards.append(f"<div><i>… and {len(self.papers) - self.limit} more</i></div>")
        return "\n".join(['<div class="litscope-cards">', *(cards or ["<div><i>No papers.</i></div>"]),
                          "</div>"]) + "\n"

    def __repr__(self) -> str:
        return f"<{len(self.papers)} papers as cards>"


def show(papers: pd.DataFrame, limit: int = 20) -> PaperCards:
    """Papers (the first `limit`) as cards: title linked to arXiv, authors, category, date,
    score when scored, TL;DR or abstract, tags. The last expression of a cell displays them,
    in JupyterLab and on a page of the review's website (e.g. ``review.qmd``)."""
    return PaperCards(conform_papers(papers, where="papers to show"), limit)
