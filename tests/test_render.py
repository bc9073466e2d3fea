"""The review website rendered by real Quarto (skipped without it): the repository's review
project after ``litscope demo``, notebooks executed, and a project of hostile papers, whose
text must stay text in every page, the RSS feed and the search index — and whose
environment variable must appear nowhere in the site. A render that fails or prints a
Quarto warning fails."""
from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pandas as pd
import pytest
import yaml

from hostile import SECRET, hostile_papers
from litscope.publish.archive import paper_anchor
from litscope.publish.markdown import one_line
from litscope.publish.text import tex_to_text
from sites import Journey, Rendered, _store_state, new_review_journey, render, render_hostile, render_review

pytestmark = [pytest.mark.render, pytest.mark.slow]


class _Elements(HTMLParser):
    """Every start tag's attributes, and the text of every script element."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def _elements(page: Path) -> _Elements:
    parser = _Elements()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


@pytest.fixture(scope="module")
def review(request) -> Rendered:
    return render_review(Path(request.config.cache.mkdir("litscope-sites")), reuse=False)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Rendered:
    return render_hostile(tmp_path_factory.mktemp("hostile") / "review")


def _no_secret(rendered: Rendered) -> None:
    leaks = [p for p in rendered.site.rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()]
    assert leaks == []


# -- the repository's review, as a fresh clone renders it after `make demo` --------------------
def test_review_renders_without_warnings(review):
    assert review.problems() == []
    print(f"\nrepository review: {review.figures()}")


def _sections(root: Path) -> dict[str, str]:
    """The published papers' sections (id -> address relative to the pages folder)."""
    return json.loads((root / "curated" / "sections.json").read_text(encoding="utf-8"))


def test_review_is_one_site_of_days_months_archive_methods_notebooks_and_own_pages(review):
    site = review.site
    sections = _sections(review.root)
    assert len(sections) == 60
    days = {href.split("#")[0] for href in sections.values()}
    assert all((site / "curated" / page).is_file() for page in days)
    for page in ("index.html", "review.html", "curated/archive.html", "curated/2025-12.html",
                 "curated/methods.html", "index.xml", "search.json"):
        assert (site / page).is_file(), page
    for href in sections.values():                                  # every section is there
        page, anchor = href.split("#")
        assert f'id="{anchor}"' in (site / "curated" / page).read_text(encoding="utf-8"), href
    notebooks = sorted(p.name for p in (site / "notebooks").glob("*.html"))
    assert notebooks == ["01-fetch-and-import.html", "02-score-and-explore.html", "03-curate.html",
                         "04-publish.html", "05-library.html"]
    navbar = re.search(r'<nav class="navbar.*?</nav>', (site / "curated" / "methods.html").read_text(), re.S)
    for link in ("index.html", "curated/archive.html", "review.html", "notebooks/02-score-and-explore.html",
                 "index.xml"):
        assert link in navbar.group(0), link


def test_front_page_speaks_to_a_reader_and_lists_the_newest_days(review):
    page = (review.site / "index.html").read_text(encoding="utf-8")
    text = _text(page)
    listed = list(dict.fromkeys(re.findall(r'<a href="\./curated/days/(\d{4}-\d{2}-\d{2})\.html"', page)))
    assert listed and listed == sorted(listed, reverse=True) and len(listed) <= 14   # newest first
    assert "chosen each day by its ranking" in text and "papers chosen from the 904 the review screened" in text
    assert "yours" not in text and "on the right" not in text and "litscope import" not in text   # not the author's
    assert "(authors unknown)" not in page and "(no abstract)" not in page
    archive = (review.site / "curated" / "archive.html").read_text(encoding="utf-8")
    months = list(dict.fromkeys(re.findall(r'href="(?:\.\./curated/)?(\d{4}-\d{2})\.html', archive)))
    assert months and months == sorted(months, reverse=True)


