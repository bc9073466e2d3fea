"""Publish the curated review as one Quarto website: the review project itself.

`build_site` writes the review's pages (paper, topic, day and methods pages, the front
page's listing) from a papers DataFrame into the project's pages folder; `quarto render`
runs it as its pre-render step (`publish_project`), and `render_project` runs Quarto;
`show` displays papers as cards in a notebook or a page of the site.
"""
from __future__ import annotations

from .cards import show
from .site import (QUARTO_HELP, SiteReport, build_site, find_quarto, profile_table,
                   publish_project, render_project, score_papers, site_papers)

__all__ = ["QUARTO_HELP", "SiteReport", "build_site", "find_quarto", "profile_table",
           "publish_project", "render_project", "score_papers", "show", "site_papers"]
