"""Publish the curated review as a Quarto website project.

`build_site` writes the project (listing, paper, topic, day and methods pages) from a
papers DataFrame; `render_site` runs Quarto on it when Quarto is installed.
"""
from __future__ import annotations

from .site import (QUARTO_HELP, SiteReport, build_site, find_quarto, profile_table,
                   publish_project, render_site, score_papers, select_papers)

__all__ = ["QUARTO_HELP", "SiteReport", "build_site", "find_quarto", "profile_table",
           "publish_project", "render_site", "score_papers", "select_papers"]
