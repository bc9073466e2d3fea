"""The review's pages: schema-valid YAML, pages Pandoc converts, hostile text inert in every
context Quarto reads, the front page's listing and categories, and a folder that an
interrupted `litscope publish` leaves whole. `test_render.py` renders them with Quarto."""
from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pypandoc
import pytest
import scipy.sparse as sp
import yaml
from ruamel.yaml import YAML

from hostile import ENV, LONG, PAYLOADS, SCRIPT, SHORTCODE, hostile_papers
from litscope.cli import main
from litscope.config import SiteSettings
from litscope.errors import PublishError
from litscope.publish import build_site, show, site_papers
from litscope.publish.markdown import (category_text, dump_yaml, escape_inline, escape_markdown,
                                      front_matter, html_text, meta_text, one_line, raw_html, safe_url)
from litscope.publish.quarto_hooks import WIDGET_VIEW, static_outputs
from litscope.publish.quarto_schema import (SchemaChecker, check_front_matter, check_project_file,
                                            check_site, split_front_matter)
from litscope.publish.site import LISTING_FILE, MANIFEST, QUARTO_HELP, paper_categories
from litscope.schema import papers_frame
from litscope.store import Store

REPO = Path(__file__).resolve().parents[1]
SHARED_SCHEMA = REPO.parent / "shared" / "quarto" / "quarto-1.10.18-schemas.json"
FEED = "https://example.org/review/"


def _papers(n: int = 6) -> pd.DataFrame:
    """Small scored papers over two days, three categories and two topics."""
    rows = [{"id": f"2512.0{i:04d}", "version": 1, "title": f"Paper {i} on speculative decoding",
             "authors": [f"Author {i}", "B. Coauthor", "C. Third", "D. Fourth"],
             "abstract": f"We study decoding number {i}.", "primary_category": ["cs.CL", "cs.LG", "cs.AI"][i % 3],
             "categories": [["cs.CL", "cs.LG", "cs.AI"][i % 3], "stat.ML"],
             "published": f"2025-12-0{1 + i % 2}T10:00:00Z",
             "source": "test", "abs_url": f"https://arxiv.org/abs/2512.0{i:04d}",
             "pdf_url": f"https://arxiv.org/pdf/2512.0{i:04d}", "tldr": f"TL;DR {i}",
             "topic": "Efficiency" if i % 2 else None, "subtopic": "Decoding" if i % 2 else None,
             "tags": ["fast"] if i == 1 else [], "title_zh": "中文标题" if i == 2 else None,
             "summary": "## Key idea\n\n- **bold** point" if i == 3 else None} for i in range(n)]
    frame = papers_frame(rows)
    frame["score"] = [float(n - i) for i in range(n)]
    frame["rank"] = range(1, n + 1)
    return frame


@pytest.fixture
def site(tmp_path):
    report = build_site(_papers(), tmp_path / "curated", settings=SiteSettings(top_n=4, per_day=0), site_url=FEED)
    return tmp_path / "curated", report


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    out = tmp_path_factory.mktemp("hostile") / "curated"
    build_site(hostile_papers(), out, notes={"2512.00001": SCRIPT + "\n# note heading\n" + SHORTCODE + ENV},
               site_url=FEED)
    return out


