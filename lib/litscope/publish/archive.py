"""The review's papers as a website that grows for years: day pages holding the papers as
sections, and what a render needs around them (see benchmarks/PUBLISH-DESIGN.md).

- `write_archive`: a page per day (``days/YYYY-MM-DD.qmd``; papers without a date on
  ``days/undated.qmd``), each paper a level-2 section whose anchor is made from its id
  (`paper_anchor`), so that a paper's address never changes; a page's text depends only
  on its own papers and what was recorded when they were published (nothing like "rank R
  of N"), so a new day adds one page and rewrites none. With it: a page per month (its
  days, and its topics as sections of links to the papers), the archive of months and
  topics, and the front page's listing of the newest days (``max-items``: Quarto's
  listing memory grows with its items). Files whose text is unchanged are not written,
  and the call returns those it wrote.
- `write_feed`: litscope's own RSS 2.0 feed, an item per paper with the address of its
  section (Quarto's feed over a metadata-file listing gives every item the site's root).
- `finish_site`: the post-render step: the feed into the site, and the text that pages
  mark as not for search (score tables, BibTeX) out of Quarto's ``search.json``.
"""
from __future__ import annotations

import html
import json
import re
from collections import Counter
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Iterable, Mapping
from xml.etree import ElementTree as ET

import pandas as pd
from markupsafe import Markup

from ..report import counted
from ..schema import SUMMARY_FIELDS, paper_url
from .markdown import (SUMMARY_LABELS, byline, escape_inline, escape_markdown, front_matter,
                       html_text, markdown_table, markdown_to_html, metadata_yaml, one_line,
                       page_slugs, present, raw_html, safe_url, trusted)
from .text import display_titles, summary_origin, tex_to_markdown, tex_to_text

__all__ = ["paper_anchor", "archive_days", "section_href", "write_archive", "write_feed", "finish_site",
           "NOINDEX_START", "NOINDEX_END", "UNDATED"]

#: Around text a page shows but search should not find (score tables, BibTeX): hidden
#: divs whose text, invisible separators, `finish_site` finds in ``search.json``.
NOINDEX_START, NOINDEX_END = "\u2063\u2064\u2063", "\u2064\u2063\u2064"
_NOINDEX = re.compile(re.escape(NOINDEX_START) + ".*?" + re.escape(NOINDEX_END), re.S)
#: Days the front page lists (the newest first); the rest are one click away.
FRONT_DAYS = 14
#: Papers in the feed, newest first.
FEED_ITEMS = 100
#: The day of papers without a submission date (their page is the archive's last).
UNDATED = "undated"
FEED_FILE = "feed.xml"
#: Each published paper's section (id -> address relative to the pages folder), for the
#: cards of `litscope.show` on the review's pages.
SECTIONS_FILE = "sections.json"
#: A section of the methods page that says how scores are made (pages link to it).
SCORES_SECTION = "how-papers-are-scored"
_WHY_COLUMNS = {"term": "Term", "field": "Field", "matches": "Matches", "weight": "Weight",
                "contribution": "Contribution"}


def paper_anchor(paper_id: str) -> str:
    """A paper's section id on its day page: ``paper-`` and its id with every run of
    other characters than letters and digits as one hyphen (``2512.01234`` ->
    ``paper-2512-01234``): valid in HTML, CSS selectors and Pandoc, and stable."""
    return "paper-" + re.sub(r"[^A-Za-z0-9]+", "-", paper_id).strip("-")


def archive_days(papers: pd.DataFrame, first_seen: Mapping[str, Any] | None = None) -> pd.Series:
    """Each paper's day in the archive (``YYYY-MM-DD``): its first submission day, else the
    day litscope first stored it (`first_seen`: id -> timestamp; such papers come after
    the day's dated ones), else `UNDATED` (a page of its own, last in the archive)."""
    day = papers["published"].dt.strftime("%Y-%m-%d")
    if first_seen:
        seen = pd.to_datetime(papers["id"].map(first_seen), utc=True, errors="coerce")
        day = day.fillna(seen.dt.strftime("%Y-%m-%d"))
    return day.fillna(UNDATED).astype(object)


