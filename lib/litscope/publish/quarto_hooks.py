"""What Quarto runs of litscope in a review project, through the project's ``_litscope.py``.

- ``pages`` (``project: pre-render:`` in ``_quarto.yml``): before Quarto renders the
  site, write the review's pages from the store into the project's pages folder. It runs
  on every ``quarto render`` and ``quarto preview``, and rewrites nothing that is current;
  when litscope has just written them and runs Quarto itself ($LITSCOPE_PAGES_CURRENT),
  it leaves them as they are.
- ``finish`` (``project: post-render:``): after Quarto rendered the site, or some pages
  of it, copy litscope's feed into it, take what pages keep out of search (score tables,
  BibTeX) out of the search index, and stamp what was rendered (`render.write_stamp`), so
  that the next `litscope publish --render` renders only what changed since.
- ``static-outputs`` (``ipynb-filters:`` in ``notebooks/_metadata.yml``): Quarto hands it
  each executed notebook before turning it into a page. Widgets become their static
  snapshot (a page has no kernel to drive them) and HTML outputs become raw HTML in
  Markdown — with any ``text/html`` output Quarto loads require.js and jQuery from a CDN,
  and its inline ``define(...)`` fails where the CDN cannot be reached. Quarto also runs
  shortcodes found in outputs (a paper title with ``{{< env KEY >}}`` printed in a cell
  would show the key): their opening ``{{<`` is broken in every output.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Sequence

from ..errors import LitscopeError
from .markdown import raw_html

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_SCRIPT = "application/javascript"
_OPENER = "{{<"
#: How each kind of output text keeps ``{{<`` from opening a shortcode: an entity where
#: the text is HTML or Markdown, a word joiner where it is shown verbatim.
_BROKEN_OPENER = {"text/html": "&#123;&#123;<", "text/markdown": "&#123;&#123;<"}
_JOINED_OPENER = "{{\u2060<"


def _joined(text: Any) -> str:
    return "".join(text) if isinstance(text, list) else str(text)


def _inert(text: Any, mime: str | None = None) -> str:
    return _joined(text).replace(_OPENER, _BROKEN_OPENER.get(mime or "", _JOINED_OPENER))


def static_output(output: dict[str, Any]) -> dict[str, Any]:
    """One cell output as the website shows it: no widget view or script, HTML as raw HTML
    in Markdown, no shortcode opener in any text."""
    output = dict(output)
    if "text" in output:
        output["text"] = _inert(output["text"])
    if "traceback" in output:
        output["traceback"] = [_inert(line) for line in output["traceback"]]
    data = dict(output.get("data", {}))
    if WIDGET_VIEW in data or (_SCRIPT in data and len(data) > 1):
        data.pop(WIDGET_VIEW, None)
        data.pop(_SCRIPT, None)
    if "text/html" in data:
        data["text/markdown"] = raw_html(_joined(data.pop("text/html")))
    for mime, value in data.items():
        if mime.startswith("text/"):
            data[mime] = _inert(value, mime)
    if "data" in output:
        output["data"] = data
    return output


def static_outputs(notebook: dict[str, Any]) -> dict[str, Any]:
    """The executed `notebook` (nbformat 4 JSON) with every output made static
    (`static_output`) and its widget state dropped."""
    cells = [{**cell, "outputs": [static_output(o) for o in cell.get("outputs", [])]}
             if cell.get("cell_type") == "code" else cell for cell in notebook.get("cells", [])]
    metadata = {k: v for k, v in notebook.get("metadata", {}).items() if k != "widgets"}
    return {**notebook, "cells": cells, "metadata": metadata}


def write_pages(root: Path) -> str:
    """The pre-render step: write the pages of the review project at `root`."""
    from ..config import open_project
    from .render import ENV_PAGES_CURRENT
    from .site import publish_project
    if os.environ.get(ENV_PAGES_CURRENT):
        return "The review's pages are current (litscope wrote them just now)."
    return publish_project(open_project(root), allow_empty=True).summary(root)


def finish(root: Path) -> str:
    """The post-render step: the feed into the site, search without what pages keep out of
    it, the stamp of what Quarto rendered (from the variables Quarto sets for the step)."""
    from ..config import open_project
    from .archive import FEED_FILE, finish_site
    from .render import write_stamp
    project = open_project(root)
    site = Path(os.environ.get("QUARTO_PROJECT_OUTPUT_DIR") or root / "_site")
    finish_site(site, project.path(project.config.site.out) / FEED_FILE)
    outputs = [line for line in os.environ.get("QUARTO_PROJECT_OUTPUT_FILES", "").splitlines() if line]
    write_stamp(root, outputs, render_all=os.environ.get("QUARTO_PROJECT_RENDER_ALL") == "1")
    return f"Finished the website in {site.name}: feed, search index, and the stamp of {len(outputs)} rendered page(s)."


def main(argv: Sequence[str] | None = None) -> int:
    """``pages`` or ``static-outputs`` (a notebook on stdin, the static one on stdout)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args == ["pages"]:
            print(write_pages(Path.cwd()), flush=True)
            return 0
        if args == ["finish"]:
            print(finish(Path.cwd()), flush=True)
            return 0
        if args == ["static-outputs"]:
            notebook = json.load(sys.stdin)
            json.dump(static_outputs(notebook), sys.stdout, ensure_ascii=False)
            return 0
    except LitscopeError as exc:
        print(f"litscope: error: {exc}", file=sys.stderr)
        return 2
    print("usage: _litscope.py pages | finish | static-outputs  (Quarto runs these; see _quarto.yml)",
          file=sys.stderr)
    return 2