def _undated(review: Rendered) -> tuple[list[str], dict[str, str]]:
    """The shown papers without a submission date (the demo's ICLR entries) and every section."""
    from litscope.store import Store
    published = Store(review.root / "data").papers().set_index("id")["published"]
    sections = _sections(review.root)
    return [i for i in sections if pd.isna(published[i])], sections


def test_undated_papers_come_on_the_day_the_review_saw_them_after_its_dated_ones(review):
    undated, sections = _undated(review)
    assert undated and not [i for i in undated if sections[i].startswith("days/undated")]
    day = sections[undated[0]].split("#")[0]
    page = (review.site / "curated" / day).read_text(encoding="utf-8")
    dated = [i for i, h in sections.items() if h.split("#")[0] == day and i not in undated]
    position = lambda i: page.index(f'id="{paper_anchor(i)}"')
    assert not dated or max(map(position, dated)) < min(position(i) for i in undated if sections[i].startswith(day))


def test_a_paper_section_reads_as_text_labels_summaries_and_explains_its_score(review):
    undated, sections = _undated(review)
    page = (review.site / "curated" / sections[undated[0]].split("#")[0]).read_text(encoding="utf-8")
    assert re.search(r"<h2[^>]*>Untitled \(", page)                 # a label, not a cut sentence
    assert "(from the digest it was imported from)" in _text(page)
    day = next(h for h in sections.values() if not h.startswith("days/undated"))
    page = (review.site / "curated" / day.split("#")[0]).read_text(encoding="utf-8")
    assert "Why it is here: score" in page and re.search(r'href="[./]*(curated/)?methods\.html#how-papers-are-scored"', page)
    assert 'class="sourceCode bibtex' in page and "code-copy-button" in page    # BibTeX to copy
    prose = re.sub(r"\\\(.*?\\\)", "", _text(page))      # math (MathJax's input) keeps its TeX
    assert "\\\"o" not in prose and "\\%" not in prose                    # no raw TeX


def test_notebooks_are_executed_and_load_no_script_from_a_cdn(review):
    for page in (review.site / "notebooks").glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "cdn.jsdelivr.net" not in text and "define(" not in text, page.name
        assert 'class="cell-output' in text, page.name
        assert str(review.root) not in text and str(review.root.parent) not in text, page.name   # no machine paths
    explorer = (review.site / "notebooks" / "02-score-and-explore.html").read_text(encoding="utf-8")
    assert "litscope-explorer-snapshot" in explorer and "litscope-table" in explorer   # a snapshot
    assert (review.site / "review.html").read_text(encoding="utf-8").count('class="litscope-card"') >= 2


def test_a_review_page_that_cites_two_papers_has_their_references(review):
    page = (review.site / "review.html").read_text(encoding="utf-8")
    assert re.findall(r'<div id="ref-([\w-]+)" class="csl-entry', page) == ["cheng2025signroundv2", "wang2025rlhfspec"]
    assert 'data-cites="wang2025rlhfspec"' in page and 'data-cites="cheng2025signroundv2"' in page   # hover previews
    cards = re.findall(r'<div class="litscope-card".*?<a href="([^"]+)"', page, re.S)
    assert cards and all(href.startswith("curated/days/") for href in cards)   # cards link to the sections


def test_the_methods_page_draws_the_stores_prisma_counts(review):
    from litscope.publish.prisma import prisma_counts
    from litscope.store import Store
    store = Store(review.root / "data")
    counts = prisma_counts(store, included=_sections(review.root))
    chart = html.unescape(re.search(r'<pre class="mermaid[^"]*"[^>]*>(.*?)</pre>',
                                    (review.site / "curated" / "methods.html").read_text(encoding="utf-8"),
                                    re.S).group(1))
    assert f"Records screened (n = {store.count():,})" in chart and counts.screened == store.count()
    assert f"digests: {len(store.sources()):,}" in chart
    assert f"Papers included in the review (n = {counts.included:,})" in chart and counts.included == 60
    assert f"Records not chosen by the ranking (n = {counts.excluded_by_ranking:,})" in chart
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', (review.site / "curated" / "methods.html").read_text())
    mermaid = [s for s in scripts if "mermaid" in s]     # Quarto's own mermaid.js draws it, no outside service
    assert mermaid and all((review.site / "curated" / s).is_file() for s in mermaid)


