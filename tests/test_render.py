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
import pytest
import yaml

from hostile import SECRET, hostile_papers
from litscope.publish.markdown import one_line, page_slugs
from litscope.publish.quarto_schema import split_front_matter
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


def test_review_is_one_site_of_papers_topics_days_methods_notebooks_and_own_pages(review):
    site = review.site
    assert len(list((site / "curated" / "papers").glob("*.html"))) == 60
    for page in ("index.html", "review.html", "curated/topics/index.html", "curated/days/index.html",
                 "curated/methods.html", "index.xml", "search.json"):
        assert (site / page).is_file(), page
    notebooks = sorted(p.name for p in (site / "notebooks").glob("*.html"))
    assert notebooks == ["01-fetch-and-import.html", "02-score-and-explore.html", "03-curate.html",
                         "04-publish.html", "05-library.html"]
    navbar = re.search(r'<nav class="navbar.*?</nav>', (site / "curated" / "methods.html").read_text(), re.S)
    for link in ("index.html", "curated/topics/index.html", "review.html", "notebooks/02-score-and-explore.html"):
        assert link in navbar.group(0), link


def test_front_page_lists_the_newest_day_first_under_a_few_dozen_categories(review):
    page = (review.site / "index.html").read_text(encoding="utf-8")
    categories = re.findall(r'<div class="category" data-category="[^"]*">(.*?) <span', page)
    assert 10 <= len(categories) - 1 <= 40 and "基础/前沿模型 (含LLM)" in categories
    listed = re.findall(r'<h3 class="no-anchor listing-title">\s*<a href="\./curated/papers/([^"]+)\.html"', page)
    assert len(listed) == 60
    papers = {p.stem: split_front_matter(p.read_text(encoding="utf-8"))[0]
              for p in (review.root / "curated" / "papers").glob("*.qmd")}
    keys = [(str(papers[slug].get("date", "")), float(papers[slug]["score"])) for slug in listed]
    assert keys == sorted(keys, reverse=True)   # newest day first (undated last), best first
    assert "(authors unknown)" not in page and "(no abstract)" not in page


def test_notebooks_are_executed_and_load_no_script_from_a_cdn(review):
    for page in (review.site / "notebooks").glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "cdn.jsdelivr.net" not in text and "define(" not in text, page.name
        assert 'class="cell-output' in text, page.name
    explorer = (review.site / "notebooks" / "02-score-and-explore.html").read_text(encoding="utf-8")
    assert "litscope-explorer-snapshot" in explorer and "litscope-table" in explorer   # a snapshot
    assert (review.site / "review.html").read_text(encoding="utf-8").count('class="litscope-card"') >= 2


def test_review_feed_and_search(review):
    feed = feedparser.parse(str(review.site / "index.xml"))
    assert not feed.bozo and feed.entries and all(e.link.startswith("https://example.org/litscope-sample/")
                                                  for e in feed.entries)
    index = json.loads((review.site / "search.json").read_text(encoding="utf-8"))
    hrefs = {entry["href"].split("#")[0] for entry in index}
    assert "notebooks/03-curate.html" in hrefs and sum(h.startswith("curated/papers/") for h in hrefs) == 60
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
    assert len(best) == 10 and all((rendered.site / "curated" / "papers" / f"{p}.html").is_file() for p in best)
    listed = re.findall(r'<a href="\./curated/papers/([^"]+)\.html"', index)
    assert listed and set(best) <= set(listed)
    included = [line.split(":")[0] for c, out in journey.commands if c.startswith("litscope label")
                and "include" in c for line in out.splitlines()][0].split(", ")
    review = (rendered.site / "review.html").read_text(encoding="utf-8")
    assert review.count('class="litscope-card"') >= len(included)
    methods = _text((rendered.site / "curated" / "methods.html").read_text(encoding="utf-8"))
    assert "A model learned from the review's decisions gives 50% of the score" in methods
    assert "sample review" not in _text(index) and "alignment and agents" not in _text(index)   # not litscope's
    decided = (rendered.root / "decisions" / "a-reviewer.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(decided) == 3


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


def test_hostile_text_shows_as_text(hostile):
    for paper in hostile_papers().itertuples():
        slug = page_slugs([paper.id], "paper")[0]
        page = (hostile.site / "curated" / "papers" / f"{slug}.html").read_text(encoding="utf-8")
        title = re.search(r'<h1 class="title">(.*?)</h1>', page, re.S).group(1)
        assert _text(title) == one_line(paper.title)
        head_title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
        site_title = yaml.safe_load((hostile.root / "_quarto.yml").read_text(encoding="utf-8"))["website"]["title"]
        assert _text(head_title) == f"{one_line(paper.title)} – {site_title}"
    page = (hostile.site / "curated" / "papers" / "2512.00001.html").read_text(encoding="utf-8")
    for shown in ("<script>alert(1)</script>", "{{< include /etc/passwd >}}", "{{< env LITSCOPE_TEST_SECRET >}}",
                  "{{{< env LITSCOPE_TEST_SECRET >}}}", "{{</* env LITSCOPE_TEST_SECRET */>}}", "$x$", "@cite",
                  "[click](javascript:alert(3))", "::: {.callout-warning}", "# note heading"):
        assert shown in _text(page), shown


def test_hostile_feed_is_valid_rss_of_text(hostile):
    raw = (hostile.site / "index.xml").read_text(encoding="utf-8")
    assert "<script" not in raw and "<img" not in raw
    feed = feedparser.parse(raw)
    assert not feed.bozo and len(feed.entries) == 3
    assert {e.title for e in feed.entries} == {one_line(t) for t in hostile_papers()["title"]}
    for entry in feed.entries:
        assert "<script>alert(1)</script> @cite {{< env LITSCOPE_TEST_SECRET >}}" in _text(entry.summary)


def test_hostile_search_index_holds_text(hostile):
    index = json.loads((hostile.site / "search.json").read_text(encoding="utf-8"))
    titles = {one_line(t) for t in hostile_papers()["title"]}
    papers = [e for e in index if e["href"].startswith("curated/papers/")]
    assert papers and {e["title"] for e in papers} <= titles   # the search box shows titles as text
    assert not [e for e in index if "<" in e["text"]]          # the rest is escaped HTML


def test_hostile_notebook_and_cards_show_text(hostile):
    page = (hostile.site / "notebooks" / "hostile.html").read_text(encoding="utf-8")
    assert "cdn.jsdelivr.net" not in page and page.count('class="litscope-card"') == 3
    assert _text(page).count("{{< env LITSCOPE_TEST_SECRET >}}") >= 5
