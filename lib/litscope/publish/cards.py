"""`show(papers)`: papers as cards, in JupyterLab and on the pages of the review's website.

The cards are Markdown holding HTML (``text/markdown``): JupyterLab renders it, and so does
Quarto, which would add require.js and jQuery from a CDN to any page with a ``text/html``
output. Every piece of paper text goes through `html_text`, so that neither HTML,
Markdown nor a Quarto shortcode in it does anything; TeX shows as text.

On a page Quarto renders in a review project, a published paper's title links to its
section on the website (the pages folder's ``sections.json``, written with the pages);
elsewhere, and for papers the website does not show, to arXiv.
"""
from __future__ import annotations

import html
import json
import os
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from ..schema import conform_papers, paper_url
from .markdown import byline, html_text, one_line, present, safe_url
from .text import display_titles, summary_origin, tex_to_text

_CARD = ('<div class="litscope-card" style="border:1px solid #ddd;border-radius:6px;'
         'padding:0.5em 0.8em;margin:0 0 0.6em 0">')


def _link(href: str, text: str) -> str:
    """A link to `href`, litscope's own address (a paper's section, `paper_url`)."""
    return f'<a href="{html.escape(href, quote=True)}">{text}</a>'


def _card(paper: dict[str, Any], section: str | None) -> str:
    title = html_text(paper["shown"])
    url = safe_url(paper_url(paper))
    target = section or url
    lines = [f'<div style="font-weight:600">{_link(target, title) if target else title}</div>']
    facts = []
    if byline(paper["authors"]):
        facts.append(html_text(byline(tex_to_text(a) for a in paper["authors"])))
    if present(paper["primary_category"]):
        facts.append(html_text(paper["primary_category"]))
    if present(paper["published"]):
        facts.append(paper["published"].strftime("%Y-%m-%d"))
    if present(paper.get("score")):
        facts.append(f"score {float(paper['score']):.2f}")
    if section and url:
        facts.append(_link(url, "arXiv" if not str(paper["id"]).startswith("h:") else "source"))
    if facts:
        lines.append(f'<div style="color:#666;font-size:0.9em">{" · ".join(facts)}</div>')
    summarised = present(paper["tldr"]) and one_line(paper["summary_source"]) != "extractive"
    text = paper["tldr"] if summarised else paper["abstract"]
    if present(text):
        text = one_line(tex_to_text(text))
        said = f"<i>TL;DR ({html_text(summary_origin(paper['summary_source']))}):</i> " if summarised else ""
        lines.append(f"<div>{said}{html_text(text[:400] + (' …' if len(text) > 400 else ''))}</div>")
    if present(paper["tags"]):
        lines.append(f'<div style="font-size:0.85em">{html_text(", ".join(paper["tags"]))}</div>')
    return _CARD + "".join(lines) + "</div>"


def site_sections() -> Mapping[str, str]:
    """Where each published paper's section is, relative to the page Quarto is rendering
    (it runs a page's code with ``QUARTO_DOCUMENT_PATH`` set); {} outside a render of a
    review project."""
    page = os.environ.get("QUARTO_DOCUMENT_PATH")
    if not page:
        return {}
    from ..config import find_project, open_project
    from .archive import SECTIONS_FILE
    root = find_project(page)
    if root is None:
        return {}
    project = open_project(root)
    folder = project.path(project.config.site.out)
    try:
        sections = json.loads((folder / SECTIONS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    base = Path(os.path.relpath(folder, page)).as_posix()
    return {paper_id: f"{base}/{href}" for paper_id, href in sections.items()}


class PaperCards:
    """Papers shown as cards (what `show` returns); displays itself as Markdown."""

    def __init__(self, papers: pd.DataFrame, limit: int):
        self.papers, self.limit = papers, limit

    def _repr_markdown_(self) -> str:
        shown = self.papers.head(self.limit)
        sections = site_sections()
        rows = shown.assign(shown=display_titles(shown).to_numpy()).to_dict("records")
        cards = [_card(row, sections.get(row["id"])) for row in rows]
        if len(self.papers) > self.limit:
            cards.append(f"<div><i>… and {len(self.papers) - self.limit} more</i></div>")
        return "\n".join(['<div class="litscope-cards">', *(cards or ["<div><i>No papers.</i></div>"]),
                          "</div>"]) + "\n"

    def __repr__(self) -> str:
        return f"<{len(self.papers)} papers as cards>"


def show(papers: pd.DataFrame, limit: int = 20) -> PaperCards:
    """Papers (the first `limit`) as cards: title (linked to the paper's section on the
    review's website when Quarto renders the page and the website shows the paper, else
    to arXiv), authors, category, date, score when scored, the TL;DR (saying where it
    comes from) or abstract, tags. The last expression of a cell displays them, in
    JupyterLab and on a page of the review's website (e.g. ``review.qmd``)."""
    return PaperCards(conform_papers(papers, where="papers to show"), limit)