def _pages(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.qmd"))


def _html(page: Path, extensions: str = "") -> str:
    return pypandoc.convert_file(str(page), "html", format="markdown" + extensions,
                                 extra_args=["--standalone", "--wrap=none", "--metadata=pagetitle:p"])


def _meta(page: Path) -> dict:
    return split_front_matter(page.read_text(encoding="utf-8"))[0]


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# -- the schema checker ---------------------------------------------------------------------
def test_shipped_schema_is_quartos_own():
    if not SHARED_SCHEMA.is_file():
        pytest.skip("../shared/quarto is absent")
    shipped = REPO / "lib" / "litscope" / "templates" / "quarto" / "schema-1.10.18.json"
    assert shipped.read_bytes() == SHARED_SCHEMA.read_bytes()


def test_checker_rejects_unknown_keys_and_bad_enums():
    checker = SchemaChecker()
    assert checker.check({"type": "website", "output-dir": "_site"}, "ProjectConfig") == []
    assert any("bogus" in e for e in checker.check({"type": "website", "bogus": 1}, "ProjectConfig"))
    bad_enum = checker.check({"type": "carousel"}, "WebsiteListing")
    assert bad_enum and "carousel" in bad_enum[0]
    assert checker.check({"sort-ui": ["score"], "feed": {"type": "partial"}}, "WebsiteListing") == []
    assert any("feed.type" in e for e in checker.check({"feed": {"type": "everything"}}, "WebsiteListing"))
    assert any("expected number" in e for e in checker.check({"page-size": "ten"}, "WebsiteListing"))


def test_checker_resolves_refs_and_any_of():
    checker = SchemaChecker()
    website = {"navbar": {"left": [{"href": "index.qmd", "text": "Home"}, "about.qmd"]},
               "search": {"location": "navbar", "type": "overlay"}}
    assert checker.check(website, "BaseWebsite") == []
    errors = checker.check({"navbar": {"left": [{"hreff": "x"}]}}, "BaseWebsite")
    assert errors and "navbar.left[0].hreff" in errors[0]
    assert checker.check({"search": {"location": "footer"}}, "BaseWebsite")


def test_checker_refuses_schema_nodes_it_does_not_understand():
    with pytest.raises(ValueError, match="unsupported"):
        SchemaChecker({}).check("x", {"oneOf": [{"type": "string"}]})
    with pytest.raises(ValueError, match="unresolvable"):
        SchemaChecker({}).check("x", {"$ref": "#/$defs/Nope"})


def test_front_matter_and_project_file_checks():
    assert check_project_file({"project": {"type": "website"}, "execute": {"freeze": "auto"}}) == []
    assert check_project_file({"execute": {"freeze": "sometimes"}})
    assert check_project_file({"format": {"html": {"toc": "yes"}}})
    assert check_front_matter({"title": "x", "page-layout": "wide"})
    assert check_front_matter({"title": "x", "score": 1.5})
    assert check_front_matter({"title": "x", "score": 1.5}, custom_fields={"score"}) == []
    assert check_front_matter({"metadata-files": ["a.yml"], "ipynb-filters": ["f.py x"]}) == []


# -- the repository's website, which `litscope init` writes ----------------------------------
def test_repository_site_is_one_website_with_the_curated_pages():
    config = yaml.safe_load((REPO / "_quarto.yml").read_text(encoding="utf-8"))
    assert check_project_file(config) == []
    project = config["project"]
    assert project["type"] == "website" and project["pre-render"] == "_litscope.py pages"
    out = yaml.safe_load((REPO / "litscope.yml").read_text(encoding="utf-8"))["site"]["out"]
    assert project["render"] == ["/*.qmd", "/notebooks/*.ipynb", f"/{out}/**/*.qmd"]   # not lib/**
    assert "execute" not in config        # a page runs its code; a notebook shows what it saved
    navbar = json.dumps(config["website"]["navbar"])
    for page in ("index.qmd", f"{out}/topics/index.qmd", f"{out}/days/index.qmd", f"{out}/methods.qmd",
                 "review.qmd", "notebooks/02-score-and-explore.ipynb"):
        assert f'"{page}"' in navbar, page
    index = _meta(REPO / "index.qmd")
    assert check_front_matter(index) == [] and index["metadata-files"] == [f"{out}/{LISTING_FILE}"]
    notebooks = yaml.safe_load((REPO / "notebooks" / "_metadata.yml").read_text(encoding="utf-8"))
    assert notebooks == {"execute": {"enabled": False}, "ipynb-filters": ["../_litscope.py static-outputs"]}
    for page in ("index.qmd", "review.qmd"):
        assert "{{<" not in (REPO / page).read_text(encoding="utf-8")
        pypandoc.convert_file(str(REPO / page), "html", format="markdown")


def test_project_template_ships_the_repository_site():
    shipped = REPO / "lib" / "litscope" / "templates" / "project"
    for name in ("_litscope.py", "notebooks"):              # the rest: templates (tests/test_project.py)
        assert (shipped / name).resolve() == (REPO / name).resolve(), name
    ignored = [line for line in (REPO / "lib" / "litscope" / "templates" / "project" / "gitignore")
               .read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    assert {"curated/", ".litscope-staging-*", "_site/", "_freeze/", "data/"} <= set(ignored)
    assert not {"decisions/", "library/", "digests/"} & set(ignored)


def test_quarto_hook_script_explains_its_use(tmp_path):
    run = subprocess.run([sys.executable, str(REPO / "_litscope.py"), "render"], cwd=tmp_path,
                         capture_output=True, text=True)
    assert run.returncode == 2 and "usage: _litscope.py pages | static-outputs" in run.stderr


def test_pre_render_hook_writes_the_pages_of_a_project(tmp_path):
    assert main(["init", str(tmp_path)]) == 0
    Store(tmp_path / "data").add_papers(_papers().drop(columns=["score", "rank"]))
    run = subprocess.run([sys.executable, "_litscope.py", "pages"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "6 paper pages" in run.stdout and (tmp_path / "curated" / "papers" / "2512.00005.qmd").is_file()
    assert check_site(tmp_path) == []
    again = subprocess.run([sys.executable, "_litscope.py", "pages"], cwd=tmp_path, capture_output=True, text=True)
    assert "(unchanged)" in again.stdout and "render:" not in again.stdout
    (tmp_path / "litscope.yml").write_text("site: {out: pages}\n", encoding="utf-8")
    moved = subprocess.run([sys.executable, "_litscope.py", "pages"], cwd=tmp_path, capture_output=True, text=True)
    assert "does not list '/pages/**/*.qmd'" in moved.stdout   # _quarto.yml renders curated/ only


# -- the pages ------------------------------------------------------------------------------
def test_site_pages_and_report(site):
    out, report = site
    assert report.n_papers == 4 and report.n_candidates == 6 and report.feed
    assert report.pages["papers"] == [f"papers/2512.0{i:04d}.qmd" for i in range(4)]
    assert report.pages["days"] == ["days/2025-12-02.qmd", "days/2025-12-01.qmd", "days/index.qmd"]
    # a topic's page name: its slug and, since that is not the name itself, a hash of it
    assert report.pages["topics"] == ["topics/decoding--475f3041.qmd", "topics/index.qmd"]
    assert report.pages["methods"] == ["methods.qmd"]
    assert not (out / "_quarto.yml").exists() and not (out / "index.qmd").exists()
    for figure in ("papers-per-day", "papers-per-category", "score-distribution"):
        assert (out / "figures" / f"{figure}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (out / "figures" / "top-terms.png").exists()  # no scorer, no term matches
    assert "4 paper pages" in report.summary() and "index.xml" in report.summary()
    assert json.loads((out / MANIFEST).read_text())[0] == LISTING_FILE


def test_every_generated_yaml_follows_quartos_schema(site):
    out, _ = site
    assert check_site(out) == []
    for page in _pages(out):
        assert isinstance(_meta(page).get("title"), str) and _meta(page)["title"]


def test_front_page_listing_newest_day_first_with_categories_search_sort_and_feed(site):
    out, _ = site
    listing = yaml.safe_load((out / LISTING_FILE).read_text(encoding="utf-8"))["listing"]
    assert listing["contents"] == "curated/papers/*.qmd"   # relative to index.qmd beside the folder
    assert listing["filter-ui"] is True and listing["categories"] is True
    assert "sort" not in listing and listing["sort-ui"] == ["date", "score", "title"]   # by `order`
    # Quarto sorts by a custom field only when it lists it, both ways when it is a number
    assert "score" in listing["fields"] and listing["field-types"] == {"score": "number"}
    assert listing["feed"] == {"type": "partial"}


def test_paper_front_matter(site):
    out, _ = site
    paper = _meta(out / "papers" / "2512.00001.qmd")
    assert paper == {"title": "Paper 1 on speculative decoding", "date": "2025-12-02",
                     "categories": ["Efficiency", "Decoding", "cs.LG"],
                     "byline": "Author 1, B. Coauthor, C. Third et al.", "score": "5.000", "order": 1}
    # no description: Quarto copies it into the RSS feed unescaped; the feed and the
    # listing take the page's first paragraph, the TL;DR
    html = _html(out / "papers" / "2512.00001.qmd")
    assert re.search(r"<p>(.*?)</p>", html.split("</header>")[-1]).group(1) == "<strong>TL;DR:</strong> TL;DR 1"


def test_listings_show_the_newest_day_first_best_first_and_undated_papers_last(tmp_path):
    papers = _papers()
    papers.loc[4, "published"] = pd.NaT
    build_site(papers, tmp_path / "curated")
    order = {page.stem: _meta(page)["order"] for page in (tmp_path / "curated" / "papers").glob("*.qmd")}
    # 2025-12-02: papers 1, 3, 5 (scores 5, 3, 1); 2025-12-01: 0, 2 (6, 4); undated: 4
    assert sorted(order, key=order.get) == [f"2512.0000{i}" for i in (1, 3, 5, 0, 2, 4)]


def test_missing_authors_and_dates_show_nothing(tmp_path):
    papers = _papers(2)
    papers["authors"] = [[], []]
    papers["published"] = pd.Series([pd.NaT, pd.NaT], dtype=papers["published"].dtype)
    papers["tldr"] = pd.array([None, None], dtype="string")
    build_site(papers, tmp_path / "curated")
    meta = _meta(tmp_path / "curated" / "papers" / "2512.00000.qmd")
    assert "byline" not in meta and "date" not in meta
    html = _html(tmp_path / "curated" / "papers" / "2512.00000.qmd")
    assert "unknown" not in html and "Authors" not in html
    assert re.search(r"<p>(.*?)</p>", html.split("</header>")[-1]).group(1) == "We study decoding number 0."
    assert "No published paper has a submission date yet." in _html(tmp_path / "curated" / "days" / "index.qmd")


def test_categories_are_topics_as_named_primary_categories_and_merged_tags():
    rows = [{"id": f"2512.0{i:04d}", "title": f"T{i}", "source": "t", "primary_category": "cs.CL",
             "topic": "基础/前沿模型 (含LLM)", "subtopic": "Agent 与工具使用" if i < 2 else None,
             "tags": tags} for i, tags in enumerate([["LLM agents", "Agent", "once"], ["LLM-Agent", "agent"],
                                                       ["llm agent", "cs.cl; RLHF"], ["rlhf"]])]
    categories = paper_categories(papers_frame(rows))
    assert categories[0] == ["基础/前沿模型 (含LLM)", "Agent 与工具使用", "cs.CL", "LLM agents", "Agent"]
    assert categories[1] == ["基础/前沿模型 (含LLM)", "Agent 与工具使用", "cs.CL", "LLM agents", "Agent"]
    assert categories[2] == ["基础/前沿模型 (含LLM)", "cs.CL", "LLM agents", "RLHF"]
    assert categories[3] == ["基础/前沿模型 (含LLM)", "cs.CL", "RLHF"]   # "once" is on one paper only
    assert {c for row in paper_categories(papers_frame(rows), most=4) for c in row} == \
        {"基础/前沿模型 (含LLM)", "Agent 与工具使用", "cs.CL", "LLM agents"}


def test_sample_front_page_lists_a_few_dozen_categories(tmp_path):
    from litscope.sample import load_sample
    from litscope.score.profile import load_profile
    report = build_site(load_sample(), tmp_path / "curated", profile=load_profile(REPO / "profile.yml"))
    categories = {c for page in _pages(tmp_path / "curated" / "papers") for c in _meta(page).get("categories", [])}
    assert report.n_papers == 60 and 10 <= len(categories) <= 40
    assert "基础/前沿模型 (含LLM)" in categories and not {"agent", "Agents"} & categories


def test_feed_asked_for_without_site_url_is_reported(tmp_path):
    report = build_site(_papers(), tmp_path / "s", settings=SiteSettings(feed=True))
    assert not report.feed and any("website.site-url" in w for w in report.warnings)
    assert "feed" not in yaml.safe_load((tmp_path / "s" / LISTING_FILE).read_text())["listing"]
    assert build_site(_papers(), tmp_path / "t", settings=SiteSettings(feed=False)).warnings == []


def test_day_pages_group_by_category(site):
    out, _ = site
    text = (out / "days" / "2025-12-01.qmd").read_text(encoding="utf-8")
    html = _html(out / "days" / "2025-12-01.qmd")
    assert [h for h in re.findall(r"<h2[^>]*>(.*?)</h2>", html)] == ["cs.AI", "cs.CL"]
    assert "[Paper 0 on speculative decoding](../papers/2512.00000.qmd)" in text


def test_paper_page_shows_metadata_summary_and_score(site):
    out, _ = site
    html = _html(out / "papers" / "2512.00003.qmd")
    assert 'href="https://arxiv.org/abs/2512.00003"' in html and 'href="https://arxiv.org/pdf/2512.00003"' in html
    assert "<h5>Key idea</h5>" in html and "<strong>bold</strong>" in html
    assert "Author 3, B. Coauthor, C. Third, D. Fourth" in html
    assert "<strong>3.000</strong>" in html and "give a profile to explain it" in html
    assert '<a href="../topics/decoding--475f3041.html">Decoding</a>' in html
    assert "中文标题" in _html(out / "papers" / "2512.00002.qmd")


def test_paper_pages_list_related_papers_in_this_review(tmp_path):
    papers = _papers()
    papers.loc[0, "abstract"] = "Draft models propose tokens that the target model verifies in parallel."
    papers.loc[2, "abstract"] = "A draft model proposes tokens; the target model verifies them in one pass."
    build_site(papers, tmp_path / "site", settings=SiteSettings(top_n=6))
    html = _html(tmp_path / "site" / "papers" / "2512.00000.qmd")
    assert "Related papers in this review" in html
    related = html.split("Related papers in this review", 1)[1]
    assert 'href="2512.00002.qmd"' in related and "Paper 2 on speculative decoding" in related
    assert 'href="2512.00000.qmd"' not in related      # never itself


class _FakeScorer:
    """The scorer interface publish uses: score(), explain(id), highlight(id, field), and the
    term count matrices and profile terms that `litscope.plots.term_matches` reads."""

    def __init__(self, papers: pd.DataFrame):
        self.papers = papers
        self.counts_ = {"abstract": sp.csc_matrix(np.ones((len(papers), 1), dtype=np.int32))}
        self.profile = SimpleNamespace(terms=[SimpleNamespace(key="decoding")])

    def score(self, columns=None) -> pd.DataFrame:
        scored = self.papers.assign(score=[2.5] * len(self.papers), rank=range(1, len(self.papers) + 1))
        return scored[[*(columns or self.papers.columns), "score", "rank"]]

    def explain(self, paper_id: str) -> pd.DataFrame:
        return pd.DataFrame({"term": ["decoding", "a|b <i>"], "field": ["abstract", "title"],
                             "matches": [1, 1], "weight": [2.0, 0.5], "contribution": [2.0, 0.5]})

    def highlight(self, paper_id: str, field: str = "abstract") -> str:
        if paper_id.endswith("1"):
            return '<img src=x onerror="alert(1)">'
        return "We study <mark>decoding</mark> &lt;b&gt; {{&lt; meta x &gt;}}"


def test_scorer_explanations_and_highlights(tmp_path):
    papers = _papers().drop(columns=["score", "rank"])
    build_site(papers, tmp_path / "s", scorer=_FakeScorer(papers), settings=SiteSettings(top_n=6, per_day=0))
    html = _html(tmp_path / "s" / "papers" / "2512.00000.qmd")
    assert "<mark>decoding</mark>" in html and "&lt;b&gt;" in html
    assert "<td>a|b &lt;i&gt;</td>" in html and "sum to the score" in html
    assert (tmp_path / "s" / "figures" / "top-terms.png").is_file()
    assert 'src="figures/top-terms.png"' in _html(tmp_path / "s" / "methods.qmd")
    text = (tmp_path / "s" / "papers" / "2512.00000.qmd").read_text(encoding="utf-8")
    assert "{{<" not in text
    # a highlight with markup other than <mark> is not trusted: the plain abstract is shown
    other = _html(tmp_path / "s" / "papers" / "2512.00001.qmd")
    assert "<img" not in other and "We study decoding number 1." in other


def test_curate_include_uses_labels(tmp_path):
    labels = pd.DataFrame({"id": ["2512.00004", "2512.00001"], "label": ["include", "exclude"]})
    report = build_site(_papers(), tmp_path / "s", settings=SiteSettings(curate="include"), labels=labels)
    assert report.pages["papers"] == ["papers/2512.00004.qmd"]
    with pytest.raises(PublishError, match="labelled include"):
        build_site(_papers(), tmp_path / "t", settings=SiteSettings(curate="include"), labels=labels[:0])


def test_the_best_of_each_day_join_the_best_of_all():
    papers = _papers(8)   # scores 8..1; days alternate, 2025-12-01 has the best
    chosen, how = site_papers(papers, SiteSettings(top_n=2, per_day=2))
    assert list(chosen["id"]) == ["2512.00000", "2512.00001", "2512.00002", "2512.00003"]
    assert "2 best of each submission day" in how
    assert len(site_papers(papers, SiteSettings(top_n=2, per_day=0))[0]) == 2


def test_unscored_papers_are_published_newest_first():
    chosen, how = site_papers(_papers().drop(columns=["score", "rank"]), SiteSettings(top_n=2, per_day=0))
    assert list(chosen["published"].dt.day) == [2, 2] and "newest" in how


def test_no_papers_give_the_pages_without_a_listing(tmp_path):
    report = build_site(_papers()[:0], tmp_path / "curated")
    listing = yaml.safe_load((tmp_path / "curated" / LISTING_FILE).read_text())
    assert report.n_pages == 3 and "listing" not in listing                 # Quarto warns of an empty one
    assert listing["description"].startswith("No papers yet") and "litscope import" in listing["description"]
    assert check_site(tmp_path / "curated") == []
    assert "fetch" in _html(tmp_path / "curated" / "methods.qmd")


# -- replacing the folder -------------------------------------------------------------------
def test_rebuild_replaces_the_folder_and_an_unchanged_build_touches_nothing(tmp_path):
    out = tmp_path / "curated"
    build_site(_papers(), out, settings=SiteSettings(top_n=5, per_day=0))
    report = build_site(_papers(), out, settings=SiteSettings(top_n=2, per_day=0))
    assert sorted(p.name for p in (out / "papers").iterdir()) == ["2512.00000.qmd", "2512.00001.qmd"]
    assert report.changed > 0 and "papers/2512.00004.qmd" not in (out / MANIFEST).read_text()
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    inode = out.stat().st_ino
    again = build_site(_papers(), out, settings=SiteSettings(top_n=2, per_day=0))
    assert again.changed == 0 and "(unchanged)" in again.summary()
    assert out.stat().st_ino == inode and {p: p.stat().st_mtime_ns for p in out.rglob("*")} == stamps
    assert [p.name for p in tmp_path.iterdir()] == ["curated"]   # no staging folder left


def test_refuses_to_write_into_a_foreign_folder(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("x")
    with pytest.raises(PublishError, match="did not write"):
        build_site(_papers(), tmp_path / "mine")
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == ["thesis.tex"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


# A `litscope publish` that kills itself (SIGKILL) at one point of its work.
_KILLED_PUBLISH = """
import os, signal, sys
import litscope.publish.site as site
point = sys.argv[1]
die = lambda: os.kill(os.getpid(), signal.SIGKILL)
if point == "writing":            # half of the pages are in the staging folder
    write, count = site._SiteWriter.write, [0]
    def write_then_die(self, *args, **kwargs):
        count[0] += 1
        if count[0] > 3:
            die()
        write(self, *args, **kwargs)
    site._SiteWriter.write = write_then_die
elif point == "before-swap":      # the staging folder is complete
    site._swap_in = lambda staging, out: die()
elif point == "after-exchange":   # the new pages are in place, the old ones beside them
    exchange = site._exchange
    site._exchange = lambda a, b: exchange(a, b) and die()
elif point == "between-renames":  # a system without atomic exchange: the old pages moved away
    site._exchange = lambda a, b: False
    rename = os.rename
    def rename_then_die(src, dst):
        rename(src, dst)
        if str(dst).endswith("-old"):
            die()
    os.rename = rename_then_die
from litscope.cli import main
main(["publish"])
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project with 6 papers whose pages folder holds the pages of the top 5."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "litscope.yml").write_text("site: {top_n: 5, per_day: 0}\n", encoding="utf-8")
    Store(tmp_path / "data").add_papers(_papers().drop(columns=["score", "rank"]))
    assert main(["publish"]) == 0
    return tmp_path


def _publish_top(project: Path, n: int) -> subprocess.Popen:
    (project / "litscope.yml").write_text(f"site: {{top_n: {n}, per_day: 0}}\n", encoding="utf-8")
    return subprocess.Popen([sys.executable, "-c", "from litscope.cli import main; main(['publish'])"],
                            cwd=project, stdout=subprocess.DEVNULL)


@pytest.mark.slow
@pytest.mark.parametrize("point", ["writing", "before-swap", "after-exchange", "between-renames"])
def test_killed_publish_leaves_whole_pages_and_the_next_run_succeeds(project, point, tmp_path_factory):
    before = _tree(project / "curated")
    (project / "litscope.yml").write_text("site: {top_n: 2, per_day: 0}\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-c", _KILLED_PUBLISH, point], cwd=project, capture_output=True)
    assert run.returncode == -signal.SIGKILL, run.stderr.decode()
    after_kill = _tree(project / "curated") if (project / "curated").exists() else None
    if point == "after-exchange":
        assert len([f for f in after_kill if f.startswith("papers/")]) == 2   # the new pages, whole
    elif point != "between-renames":
        assert after_kill == before                                          # the previous pages, whole
    assert main(["publish"]) == 0
    clean = tmp_path_factory.mktemp("clean")
    build_site(Store(project / "data").papers(), clean / "curated", settings=SiteSettings(top_n=2, per_day=0),
               listing_prefix="curated/")
    assert _tree(project / "curated") == _tree(clean / "curated")            # no orphan pages
    assert sorted(p.name for p in project.iterdir()) == ["curated", "data", "litscope.yml"]


@pytest.mark.slow
def test_publish_killed_at_any_moment_leaves_one_whole_version(project):
    versions = [_tree(project / "curated")]
    for delay in (0.5, 1.0, 1.5, 2.0, 3.0):
        process = _publish_top(project, 2 + len(versions) % 2)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        pages = sorted(f for f in _tree(project / "curated") if f.startswith("papers/"))
        assert len(pages) in (5, 2, 3)
    assert _publish_top(project, 2).wait() == 0
    assert len([f for f in _tree(project / "curated") if f.startswith("papers/")]) == 2
    assert sorted(p.name for p in project.iterdir()) == ["curated", "data", "litscope.yml"]


# -- hostile text ---------------------------------------------------------------------------
def _inlines(node, found: list[list[dict]]) -> list[list[dict]]:
    """Every list of inlines in a Pandoc JSON document (what Quarto scans for shortcodes)."""
    if isinstance(node, list):
        if node and all(isinstance(n, dict) and "t" in n for n in node):
            found.append(node)
        for item in node:
            _inlines(item, found)
    elif isinstance(node, dict):
        for value in node.values():
            _inlines(value, found)
    return found


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_escaped_text_renders_as_itself(name):
    text = PAYLOADS[name]
    for escaped in (escape_inline(text), meta_text(text)):
        plain = pypandoc.convert_text(escaped, "plain", format="markdown", extra_args=["--wrap=none"])
        assert plain.strip() == one_line(text)   # Quarto's Markdown, smart quotes and dashes included
    assert "{{<" not in escape_markdown(text)


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_front_matter_text_never_opens_a_shortcode(name):
    """Quarto expands a shortcode in front matter when, after Pandoc has parsed it, a piece of
    text ends with ``{{<`` (and fails on one that starts with ``>}}``); it warns of ``:::``."""
    page = front_matter({"title": f"x {PAYLOADS[name]} y", "subtitle": PAYLOADS[name]}) + "\n"
    ast = json.loads(pypandoc.convert_text(page, "json", format="markdown"))
    strings = [n["c"] for inlines in _inlines(ast["meta"], []) for n in inlines if n["t"] == "Str"]
    assert strings and not [s for s in strings if s.endswith("{{<") or s.startswith(">}}") or ":::" in s]


def test_category_text_keeps_names_and_replaces_what_quarto_cannot_carry():
    assert category_text("基础/前沿模型 (含LLM)") == "基础/前沿模型 (含LLM)"
    assert category_text("cs.CL") == "cs.CL" and category_text("  a\nb ") == "a b"
    hostile = category_text('x, <b>&amp;</b> C:\\dir "q" {{< env X >}}')
    assert not set(hostile) & set(",<>&\\")
    assert hostile == 'x\u201a \u2039b\u203a\uff06amp;\u2039/b\u203a C:\u29f5dir "q" {{\u2039 env X \u203a}}'


def test_html_text_and_raw_html():
    assert html_text("<b> & {{< x >}} $1 @c *e*") == \
        "&#60;b&#62; &#38; &#123;&#123;&#60; x &#62;&#125;&#125; &#36;1 &#64;c &#42;e&#42;"
    assert raw_html("<p>{{< env X >}} ```</p>") == "````{=html}\n<p>&#123;&#123;< env X >}} ```</p>\n````"


def test_yaml_front_matter_escapes_every_string_but_litscope_markup():
    from markupsafe import Markup
    text = front_matter({"title": "<b>", "categories": ["a, b"], "listing": {"contents": Markup("p/*.qmd")}})
    meta, _ = split_front_matter(text + "\n")
    assert meta == {"title": "[\\<]{}b[\\>]{}", "categories": ["a\u201a b"], "listing": {"contents": "p/*.qmd"}}


def test_hostile_front_matter_parses_to_the_escaped_strings(hostile_site):
    for page in _pages(hostile_site):
        raw = page.read_text(encoding="utf-8")
        head = raw.split("\n---\n", 1)[0] + "\n"
        meta, _ = split_front_matter(raw)
        assert YAML(typ="safe").load(head.removeprefix("---\n")) == meta  # YAML 1.2 reads it alike
    meta = _meta(hostile_site / "papers" / "2512.00002.qmd")
    assert meta["title"] == meta_text("---\ntitle: injected\n---")
    assert meta["byline"] == meta_text(f"{SCRIPT}, O'Brien, \"Jr.\", # Heading et al.")
    assert "description" not in meta
    assert all(not set(c) & set(",<>&\\") for c in meta["categories"])


@pytest.mark.parametrize("text", ["1e3", "0o17", "0x1F", "+.inf", ".NaN", "true", "Null", "~", "yes",
                                  "2025-12-01", "12:30", "-", "- x", "? y", "*a", "&b", "!c", "%d", "@e"])
def test_yaml_strings_stay_strings_for_yaml_1_1_and_1_2(text):
    dumped = dump_yaml({"title": text, "categories": [text]})
    assert yaml.safe_load(dumped) == {"title": text, "categories": [text]}  # YAML 1.1
    assert YAML(typ="safe", pure=True).load(dumped) == {"title": text, "categories": [text]}  # 1.2


def test_check_site_reads_yaml_as_quarto_does(site):
    out, _ = site
    page = out / "papers" / "2512.00000.qmd"
    page.write_text(page.read_text(encoding="utf-8").replace("title: Paper 0 on speculative decoding",
                                                             "title: 1e3"), encoding="utf-8")
    (out / "extra.qmd").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    problems = check_site(out)
    assert any(p.startswith("papers/2512.00000.qmd: title: expected string") for p in problems)
    assert any(p.startswith("extra.qmd: invalid YAML") for p in problems)
    with pytest.raises(PublishError, match="no such folder"):
        check_site(out / "nowhere")


def test_hostile_site_follows_quartos_schema(hostile_site):
    assert check_site(hostile_site) == []


def test_hostile_text_never_reaches_quarto_as_markup(hostile_site):
    for page in _pages(hostile_site):
        text = page.read_text(encoding="utf-8")
        assert "{{<" not in text and not re.search(r"(?<!\\)<script", text), page
        assert text.count("\n---\n") == 1 and text.startswith("---\n"), page  # one front matter
        html = _html(page)
        for marker in ("<script>alert", "<img src=x", 'class="math', "data-cites", "<!-- hidden",
                       'href="javascript:', '<img src="http://evil', "<b>raw</b>", 'class="callout-warning'):
            assert marker not in html, (page, marker)
        assert "Injected heading</h" not in html and "injected</h" not in html
        body = html.split("</header>", 1)[-1]
        assert "<hr" not in body, page


def test_hostile_paper_page_shows_the_text(hostile_site):
    html = re.sub(r"</?span>", "", _html(hostile_site / "papers" / "2512.00001.qmd"))
    title = re.search(r'<h1 class="title">(.*?)</h1>', html, re.S).group(1)
    assert " ".join(title.split()) == \
        "&lt;script&gt;alert(1)&lt;/script&gt; {{&lt; include /etc/passwd &gt;}} {{&lt; env LITSCOPE_TEST_SECRET &gt;}}"
    for shown in ("&lt;script&gt;alert(1)&lt;/script&gt;", "{{&lt; include /etc/passwd &gt;}}", "$x$",
                  "@cite", "# Injected heading", "C:\\path\\to\\file \\alpha \\\\ end\\", "Ünïcödé 中文 🚀",
                  "[click](javascript:alert(3))", "&lt;!-- hidden --&gt;", "# note heading",
                  "key: \"value\" 'quoted'", "::: {.callout-warning}"):
        assert shown in html, shown
    assert LONG.strip()[:200] in html
    # links from outside are http(s) only: the javascript: abs_url gives way to the arXiv one
    assert 'href="https://arxiv.org/abs/2512.00001"' in html
    assert 'href="https://arxiv.org/pdf/2512.00001%22%29%3Cx%3E"' in html


def test_safe_url():
    assert safe_url("javascript:alert(1)") is None and safe_url("data:text/html,x") is None
    assert safe_url("https://a.org/x y)") == "https://a.org/x%20y%29"
    assert safe_url("https://a.org/{{<x>}}") == "https://a.org/%7B%7B%3Cx%3E%7D%7D"


def test_site_for_the_embedded_sample(tmp_path):
    from litscope.sample import load_sample
    sample = load_sample()
    sample["score"] = range(len(sample))
    report = build_site(sample, tmp_path / "s", settings=SiteSettings(top_n=60, per_day=0))
    assert report.pages["topics"] and len(report.pages["papers"]) == 60
    for page in _pages(tmp_path / "s"):
        assert "{{<" not in page.read_text(encoding="utf-8")
        _html(page)  # Pandoc converts every page


# -- notebook outputs on the website and `show` -----------------------------------------------
def _notebook(*outputs: dict) -> dict:
    return {"cells": [{"cell_type": "code", "source": "x", "metadata": {}, "execution_count": 1,
                       "outputs": list(outputs)}],
            "metadata": {"widgets": {"application/vnd.jupyter.widget-state+json": {}}},
            "nbformat": 4, "nbformat_minor": 5}


def test_static_outputs_leave_no_widget_script_html_or_shortcode():
    notebook = static_outputs(_notebook(
        {"output_type": "display_data", "metadata": {},
         "data": {WIDGET_VIEW: {"model_id": "m"}, "text/plain": "Explorer(…)", "text/html": "<b>{{< env X >}}</b>"}},
        {"output_type": "display_data", "metadata": {}, "data": {WIDGET_VIEW: {"model_id": "t"}, "text/plain": "100%"}},
        {"output_type": "stream", "name": "stdout", "text": ["a {{< env X >}}\n"]},
        {"output_type": "execute_result", "metadata": {}, "execution_count": 1,
         "data": {"text/markdown": "md {{< env X >}}", "application/javascript": "alert(1)", "text/plain": "x"}}))
    assert "widgets" not in notebook["metadata"]
    first, progress, stream, result = notebook["cells"][0]["outputs"]
    assert set(first["data"]) == {"text/plain", "text/markdown"}
    assert first["data"]["text/markdown"] == "```{=html}\n<b>&#123;&#123;< env X >}}</b>\n```"
    assert progress["data"] == {"text/plain": "100%"}
    assert stream["text"] == "a {{\u2060< env X >}}\n"
    assert result["data"] == {"text/markdown": "md &#123;&#123;< env X >}}", "text/plain": "x"}
    assert "{{<" not in json.dumps(notebook, ensure_ascii=False)


def test_static_outputs_filter_runs_as_quarto_runs_it():
    notebook = _notebook({"output_type": "display_data", "metadata": {}, "data": {"text/html": "<i>x</i>"}})
    run = subprocess.run([sys.executable, "../_litscope.py", "static-outputs"], cwd=REPO / "notebooks",
                         input=json.dumps(notebook), capture_output=True, text=True, check=True)
    assert json.loads(run.stdout)["cells"][0]["outputs"][0]["data"] == {"text/markdown": "```{=html}\n<i>x</i>\n```"}


def test_show_gives_cards_as_markdown_with_every_text_inert():
    cards = show(hostile_papers(), limit=2)
    markdown = cards._repr_markdown_()
    assert not hasattr(cards, "_repr_html_")   # text/html would make Quarto load require.js
    assert markdown.count('class="litscope-card"') == 2 and "… and 1 more" in markdown
    assert "{{<" not in markdown and "<script" not in markdown and "<img" not in markdown
    html = pypandoc.convert_text(markdown, "html", format="markdown")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and 'href="https://arxiv.org/abs/2512.00001"' in html
    assert "<em>" not in html and 'class="math' not in html
    assert "No papers" in show(hostile_papers()[:0])._repr_markdown_()


# -- the command ------------------------------------------------------------------------------
def test_publish_command(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("litscope.publish.find_quarto", lambda: None)  # as on a machine without Quarto
    assert main(["init", "."]) == 0
    Store(tmp_path / "data").add_papers(_papers().drop(columns=["score", "rank"]))
    assert main(["publish", "--check", "--render"]) == 0
    out = capsys.readouterr().out
    assert "follows Quarto 1.10's schema" in out and f"Checked {tmp_path}" in out
    assert QUARTO_HELP.format(root=tmp_path) in out
    assert (tmp_path / "curated" / LISTING_FILE).is_file()
    assert main(["publish", "--out", "web"]) == 0 and (tmp_path / "web" / "methods.qmd").is_file()
    assert main(["publish", "--out", "web", "--render"]) == 2
    assert "leave out --out" in capsys.readouterr().err


def test_publish_command_on_an_empty_store(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["publish", "--data", "data"]) == 2
    assert "holds no papers" in capsys.readouterr().err


# -- with the scoring engine ------------------------------------------------------------------
@pytest.fixture
def profile(tmp_path):
    load_profile = pytest.importorskip("litscope.score.profile").load_profile
    path = tmp_path / "profile.yml"
    path.write_text("name: test <profile>\nterms:\n  - script: 2\n  - decoding: 1.5\n  - /al+ert/: 1\n"
                    "exclude:\n  - passwd zzz\ncategory_boosts:\n  cs.CL: 0.5\n", encoding="utf-8")
    return load_profile(path)


def test_site_scored_by_a_profile(tmp_path, profile):
    from litscope.score.engine import Scorer
    papers = _papers()
    scorer = Scorer(profile).fit(papers.drop(columns=["score", "rank"]))
    report = build_site(papers, tmp_path / "s", scorer=scorer, profile=profile, settings=SiteSettings(top_n=3, per_day=0))
    best = scorer.score().iloc[0]
    assert report.pages["papers"][0] == f"papers/{best['id']}.qmd"
    page = tmp_path / "s" / report.pages["papers"][0]
    meta, body = split_front_matter(page.read_text(encoding="utf-8"))
    assert meta["score"] == f"{best['score']:.3f}"
    rows = [line for line in body.splitlines() if line.startswith("| ") and "Term" not in line]
    assert len(rows) == len(scorer.explain(best["id"]))
    html = _html(page)
    assert '<mark class="litscope-pos" title="decoding">decoding</mark>' in html
    methods = _html(tmp_path / "s" / "methods.qmd")
    assert "<td>decoding</td>" in methods and "<td>category boost</td>" in methods
    assert "test &lt;profile&gt;" in methods
    assert check_site(tmp_path / "s") == []


def test_hostile_papers_scored_by_a_profile(tmp_path, profile):
    out = tmp_path / "s"
    build_site(hostile_papers(), out, profile=profile, settings=SiteSettings(top_n=3, per_day=0))
    assert check_site(out) == []
    for page in _pages(out):
        html = _html(page)
        assert "<script>alert" not in html and "<img src=x" not in html
    html = _html(out / "papers" / "2512.00001.qmd")
    assert '<mark class="litscope-pos" title="script">script</mark>' in html


def test_hostile_papers_through_the_store_and_the_command(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    store = Store(tmp_path / "data")
    store.add_papers(hostile_papers().drop(columns=["score", "rank"]))
    store.set_note("2512.00002", "---\ntitle: pwned\n---\n" + SCRIPT)
    store.set_label("2512.00002", "include")
    assert main(["publish", "--data", "data", "--out", "web", "--check"]) == 0
    assert "3 paper pages" in capsys.readouterr().out
    page = tmp_path / "web" / "papers" / "2512.00002.qmd"
    assert _meta(page)["title"] == meta_text("---\ntitle: injected\n---")
    html = _html(page)
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "title: pwned" in html  # the note is shown as text


def _stub_quarto(folder: Path, exit_code: int) -> None:
    """An executable named quarto that records its working folder, arguments and Python."""
    script = folder / "quarto"
    script.write_text(f"#!/bin/sh\necho \"$PWD $QUARTO_PYTHON $@\" > \"{folder}/quarto-args\"\nexit {exit_code}\n")
    script.chmod(0o755)


def test_render_runs_quarto_in_the_project_with_this_python(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _stub_quarto(bin_dir, 0)
    monkeypatch.setenv("LITSCOPE_QUARTO", str(bin_dir / "quarto"))
    monkeypatch.delenv("QUARTO_PYTHON", raising=False)
    assert main(["init", "review"]) == 0
    monkeypatch.chdir(tmp_path / "review")
    Store("data").add_papers(_papers().drop(columns=["score", "rank"]))
    assert main(["publish", "--render"]) == 0
    assert f"Rendered the website into {tmp_path / 'review' / '_site'}" in capsys.readouterr().out
    assert (bin_dir / "quarto-args").read_text().split() == [str(tmp_path / "review"), sys.executable, "render"]
    _stub_quarto(bin_dir, 1)
    assert main(["publish", "--render"]) == 2
    err = capsys.readouterr().err
    assert "'quarto render' in" in err and "failed with exit code 1" in err


def test_page_slugs_never_collide_with_each_other_or_fixed_pages_and_stay_put(tmp_path):
    """Ids Foo/foo/foo-2 and topics Topic/topic/topic 2/index used to get colliding slugs, so
    one page silently replaced another (seed 004's real topics already gave llm and llm-2)."""
    from cli import litscope
    ids = ["Foo", "foo", "foo-2", "index", "2512.00001", "h:0123456789abcdef", "2512.00002", "2512.00003"]
    topics = ["Topic", "topic", "topic 2", "index", "LLM", "llm", "基础/前沿模型 (含LLM)", "methods"]
    papers = papers_frame([{"id": i, "title": f"Paper {i}", "source": "test", "published": "2025-12-01",
                            "topic": topics[n % len(topics)]} for n, i in enumerate(ids)]
                          + [{"id": f"2512.1000{n}", "title": f"More {n}", "source": "test",
                              "published": "2025-12-02", "topic": t, "subtopic": "Other"}
                             for n, t in enumerate(topics[:2])])
    Store(tmp_path / "data").add_papers(papers)
    (tmp_path / "litscope.yml").write_text("site: {top_n: 100}\n", encoding="utf-8")
    done = litscope("publish", "--allow-empty", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    pages = lambda kind: sorted(p.name for p in (tmp_path / "curated" / kind).glob("*.qmd"))
    assert len(pages("papers")) == len(papers)                       # no page replaced another
    assert len(pages("topics")) == len(topics) + 2 + 1               # + the two 'Other's, + the index
    assert {"2512.00001.qmd", "foo.qmd", "foo-2.qmd"} <= set(pages("papers"))   # names that are slugs stay
    assert "index.qmd" not in pages("papers") and "methods.qmd" not in pages("topics")
    topics_index = (tmp_path / "curated" / "topics" / "index.qmd").read_text(encoding="utf-8")
    assert topics_index.count("](") >= len(topics) + 2               # the topics' index page is its own
    before = {kind: pages(kind) for kind in ("papers", "topics")}
    Store(tmp_path / "data").add_papers(papers_frame([{"id": "FOO", "title": "Later", "source": "test",
                                                       "published": "2025-12-03", "topic": "TOPIC"}]))
    assert litscope("publish", "--allow-empty", cwd=tmp_path).returncode == 0
    assert set(before["papers"]) < set(pages("papers")) and set(before["topics"]) < set(pages("topics"))