def section_href(paper_id: str, day: str) -> str:
    """A paper's section, relative to the pages folder."""
    return f"days/{day}.html#{paper_anchor(paper_id)}"


def _noindex(markdown: str) -> str:
    """`markdown` shown on the page but kept out of the search index (`finish_site`)."""
    return (f'::: {{.litscope-noindex hidden=""}}\n{NOINDEX_START}\n:::\n\n{markdown}\n\n'
            f'::: {{.litscope-noindex hidden=""}}\n{NOINDEX_END}\n:::')


def _details(paper: Mapping[str, Any], topics: list[tuple[str, str]]) -> str:
    lines = []
    if present(paper["title_zh"]):
        lines.append(f'<span lang="zh">{html_text(paper["title_zh"])}</span>')
    if paper["authors"]:
        lines.append("<b>Authors:</b> " + html_text(", ".join(tex_to_text(a) for a in paper["authors"])))
    links = []
    url = safe_url(paper_url(paper))
    if not str(paper["id"]).startswith("h:"):
        label = html_text(f"arXiv:{paper['id']}" + (f"v{paper['version']}" if present(paper["version"]) else ""))
        links.append(f'<a href="{url}">{label}</a>' if url else label)
    elif url:
        links.append(f'<a href="{url}">abstract</a>')
    if safe_url(paper["pdf_url"]):
        links.append(f'<a href="{safe_url(paper["pdf_url"])}">PDF</a>')
    if present(paper["primary_category"]):
        links.append(html_text(paper["primary_category"]))
    if present(paper["published"]):
        links.append("submitted " + paper["published"].strftime("%Y-%m-%d"))
    elif paper.get("day", UNDATED) != UNDATED:
        links.append(f"no submission date (first seen {paper['day']})")
    if present(paper["doi"]):
        links.append("DOI " + html_text(paper["doi"]))
    if links:
        lines.append(" · ".join(links))
    if topics:
        lines.append("<b>Topic:</b> " + ", ".join(f'<a href="../{href}">{html_text(name)}</a>'
                                                  for name, href in topics))
    if paper["tags"]:
        lines.append("<b>Tags:</b> " + html_text(", ".join(paper["tags"])))
    for key, label in (("comment", "Comment"), ("journal_ref", "Journal reference")):
        if present(paper[key]):
            lines.append(f"<b>{label}:</b> " + html_text(tex_to_text(paper[key])))
    return raw_html('<div class="litscope-paper-details">\n'
                    + "\n".join(f"<div>{line}</div>" for line in lines) + "\n</div>")


def _summary(paper: Mapping[str, Any]) -> list[str]:
    """The summary fields, labelled with where they come from (a generated summary says
    it is one); sentences litscope picked from the abstract (``extractive``) are left out:
    the abstract follows, and they would pass for a summary."""
    if one_line(paper["summary_source"]) == "extractive":
        return []
    sections = [f"**{SUMMARY_LABELS[f]}:** {tex_to_markdown(paper[f])}" for f in SUMMARY_FIELDS if present(paper[f])]
    if present(paper["summary"]):
        sections.append(raw_html(f'<div class="litscope-summary">\n{markdown_to_html(paper["summary"])}</div>'))
    if not sections:
        return []
    return [f"**Summary** *({escape_inline(summary_origin(paper['summary_source']))})*", *sections]


def _why(paper: Mapping[str, Any], methods: str | None) -> str:
    """Why the paper is here: its score and the score's terms, as recorded when it was
    published, with a link to how the review scores papers."""
    score = paper.get("score")
    if not present(score):
        return ""
    when = f" when it was published ({paper['scored_on']})" if present(paper.get("scored_on")) else ""
    parts = [raw_html(f'<details class="litscope-why"><summary>Why it is here: score '
                      f'{float(score):.2f}{html_text(when)}</summary>')]
    rows = paper.get("why") or []
    if rows:
        table = markdown_table(rows, {k: v for k, v in _WHY_COLUMNS.items() if any(k in r for r in rows)})
        parts.append(f'::: {{.litscope-explanation style="overflow-x: auto"}}\n{table}\n:::')
    said = "The contributions add up to the score." if rows else ""
    link = f" [How the review scores papers](../{methods}#{SCORES_SECTION})." if methods else ""
    if said or link:
        parts.append((said + link).strip())
    parts.append(raw_html("</details>"))
    return "\n\n".join(parts)