def test_review_feed_and_search(review):
    sections = _sections(review.root)
    feed = feedparser.parse(str(review.site / "index.xml"))
    assert not feed.bozo and feed.entries
    for entry in feed.entries:                        # every item links to its section
        assert entry.link.startswith("https://example.org/litscope-sample/curated/days/")
        page, anchor = entry.link.removeprefix("https://example.org/litscope-sample/").split("#")
        assert f'id="{anchor}"' in (review.site / page).read_text(encoding="utf-8")
    index = json.loads((review.site / "search.json").read_text(encoding="utf-8"))
    hrefs = {entry["href"] for entry in index}
    assert "notebooks/03-curate.html" in {h.split("#")[0] for h in hrefs}
    assert {f"curated/{h}" for h in sections.values()} <= hrefs                 # a paper is found by its section
    papers = [e for e in index if "#paper-" in e["href"]]
    assert not [e for e in papers if "Why it is here" in e["text"] or "@misc{" in e["text"]]   # no score tables
    assert not [e for e in index if e["href"].startswith(("curated/2025-12.html", "curated/archive.html"))]
    _no_secret(review)


# -- a new review, as its person makes it ----------------------------------------------------------
JOURNEY_TITLE = "Efficient LLM inference"


@pytest.fixture(scope="module")
def journey(tmp_path_factory) -> Journey:
    return new_review_journey(tmp_path_factory.mktemp("journey"), JOURNEY_TITLE)


