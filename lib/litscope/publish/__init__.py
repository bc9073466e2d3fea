"""Publish the curated review as one Quarto website: the review project itself.

`build_site` writes the review's pages (a page per day with its papers as sections, month
and archive pages, the methods page with the PRISMA flow, the bibliography, the feed and
the front page's listing) from a papers DataFrame into the project's pages folder;
`quarto render` runs it as its pre-render step (`publish_project`), and `render_project`
runs Quarto on what changed; `show` displays papers as cards in a notebook or a page of
the site; `prisma_counts` and `prisma_mermaid` draw the review's PRISMA 2020 flow on any
page.
"""
from __future__ import annotations

from .cards import show
from .prisma import prisma_counts, prisma_mermaid
from .render import QUARTO_HELP, RenderReport, find_quarto, render_project
from .site import SiteReport, build_site, profile_table, publish_project, score_papers, site_papers

__all__ = ["QUARTO_HELP", "RenderReport", "SiteReport", "build_site", "find_quarto", "profile_table",
           "prisma_counts", "prisma_mermaid", "publish_project", "render_project", "score_papers",
           "show", "site_papers"]