def _cite(key: str | None, bibtex: str | None) -> str:
    if not key:
        return ""
    parts = [raw_html(f'<details class="litscope-cite"><summary>Cite as <code>{html_text(f"[@{key}]")}</code> '
                      f"in the review's pages</summary>")]
    if bibtex:
        fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", bibtex)), default=0))
        parts.append(f"{fence}bibtex\n{bibtex.replace('{{<', '{{ <')}\n{fence}")
    parts.append(raw_html("</details>"))
    return "\n\n".join(parts)


def paper_section(paper: Mapping[str, Any], title: str, *, key: str | None = None,
                  bibtex: str | None = None, topics: Iterable[tuple[str, str]] = (), note: str = "",
                  methods: str | None = None) -> str:
    """A paper's section of its day page: heading with its anchor, details, summary
    (labelled), abstract, the curator's note, then why it was chosen (its `score` and
    `why`, as recorded) and how to cite it, both folded and kept out of search."""
    parts = [f"## {tex_to_markdown(one_line(title)) or escape_inline(paper['id'])} {{#{paper_anchor(paper['id'])}}}",
             _details(paper, list(topics)), *_summary(paper)]
    if present(paper["abstract"]):
        parts += ["**Abstract**", tex_to_markdown(paper["abstract"])]
    if present(paper["abstract_zh"]):
        parts += ["**Abstract (Chinese)**", escape_markdown(paper["abstract_zh"])]
    if note:
        parts += ["**Curator's note**", escape_markdown(note)]
    hidden = [p for p in (_why(paper, methods), _cite(key, bibtex)) if p]
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
                  citations: pd.DataFrame | None = None, notes: Mapping[str, str] | None = None,
                  methods: str | None = None, status: str | None = None,
                  front_days: int = FRONT_DAYS) -> list[str]:
    """Write the published `papers` (best first within a day; a ``day`` column, else
    `archive_days`; ``score``, ``why`` and ``scored_on`` when known) as day pages, a page
    per month (its days and topics), the archive page and the front page's listing
    (``_listing.yml``, paths under `listing_prefix`, `status` as its description) into
    `root`; `citations` (id, key, bibtex) give each paper's key and entry; `methods` is the
    methods page (relative to `root`) that says how scores are made. Returns the files it
    wrote: those whose text changed."""
    root = Path(root)
    written: list[str] = []
    if "day" not in papers:
        papers = papers.assign(day=archive_days(papers).to_numpy())
    records = papers.assign(shown=display_titles(papers).to_numpy()).to_dict("records")
    cites = {} if citations is None else dict(zip(citations["id"], zip(citations["key"], citations["bibtex"])))
    topics = _topics(records)
    by_paper: dict[str, list[tuple[str, str]]] = {}
    for anchor, name, members in topics:
        for paper in members:
            if paper["day"] != UNDATED:
                by_paper.setdefault(paper["id"], []).append((name, f"{paper['day'][:7]}.html#{anchor}"))
    by_day: dict[str, list[dict[str, Any]]] = {}
    for paper in records:
        by_day.setdefault(paper["day"], []).append(paper)
    for day, members in by_day.items():
        _write(root, f"days/{day}.qmd", _day_page(day, members, cites, by_paper, notes or {}, methods), written)
    months = sorted({d[:7] for d in by_day if d != UNDATED}, reverse=True)
    for month in months:
        _write(root, f"{month}.qmd", _month_page(month, [p for p in records if p["day"].startswith(month)], topics),
               written)
    _write(root, "archive.qmd", _archive_page(months, topics, UNDATED in by_day), written)
    listing: dict[str, Any] = {"description": status} if status else {}
    if months:
        listing["listing"] = trusted({
            "id": "days", "contents": f"{listing_prefix}days/????-??-??.qmd", "type": "default",
            "sort": "date desc", "max-items": front_days, "fields": ["date", "title", "description"],
            "date-format": "YYYY-MM-DD", "max-description-length": 400})
    _write(root, "_listing.yml", metadata_yaml(listing), written)
    return written