def test_a_new_review_publishes_on_the_first_try_and_rendering_changes_nothing(journey):
    rendered = journey.rendered
    assert rendered.problems() == []
    print(f"\nnew review: {rendered.figures()}")
    assert journey.after == journey.before and journey.before[0] > 0 and len(journey.before[1]) == 3
    index = (rendered.site / "index.html").read_text(encoding="utf-8")
    assert re.search(r"<title>(.*?)</title>", index, re.S).group(1).strip() == JOURNEY_TITLE
    assert f'<span class="navbar-title">{JOURNEY_TITLE}</span>' in index
    assert "Making large language models cheaper to run." in index
    score_out = dict(journey.commands)["litscope score --top 10"]
    best = re.findall(r"^\s*\d+\s+[\d.]+\s+\S+\s+\S+\s+(\S+)", score_out, re.M)
    excluded = {line.split(":")[0] for c, out in journey.commands if c.startswith("litscope label")
                and c.endswith("exclude") for line in out.splitlines()}
    sections = _sections(rendered.root)
    assert len(best) == 10 and set(best) - excluded <= set(sections) and not excluded & set(sections)
    for paper in set(best) - excluded:             # the best papers have their sections on the site
        page, anchor = sections[paper].split("#")
        assert f'id="{anchor}"' in (rendered.site / "curated" / page).read_text(encoding="utf-8")
    assert re.findall(r'<a href="\./curated/days/', index)
    included = [line.split(":")[0] for c, out in journey.commands if c.startswith("litscope label")
                and "include" in c for line in out.splitlines()][0].split(", ")
    review = (rendered.site / "review.html").read_text(encoding="utf-8")
    assert review.count('class="litscope-card"') >= len(included)
    methods = _text((rendered.site / "curated" / "methods.html").read_text(encoding="utf-8"))
    assert "A model learned from the review's decisions gives 50% of the score" in methods
    assert "sample review" not in _text(index) and "alignment and agents" not in _text(index)   # not litscope's
    decided = (rendered.root / "decisions" / "a-reviewer.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(decided) == 3


def test_one_more_day_renders_only_its_page_and_the_pages_that_list_it(journey):
    import os
    import subprocess
    import sys
    from litscope.publish.render import STAMP
    from litscope.schema import papers_frame
    from litscope.store import Store
    root = journey.rendered.root
    site = root / "_site"
    store = Store(root / "data")
    old = sorted((site / "curated" / "days").glob("2*.html"))
    day = (pd.Timestamp(old[-1].stem) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")   # the day after the newest
    texts = {page: (root / "curated" / "days" / f"{page.stem}.qmd").read_text(encoding="utf-8") for page in old}
    store.add_papers(papers_frame([{"id": f"2512.990{i:02d}", "title": f"Speculative decoding with a KV cache, part {i}",
                                    "authors": ["Ada Lee"], "abstract": f"We draft tokens; zorblat{i} verifies them.",
                                    "primary_category": "cs.CL", "categories": ["cs.CL"], "source": "arxiv",
                                    "published": f"{day}T09:00:00Z"} for i in range(3)]))
    run = subprocess.run([sys.executable, "-m", "litscope.cli", "publish", "--render"], cwd=root, text=True,
                         capture_output=True, env={**os.environ, "QUARTO_PYTHON": sys.executable}, timeout=900)
    output = re.sub(r"\x1b\[[0-9;]*m|\r", "", run.stdout + run.stderr)
    assert run.returncode == 0 and not Rendered(root, output, 0).problems(), output[-3000:]
    rendered = set(re.findall(r"^\[\s*\d+/\d+\] (\S+)", output, re.M)) | {   # Quarto numbers no lone page
        f"{page}.qmd" for page in re.findall(r"^Output created: _site/(\S+)\.html", output, re.M)}
    # a day whose picks changed (nothing recorded them: no 'litscope update' ran) is rendered again too
    changed = {f"curated/days/{page.stem}.qmd" for page, text in texts.items()
               if (root / "curated" / "days" / f"{page.stem}.qmd").read_text(encoding="utf-8") != text}
    assert rendered == {f"curated/days/{day}.qmd", "index.qmd", f"curated/{day[:7]}.qmd", "curated/methods.qmd",
                        "review.qmd", *changed}, output[-3000:]   # review.qmd runs code: it is always rendered
    assert "pages are current" in output                      # litscope wrote them; the pre-render step did not
    assert f"curated/days/{day}.html" in (site / "index.html").read_text(encoding="utf-8")
    docs = json.loads((site / "search.json").read_text(encoding="utf-8"))
    hits = [d["href"] for d in docs if "zorblat1" in d["text"]]     # its section (and the review page's cards)
    assert [h for h in hits if h.startswith("curated/")] == [f"curated/days/{day}.html#paper-2512-99001"], hits
    assert f"curated/days/{day}.qmd" in json.loads((root / STAMP).read_text(encoding="utf-8"))["pages"]
    again = subprocess.run([sys.executable, "-m", "litscope.cli", "publish", "--render"], cwd=root, text=True,
                           capture_output=True, env={**os.environ, "QUARTO_PYTHON": sys.executable}, timeout=900)
    assert "Rendered 1 changed page(s)" in again.stdout and ": review.qmd" in again.stdout, again.stdout


def test_a_new_review_with_an_empty_store_renders_a_clear_page(tmp_path):
    from litscope.cli import main
    assert main(["init", str(tmp_path / "review"), "--title", "Nothing yet"]) == 0
    rendered = render(tmp_path / "review")
    assert rendered.problems() == []
    index = _text((rendered.site / "index.html").read_text(encoding="utf-8"))
    assert "Nothing yet" in index and "No papers yet" in index and "store is empty" in index
    assert "litscope import FILE" in index
    assert _store_state(tmp_path / "review") == (0, [])


# -- hostile papers ------------------------------------------------------------------------------
def test_hostile_project_renders_without_warnings_or_leaks(hostile):
    assert hostile.problems() == []
    print(f"\nhostile project: {hostile.figures()}")
    _no_secret(hostile)
    for path in hostile.site.rglob("*"):
        if path.is_file():
            assert b"root:x:0:0" not in path.read_bytes(), path   # /etc/passwd was not included


def test_hostile_text_is_never_markup_on_any_page(hostile):
    for page in hostile.pages:
        elements = _elements(page)
        for tag, attrs in elements.tags:
            for name, value in attrs.items():
                assert not (name.startswith("on") and "alert" in value), (page, tag, name)
                assert not (name in ("href", "src") and value.strip().lower().startswith(("javascript:", "data:"))), \
                    (page, tag, value)
            assert not (tag == "img" and attrs.get("src") == "x"), page
        assert not [s for s in elements.scripts if "alert(" in s], page


def _shown(text: str) -> str:
    """What a reader sees of `text` on a page: TeX as text, math as MathJax's input."""
    return re.sub(r"\$([^$]*)\$", r"\\(\1\\)", one_line(tex_to_text(text)))


def test_hostile_text_shows_as_text(hostile):
    site_title = yaml.safe_load((hostile.root / "_quarto.yml").read_text(encoding="utf-8"))["website"]["title"]
    for paper in hostile_papers().itertuples():
        page = (hostile.site / "curated" / "days" / f"{paper.published:%Y-%m-%d}.html").read_text(encoding="utf-8")
        title = re.search(rf'<h2 [^>]*id="{paper_anchor(paper.id)}"[^>]*>(.*?)</h2>', page, re.S)
        title = title or re.search(rf'id="{paper_anchor(paper.id)}"[^>]*>\s*<h2[^>]*>(.*?)</h2>', page, re.S)
        assert _text(title.group(1)) == _shown(paper.title)
        head_title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
        assert _text(head_title) == f"Papers of {paper.published:%Y-%m-%d} – {site_title}"
    page = (hostile.site / "curated" / "days" / "2025-12-01.html").read_text(encoding="utf-8")
    for shown in ("<script>alert(1)</script>", "{{< include /etc/passwd >}}", "{{< env LITSCOPE_TEST_SECRET >}}",
                  "@cite", "[click](javascript:alert(3))", "# note heading", "\\(x\\)"):
        assert shown in _text(page), shown


def test_hostile_feed_is_valid_rss_of_text(hostile):
    raw = (hostile.site / "index.xml").read_text(encoding="utf-8")
    assert "<script" not in raw and "<img" not in raw
    feed = feedparser.parse(raw)
    assert not feed.bozo and len(feed.entries) == 3
    assert {e.title for e in feed.entries} == {one_line(tex_to_text(t)) for t in hostile_papers()["title"]}
    for entry in feed.entries:
        assert "<script>alert(1)</script> @cite < env LITSCOPE_TEST_SECRET >" in _text(entry.summary)
        page, anchor = entry.link.removeprefix("https://example.org/hostile/").split("#")
        assert f'id="{anchor}"' in (hostile.site / page).read_text(encoding="utf-8")


def test_hostile_search_index_holds_text(hostile):
    index = json.loads((hostile.site / "search.json").read_text(encoding="utf-8"))
    titles = {_shown(t) for t in hostile_papers()["title"]}
    papers = [e for e in index if "#paper-" in e["href"]]
    assert papers and {e["section"] for e in papers} == titles   # the search box shows titles as text
    assert not [e for e in index if "<" in e["text"]]          # the rest is escaped HTML


def test_hostile_notebook_and_cards_show_text(hostile):
    page = (hostile.site / "notebooks" / "hostile.html").read_text(encoding="utf-8")
    assert "cdn.jsdelivr.net" not in page and page.count('class="litscope-card"') == 3
    assert _text(page).count("{{< env LITSCOPE_TEST_SECRET >}}") >= 5
