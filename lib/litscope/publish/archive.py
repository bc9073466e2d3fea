"""The review's papers as a website that grows for years: day pages holding the papers as
sections, and what a render needs around them (see benchmarks/PUBLISH-DESIGN.md).

- `write_archive`: a page per day (``days/YYYY-MM-DD.qmd``), each paper a level-2
  section whose anchor is made from its id (`paper_anchor`), so that a paper's address
  never changes; a page's text depends only on its own papers (nothing like "rank R of
  N"), so a new day adds one page and rewrites none. With it: a page per month (its
  days, and its topics as sections of links to the papers), the archive of months and
  topics, and the front page's listing of the newest days (``max-items``: Quarto's
  listing memory grows with its items).
  Files whose text is unchanged are not written, and the call returns those it wrote.
- `write_feed`: litscope's own RSS 2.0 feed, an item per paper with the address of its
  section (Quarto's feed over a metadata-file listing gives every item the site's root).
- `finish_site`: the post-render step: the feed into the site, and the text that pages
  mark as not for search (score tables, BibTeX) out of Quarto's ``search.json``.
- `render_pages`: ``quarto render`` of only the given pages inside the project; Quarto
  adds the listing pages that list them and updates ``search.json`` and the sitemap.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping
from xml.etree import ElementTree as ET

import pandas as pd
from markupsafe import Markup

from ..schema import SUMMARY_FIELDS
from .markdown import (SUMMARY_LABELS, byline, escape_inline, escape_markdown, front_matter,
                       html_text, markdown_to_html, metadata_yaml, one_line, paper_url, present,
                       raw_html, safe_url, slugify, trusted)
from .text import display_titles, tex_to_markdown, tex_to_text

__all__ = ["paper_anchor", "archive_days", "write_archive", "write_feed", "finish_site",
           "render_pages", "NOINDEX_START", "NOINDEX_END"]

#: Around text a page shows but search should not find (score tables, BibTeX): hidden
#: divs whose text, invisible separators, `finish_site` finds in ``search.json``.
NOINDEX_START, NOINDEX_END = "\u2063\u2064\u2063", "\u2064\u2063\u2064"
_NOINDEX = re.compile(re.escape(NOINDEX_START) + ".*?" + re.escape(NOINDEX_END), re.S)
#: Days the front page lists (the newest first); the rest are one click away.
FRONT_DAYS = 14
#: Papers in the feed, newest first.
FEED_ITEMS = 100
UNDATED = "undated"
FEED_FILE = "feed.xml"
_SOURCE_LABELS = {"imported": "from the source", "extractive": "sentences picked from the abstract"}


def paper_anchor(paper_id: str) -> str:
    """A paper's section id on its day page: ``paper-`` and its id with every run of
    other characters than letters and digits as one hyphen (``2512.01234`` ->
    ``paper-2512-01234``): valid in HTML, CSS selectors and Pandoc, and stable."""
    return "paper-" + re.sub(r"[^A-Za-z0-9]+", "-", paper_id).strip("-")


def archive_days(papers: pd.DataFrame, first_seen: Mapping[str, Any] | None = None) -> pd.Series:
    """Each paper's day in the archive (``YYYY-MM-DD``): its submission day, else the day
    litscope first stored it (`first_seen`: id -> timestamp), else ``undated``."""
    day = papers["published"].dt.strftime("%Y-%m-%d")
    if first_seen:
        seen = pd.to_datetime(papers["id"].map(first_seen), utc=True, errors="coerce")
        day = day.fillna(seen.dt.strftime("%Y-%m-%d"))
    return day.fillna(UNDATED).astype(object)


def _noindex(markdown: str) -> str:
    """`markdown` shown on the page but kept out of the search index (`finish_site`)."""
    return (f'::: {{.litscope-noindex hidden=""}}\n{NOINDEX_START}\n:::\n\n{markdown}\n\n'
            f'::: {{.litscope-noindex hidden=""}}\n{NOINDEX_END}\n:::')


def _details(paper: Mapping[str, Any], topics: list[tuple[str, str]]) -> str:
    lines = []
    if paper["authors"]:
        lines.append("<b>Authors:</b> " + html_text(", ".join(tex_to_text(a) for a in paper["authors"])))
    links = []
    url = paper_url(paper)
    if not str(paper["id"]).startswith("h:"):
        label = html_text(f"arXiv:{paper['id']}")
        links.append(f'<a href="{url}">{label}</a>' if url else label)
    elif url:
        links.append(f'<a href="{url}">abstract</a>')
    if safe_url(paper["pdf_url"]):
        links.append(f'<a href="{safe_url(paper["pdf_url"])}">PDF</a>')
    if present(paper["primary_category"]):
        links.append(html_text(paper["primary_category"]))
    if present(paper["published"]):
        links.append("submitted " + paper["published"].strftime("%Y-%m-%d"))
    if links:
        lines.append(" · ".join(links))
    if topics:
        lines.append("<b>Topic:</b> " + ", ".join(f'<a href="../{href}">{html_text(name)}</a>'
                                                  for name, href in topics))
    if paper["tags"]:
        lines.append("<b>Tags:</b> " + html_text(", ".join(paper["tags"])))
    return raw_html('<div class="litscope-paper-details">\n'
                    + "\n".join(f"<div>{line}</div>" for line in lines) + "\n</div>")


def _summary(paper: Mapping[str, Any]) -> list[str]:
    """The summary fields, labelled with where they come from (a generated summary says so)."""
    sections = [f"**{SUMMARY_LABELS[f]}:** {tex_to_markdown(paper[f])}" for f in SUMMARY_FIELDS if present(paper[f])]
    if present(paper["summary"]):
        sections.append(raw_html(markdown_to_html(paper["summary"])))
    if not sections:
        return []
    source = one_line(paper["summary_source"])
    said = _SOURCE_LABELS.get(source, f"generated by {source.removeprefix('llm:')}" if source else "")
    heading = "**Summary**" + (f" *({escape_inline(said)})*" if said else "")
    return [heading, *sections]


def paper_section(paper: Mapping[str, Any], title: str, *, key: str | None = None,
                  bibtex: str | None = None, explanation: str | None = None,
                  topics: Iterable[tuple[str, str]] = (), note: str = "") -> str:
    """A paper's section of its day page: heading with its anchor, details, summary
    (labelled), abstract, the curator's note, then how to cite it and why it was chosen,
    both kept out of search."""
    parts = [f"## {tex_to_markdown(one_line(title)) or escape_inline(paper['id'])} {{#{paper_anchor(paper['id'])}}}",
             _details(paper, list(topics)), *_summary(paper)]
    if present(paper["abstract"]):
        parts += ["**Abstract**", tex_to_markdown(paper["abstract"])]
    if note:
        parts += ["**Curator's note**", escape_markdown(note)]
    hidden = []
    if explanation:   # a wide table scrolls in its box on a phone, not the page
        hidden.append(f'::: {{.litscope-explanation style="overflow-x: auto"}}\n{explanation}\n:::')
    if key:
        hidden.append(f"Cite as `[@{key}]` in the review's pages.")
    if bibtex:
        fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", bibtex)), default=0))
        hidden.append(f"{fence}bibtex\n{bibtex.replace('{{<', '{{ <')}\n{fence}")
    if hidden:
        parts.append(_noindex("\n\n".join(hidden)))
    return "\n\n".join(str(p) for p in parts)


def _write(root: Path, relative: str, text: str, written: list[str]) -> None:
    """Write `text` to `root/relative` unless it already holds it."""
    path = root / relative
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    written.append(relative)


def write_archive(papers: pd.DataFrame, root: str | Path, *, listing_prefix: str = "",
                  citations: pd.DataFrame | None = None,
                  explain: Callable[[str], str | None] | None = None,
                  notes: Mapping[str, str] | None = None,
                  first_seen: Mapping[str, Any] | None = None,
                  front_days: int = FRONT_DAYS) -> list[str]:
    """Write the published `papers` (best first within a day) as day pages, a page per
    month (its days and topics), the archive page and the front page's listing
    (``_listing.yml``, paths under `listing_prefix`) into `root`; `citations` (id, key,
    bibtex) give each paper's key and entry, `explain` its score's explanation (Markdown,
    or None). Returns the files it wrote: those whose text changed (stage 2 removes the
    pages of days no longer published)."""
    root = Path(root)
    written: list[str] = []
    records = papers.assign(day=archive_days(papers, first_seen).to_numpy(),
                            shown=display_titles(papers).to_numpy()).to_dict("records")
    cites = {} if citations is None else dict(zip(citations["id"], zip(citations["key"], citations["bibtex"])))
    topics = _topics(records)
    by_paper: dict[str, list[tuple[str, str]]] = {}
    for slug, name, members in topics:
        for paper in members:
            by_paper.setdefault(paper["id"], []).append((name, f"{paper['day'][:7]}.html#topic-{slug}"))
    by_day: dict[str, list[dict[str, Any]]] = {}
    for paper in records:
        by_day.setdefault(paper["day"], []).append(paper)
    for day, members in by_day.items():
        _write(root, f"days/{day}.qmd", _day_page(day, members, cites, explain, by_paper, notes or {}), written)
    months = sorted({d[:7] for d in by_day if d != UNDATED}, reverse=True)
    for month in months:
        _write(root, f"{month}.qmd", _month_page(month, [p for p in records if p["day"].startswith(month)]), written)
    _write(root, "archive.qmd", _archive_page(months, topics, UNDATED in by_day), written)
    listing = {"listing": trusted({
        "id": "days", "contents": f"{listing_prefix}days/????-??-??.qmd", "type": "default",
        "sort": "date desc", "max-items": front_days, "fields": ["date", "title", "description"],
        "date-format": "YYYY-MM-DD"})} if records else {}
    _write(root, "_listing.yml", metadata_yaml(listing), written)
    return written


def _day_page(day: str, members: list[dict[str, Any]], cites: Mapping[str, tuple[str, str]],
              explain: Callable[[str], str | None] | None, topics: Mapping[str, list[tuple[str, str]]],
              notes: Mapping[str, str]) -> str:
    sections = [paper_section(paper, paper["shown"], key=cites.get(paper["id"], (None, None))[0],
                              bibtex=cites.get(paper["id"], (None, None))[1],
                              explanation=explain(paper["id"]) if explain else None,
                              topics=topics.get(paper["id"], []), note=notes.get(paper["id"], ""))
                for paper in members]
    categories = Counter(p["primary_category"] for p in members if present(p["primary_category"]))
    about = ", ".join(f"{c} {n}" for c, n in categories.most_common(4))
    meta = {"title": Markup(f"Papers of {day}" if day != UNDATED else "Papers without a date"),
            "description": Markup(f"{len(members)} papers" + (f": {html_text(about)}" if about else "")),
            "toc": True, "toc-depth": 2}
    if day != UNDATED:
        meta["date"] = Markup(day)
    intro = escape_markdown(f"{len(members)} papers submitted to arXiv on {day}, in the order the review ranks "
                            "them." if day != UNDATED else f"{len(members)} papers whose source gave no date.")
    return f"{front_matter(meta)}\n\n{intro}\n\n" + "\n\n".join(sections) + "\n"


def _month_page(month: str, members: list[dict[str, Any]]) -> str:
    """The review in `month`: its days (a Quarto listing of the day pages, newest first)
    and its topics, each a section (``#topic-<slug>``) of links to its papers' sections.
    Its listing makes Quarto render it again with every new day's page of the month
    (Quarto re-renders the listing pages whose contents match a page it renders, when the
    listing page is in the day pages' folder or above it); a month keeps that render
    small (a year's page of 3,650 links took ~25 s of CPU to render)."""
    listing = trusted({"id": "days", "contents": f"days/{month}-??.qmd", "type": "table",
                       "sort": "date desc", "fields": ["date", "title", "description"],
                       "field-display-names": {"description": "Papers"}, "date-format": "YYYY-MM-DD",
                       "filter-ui": False, "sort-ui": False})
    meta = {"title": Markup(f"The review in {month}"), "search": False, "toc": True, "listing": listing}
    parts = [str(front_matter(meta)), "", "## Days {#days-of-the-month}", "", "::: {#days}", ":::"]
    topics = _topics(members)
    if topics:
        parts += ["", "## Topics {#topics}"]
    for slug, name, papers in topics:
        parts += ["", f"### {escape_inline(name)} {{#topic-{slug}}}", ""]
        parts += [f"- [{tex_to_markdown(one_line(p['shown']))}](days/{p['day']}.qmd#{paper_anchor(p['id'])})"
                  + (f" · {escape_inline(byline(p['authors']))}" if p["authors"] else "")
                  for p in sorted(papers, key=lambda p: p["day"], reverse=True)]
    return "\n".join(parts) + "\n"


def _archive_page(months: list[str], topics: list[tuple[str, str, list[dict[str, Any]]]], undated: bool) -> str:
    """The months by year, and every topic with the months it has papers in; no counts,
    so that the page changes only with a new month or topic."""
    lines = [str(front_matter({"title": Markup("Archive"), "search": False, "toc": True})), ""]
    year = None
    for month in months:
        if month[:4] != year:
            year = month[:4]
            lines += ["", f"## {year}", ""]
        lines.append(f"- [{month}]({month}.qmd)")
    if undated:
        lines += ["", f"- [Papers without a date](days/{UNDATED}.qmd)"]
    if topics:
        lines += ["", "## Topics {#topics}", ""]
    for slug, name, papers in topics:
        in_months = sorted({p["day"][:7] for p in papers if p["day"] != UNDATED}, reverse=True)
        lines.append(f"- {escape_inline(name)}: " + ", ".join(f"[{m}]({m}.qmd#topic-{slug})" for m in in_months))
    return "\n".join(lines) + "\n"


def _topics(papers: list[dict[str, Any]]) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(slug, name, papers) per topic (a paper's subtopic, else its topic), by name."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for paper in papers:
        name = next((one_line(paper[f]) for f in ("subtopic", "topic") if present(paper[f])), "")
        if name:
            grouped.setdefault(name, []).append(paper)
    return [(slugify(name, "topic-" + hashlib.sha1(name.encode()).hexdigest()[:8]), name, grouped[name])
            for name in sorted(grouped)]


def write_feed(papers: pd.DataFrame, site_url: str, path: str | Path, *, title: str, folder: str = "curated/",
               first_seen: Mapping[str, Any] | None = None, limit: int = FEED_ITEMS) -> bool:
    """Write the RSS 2.0 feed of the newest `limit` published `papers` to `path`: an item
    per paper whose link and guid are its section on its day page (in the pages `folder`)
    under `site_url`; text is escaped by the XML writer. Returns whether the file changed."""
    base = site_url.rstrip("/") + "/"
    papers = papers.assign(day=archive_days(papers, first_seen).to_numpy(),
                           shown=display_titles(papers).to_numpy())
    dated = papers[papers["day"] != UNDATED].sort_values("day", ascending=False, kind="stable").head(limit)
    rss = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(rss, "channel")
    for tag, text in (("title", title), ("link", base), ("description", f"New papers of {title}")):
        ET.SubElement(channel, tag).text = text
    if len(dated):
        ET.SubElement(channel, "lastBuildDate").text = _rfc822(dated["day"].iloc[0])
    for paper in dated.to_dict("records"):
        link = f"{base}{folder}days/{paper['day']}.html#{paper_anchor(paper['id'])}"
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = one_line(paper["shown"])
        ET.SubElement(item, "link").text = link
        ET.SubElement(item, "guid", {"isPermaLink": "true"}).text = link
        ET.SubElement(item, "pubDate").text = _rfc822(paper["day"])
        text = paper["tldr"] if present(paper["tldr"]) else paper["abstract"]
        if present(text):
            ET.SubElement(item, "description").text = one_line(tex_to_text(text))
        if paper["authors"]:
            ET.SubElement(item, "{http://purl.org/dc/elements/1.1/}creator").text = \
                ", ".join(one_line(tex_to_text(a)) for a in paper["authors"])
    ET.register_namespace("dc", "http://purl.org/dc/elements/1.1/")
    data = ET.tostring(rss, encoding="utf-8", xml_declaration=True)
    path = Path(path)
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def _rfc822(day: str) -> str:
    return format_datetime(pd.Timestamp(day, tz="UTC").to_pydatetime())


def finish_site(site: str | Path, feed: str | Path | None = None) -> None:
    """The post-render step: copy the `feed` litscope wrote into the rendered `site` as
    ``index.xml``, and take the text pages marked as not for search (`NOINDEX_START` ...
    `NOINDEX_END`) out of Quarto's ``search.json`` (it is rewritten only if it changes)."""
    site = Path(site)
    if feed is not None and Path(feed).is_file():
        data = Path(feed).read_bytes()
        target = site / "index.xml"
        if not target.is_file() or target.read_bytes() != data:
            target.write_bytes(data)
    index = site / "search.json"
    if not index.is_file():
        return
    docs = json.loads(index.read_text(encoding="utf-8"))
    changed = False
    for doc in docs:
        text = doc.get("text", "")
        if NOINDEX_START in text:
            doc["text"] = " ".join(_NOINDEX.sub(" ", text).split(" ")).strip()
            changed = True
    if changed:
        index.write_text(json.dumps(docs, ensure_ascii=False, indent=1), encoding="utf-8")


def render_pages(root: str | Path, pages: Iterable[str], quarto: str) -> subprocess.CompletedProcess:
    """``quarto render`` of only `pages` (paths relative to the project `root`): Quarto adds
    the listing pages whose contents match them and updates ``search.json`` and the
    sitemap in place; the pages not named keep their last render. Quarto renders each
    page on its own (a project context each), one process for all."""
    root = Path(root).absolute()
    env = {**os.environ, "QUARTO_PYTHON": os.environ.get("QUARTO_PYTHON", sys.executable)}
    # Quarto takes the arguments after the first as Pandoc's unless an option follows them
    return subprocess.run([quarto, "render", *(str(root / page) for page in pages), "--to", "html"],
                          cwd=root, env=env, capture_output=True, text=True)