def _day_page(day: str, members: list[dict[str, Any]], cites: Mapping[str, tuple[str, str]],
              topics: Mapping[str, list[tuple[str, str]]], notes: Mapping[str, str], methods: str | None) -> str:
    sections = [paper_section(paper, paper["shown"], key=cites.get(paper["id"], (None, None))[0],
                              bibtex=cites.get(paper["id"], (None, None))[1],
                              topics=topics.get(paper["id"], []), note=notes.get(paper["id"], ""),
                              methods=methods)
                for paper in members]
    dated = sum(present(p["published"]) for p in members)
    categories = Counter(p["primary_category"] for p in members if present(p["primary_category"]))
    about = f" ({', '.join(f'{c}: {k}' for c, k in categories.most_common(4))})" if categories else ""
    titles = "; ".join(_shorten(p["shown"], 90) for p in members[:3]) + ("; …" if len(members) > 3 else "")
    said = (f"{counted(len(members), 'paper')} submitted to arXiv on {day}" if dated == len(members) and day != UNDATED
            else f"{counted(len(members), 'paper')} without a submission date" if day == UNDATED
            else f"{counted(dated, 'paper')} submitted to arXiv on {day} and {counted(len(members) - dated, 'paper')} without a date that "
                 f"the review first saw then" if dated else f"{counted(len(members), 'paper')} without a submission date that "
                 f"the review first saw on {day}")
    meta = {"title": Markup(f"Papers of {day}" if day != UNDATED else "Papers without a date"),
            "description": f"{said}{about}, best first: {titles}", "toc": True, "toc-depth": 2,
            "toc-title": Markup("Papers")}
    if day != UNDATED:
        meta["date"] = Markup(day)
    how = f" ([how they were chosen](../{methods}#how-papers-were-chosen))" if methods else ""
    intro = f"{escape_markdown(f'The papers of {day}' if day != UNDATED else 'The papers without a date')} " \
            f"the review chose, best first{how}."
    return f"{front_matter(meta)}\n\n{intro}\n\n" + "\n\n".join(sections) + "\n"


def _shorten(text: str, limit: int) -> str:
    text = one_line(text)
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def _month_name(month: str) -> str:
    return pd.Timestamp(f"{month}-01").strftime("%B %Y")


def _month_page(month: str, members: list[dict[str, Any]], topics: list[tuple[str, str, list[dict[str, Any]]]]) -> str:
    """The review in `month`: its days (a Quarto listing of the day pages, newest first)
    and its topics, each a section (``#topic-<slug>``) of links to its papers' sections.
    Its listing makes Quarto render it again with every new day's page of the month
    (Quarto re-renders the listing pages whose contents match a page it renders, when the
    listing page is in the day pages' folder or above it); a month keeps that render
    small (a year's page of links costs far more: benchmarks/PUBLISH-DESIGN.md)."""
    listing = trusted({"id": "days", "contents": f"days/{month}-??.qmd", "type": "table",
                       "sort": "date desc", "fields": ["date", "title", "description"],
                       "field-display-names": {"description": "Papers"}, "date-format": "YYYY-MM-DD",
                       "filter-ui": False, "sort-ui": False, "max-description-length": 200})
    meta = {"title": Markup(f"The review in {_month_name(month)}"), "search": False, "toc": True,
            "listing": listing}
    parts = [str(front_matter(meta)), "", "## Days {#days-of-the-month}", "", "::: {#days}", ":::"]
    ids = {p["id"] for p in members}
    in_month = [(anchor, name, [p for p in papers if p["id"] in ids]) for anchor, name, papers in topics]
    in_month = [t for t in in_month if t[2]]
    if in_month:
        parts += ["", "## Topics {#topics}"]
    for anchor, name, papers in in_month:
        parts += ["", f"### {escape_inline(name)} {{#{anchor}}}", ""]
        parts += [f"- [{tex_to_markdown(one_line(p['shown']))}](days/{p['day']}.qmd#{paper_anchor(p['id'])})"
                  + (f" · {escape_inline(byline(tex_to_text(a) for a in p['authors']))}" if p["authors"] else "")
                  for p in sorted(papers, key=lambda p: p["day"], reverse=True)]
    return "\n".join(parts) + "\n"


def _archive_page(months: list[str], topics: list[tuple[str, str, list[dict[str, Any]]]], undated: bool) -> str:
    """The months by year, and every topic with the months it has papers in; no counts,
    so that the page changes only with a new month or topic."""
    lines = [str(front_matter({"title": Markup("Archive"), "search": False, "toc": True})), "",
             escape_markdown("Every day of the review, by month, and every topic with the months it has papers in.")]
    year = None
    for month in months:
        if month[:4] != year:
            year = month[:4]
            lines += ["", f"## {year} {{#year-{year}}}", ""]
        lines.append(f"- [{_month_name(month)}]({month}.qmd)")
    if undated:
        lines += ["", "## Without a date {#undated}", "", f"- [Papers without a date](days/{UNDATED}.qmd)"]
    dated = [(anchor, name, sorted({p["day"][:7] for p in papers if p["day"] != UNDATED}, reverse=True))
             for anchor, name, papers in topics]
    dated = [t for t in dated if t[2]]
    if dated:
        lines += ["", "## Topics {#topics}", ""]
    for anchor, name, in_months in dated:
        lines.append(f"- {escape_inline(name)}: " + ", ".join(f"[{m}]({m}.qmd#{anchor})" for m in in_months))
    return "\n".join(lines) + "\n"


def _topics(papers: list[dict[str, Any]]) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(anchor, name, papers) per topic (a paper's subtopic within its topic, else its
    topic), by name. A subtopic whose name several topics use is named with its topic
    ("Other (Agents)"). An anchor is ``topic-`` and `page_slugs` of the topic: the same on
    every run and unique, whatever other topics arrive."""
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for paper in papers:
        topic, sub = (one_line(paper[f]) if present(paper[f]) else "" for f in ("topic", "subtopic"))
        key = (topic, sub) if topic and sub else ("", sub or topic)
        if key[1]:
            grouped.setdefault(key, []).append(paper)
    shared = Counter(name for _, name in grouped)
    named = sorted((f"{name} ({parent})" if parent and shared[name] > 1 else name, parent, name)
                   for parent, name in grouped)
    anchors = page_slugs([shown for shown, _, _ in named], "topic",
                         keys=[f"{parent} / {name}" if parent else name for _, parent, name in named])
    return [(f"topic-{anchor}", shown, grouped[(parent, name)])
            for anchor, (shown, parent, name) in zip(anchors, named)]


def write_feed(papers: pd.DataFrame, site_url: str, path: str | Path, *, title: str, folder: str = "curated/",
               limit: int = FEED_ITEMS) -> bool:
    """Write the RSS 2.0 feed of the newest `limit` published `papers` (their ``day``, else
    `archive_days`) to `path`: an item per paper whose link and guid are its section on its
    day page (in the pages `folder`) under `site_url`; text is escaped by the XML writer
    (and, in the description, which readers take as HTML, for HTML first). Returns whether
    the file changed."""
    base = site_url.rstrip("/") + "/"
    if "day" not in papers:
        papers = papers.assign(day=archive_days(papers).to_numpy())
    papers = papers.assign(shown=display_titles(papers).to_numpy())
    dated = papers[papers["day"] != UNDATED].sort_values("day", ascending=False, kind="stable").head(limit)
    rss = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(rss, "channel")
    for tag, text in (("title", title), ("link", base), ("description", f"New papers of {title}")):
        ET.SubElement(channel, tag).text = text
    if len(dated):
        ET.SubElement(channel, "lastBuildDate").text = _rfc822(dated["day"].iloc[0])
    for paper in dated.to_dict("records"):
        link = f"{base}{folder}{section_href(paper['id'], paper['day'])}"
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = one_line(paper["shown"])
        ET.SubElement(item, "link").text = link
        ET.SubElement(item, "guid", {"isPermaLink": "true"}).text = link
        ET.SubElement(item, "pubDate").text = _rfc822(paper["day"])
        summarised = present(paper["tldr"]) and one_line(paper["summary_source"]) != "extractive"
        text = paper["tldr"] if summarised else paper["abstract"]
        if present(text):   # an RSS description is HTML: the text's own < and & stay text
            ET.SubElement(item, "description").text = html.escape(one_line(tex_to_text(text)), quote=False)
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
