"""The review's pages: schema-valid YAML, pages Pandoc converts, hostile text inert in every
context Quarto reads, the front page's listing and categories, and a folder that an
interrupted `litscope publish` leaves whole. `test_render.py` renders them with Quarto."""
from __future__ import annotations

import html
import json
import os
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
from litscope.publish.text import tex_to_text
from litscope.publish.markdown import (category_text, dump_yaml, escape_inline, escape_markdown,
                                      front_matter, html_text, meta_text, one_line, raw_html, safe_url)
from litscope.publish.quarto_hooks import WIDGET_VIEW, static_outputs
from litscope.publish.quarto_schema import (SchemaChecker, check_front_matter, check_project_file,
                                            check_site, split_front_matter)
from litscope.publish.archive import NOINDEX_END, NOINDEX_START
from litscope.publish.render import ENV_PAGES_CURRENT, QUARTO_HELP
from litscope.publish.site import LISTING_FILE, MANIFEST
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


def _sections(folder: Path) -> list[str]:
    """The ids of the papers on the day pages of `folder`."""
    return sorted(m.replace("-", ".", 1) for page in (folder / "days").glob("*.qmd")
                  for m in re.findall(r"\{#paper-(\d{4}-\d{5})\}", page.read_text(encoding="utf-8")))


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
    assert project["post-render"] == "_litscope.py finish"
    out = yaml.safe_load((REPO / "litscope.yml").read_text(encoding="utf-8"))["site"]["out"]
    assert project["render"] == ["/*.qmd", "/notebooks/*.ipynb", f"/{out}/**/*.qmd"]   # not lib/**
    assert "execute" not in config        # a page runs its code; a notebook shows what it saved
    assert config["bibliography"] == f"{out}/references.bib"   # [@key] on every page
    assert config["format"]["html"]["css"] == f"{out}/litscope.css"
    navbar = json.dumps(config["website"]["navbar"])
    for page in ("index.qmd", f"{out}/archive.qmd", f"{out}/methods.qmd", "review.qmd",
                 "notebooks/02-score-and-explore.ipynb", "index.xml"):
        assert f'"{page}"' in navbar, page
    index = _meta(REPO / "index.qmd")
    assert check_front_matter(index) == [] and index["metadata-files"] == [f"{out}/{LISTING_FILE}"]
    notebooks = yaml.safe_load((REPO / "notebooks" / "_metadata.yml").read_text(encoding="utf-8"))
    assert notebooks == {"execute": {"enabled": False}, "ipynb-filters": ["../_litscope.py static-outputs"]}
    for page in ("index.qmd", "review.qmd"):
        assert "{{<" not in (REPO / page).read_text(encoding="utf-8")
        pypandoc.convert_file(str(REPO / page), "html", format="markdown")
    front = (REPO / "index.qmd").read_text(encoding="utf-8")
    assert "yours" not in front.split("-->")[-1] and "on the right" not in front   # a reader's page


def test_project_template_ships_the_repository_site():
    shipped = REPO / "lib" / "litscope" / "templates" / "project"
    for name in ("_litscope.py", "notebooks"):              # the rest: templates (tests/test_project.py)
        assert (shipped / name).resolve() == (REPO / name).resolve(), name
    ignored = [line for line in (REPO / "lib" / "litscope" / "templates" / "project" / "gitignore")
               .read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    assert {"curated/", ".litscope-staging-*", "_site/", "_freeze/", "data/"} <= set(ignored)
    assert not {"decisions/", "library/", "digests/", "published/"} & set(ignored)


@pytest.mark.slow
def test_quarto_hook_script_explains_its_use(tmp_path):
    run = subprocess.run([sys.executable, str(REPO / "_litscope.py"), "render"], cwd=tmp_path,
                         capture_output=True, text=True)
    assert run.returncode == 2 and "usage: _litscope.py pages | finish | static-outputs" in run.stderr


@pytest.mark.slow
def test_pre_render_hook_writes_the_pages_of_a_project(tmp_path):
    assert main(["init", str(tmp_path)]) == 0
    Store(tmp_path / "data").add_papers(_papers().drop(columns=["score", "rank"]))
    run = subprocess.run([sys.executable, "_litscope.py", "pages"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "6 of 6 papers on 2 day pages" in run.stdout and "into curated:" in run.stdout
    assert (tmp_path / "curated" / "days" / "2025-12-02.qmd").is_file()
    assert check_site(tmp_path) == []
    again = subprocess.run([sys.executable, "_litscope.py", "pages"], cwd=tmp_path, capture_output=True, text=True)
    assert "(unchanged)" in again.stdout and "render:" not in again.stdout
    current = subprocess.run([sys.executable, "_litscope.py", "pages"], cwd=tmp_path, capture_output=True, text=True,
                             env={**os.environ, ENV_PAGES_CURRENT: "1"})
    assert "pages are current" in current.stdout
    (tmp_path / "litscope.yml").write_text("site: {out: pages}\n", encoding="utf-8")
    moved = subprocess.run([sys.executable, "_litscope.py", "pages"], cwd=tmp_path, capture_output=True, text=True)
    assert "does not list '/pages/**/*.qmd'" in moved.stdout   # _quarto.yml renders curated/ only


@pytest.mark.slow
def test_post_render_hook_finishes_the_site_and_stamps_what_quarto_rendered(tmp_path):
    assert main(["init", str(tmp_path), "--site-url", "https://example.org/r/"]) == 0
    Store(tmp_path / "data").add_papers(_papers().drop(columns=["score", "rank"]))
    subprocess.run([sys.executable, "_litscope.py", "pages"], cwd=tmp_path, check=True, capture_output=True)
    site = tmp_path / "_site"
    (site / "curated" / "days").mkdir(parents=True)
    (site / "curated" / "days" / "2025-12-02.html").write_text("<html></html>")
    (site / "search.json").write_text(json.dumps([{"href": "x.html", "text": f"a {NOINDEX_START} b {NOINDEX_END}"}]))
    env = {**os.environ, "QUARTO_PROJECT_OUTPUT_DIR": str(site), "QUARTO_PROJECT_RENDER_ALL": "1",
           "QUARTO_PROJECT_OUTPUT_FILES": "_site/curated/days/2025-12-02.html\n_site/search.json"}
    run = subprocess.run([sys.executable, "_litscope.py", "finish"], cwd=tmp_path, env=env, capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stderr
    assert (site / "index.xml").read_bytes() == (tmp_path / "curated" / "feed.xml").read_bytes()
    assert json.loads((site / "search.json").read_text())[0]["text"] == "a"
    stamp = json.loads((tmp_path / ".quarto" / "litscope-render.json").read_text())
    assert list(stamp["pages"]) == ["curated/days/2025-12-02.qmd"] and stamp["config"]


# -- the pages ------------------------------------------------------------------------------
@pytest.mark.slow
def test_site_pages_and_report(site):
    out, report = site
    assert report.n_papers == 4 and report.n_candidates == 6 and report.feed
    assert report.days == ["days/2025-12-02.qmd", "days/2025-12-01.qmd"]
    for page in ("2025-12.qmd", "archive.qmd", "methods.qmd", "references.bib", "feed.xml", "sections.json",
                 "litscope.css", LISTING_FILE):
        assert (out / page).is_file(), page
    assert not (out / "_quarto.yml").exists() and not (out / "index.qmd").exists()
    for figure in ("papers-per-day", "papers-per-category", "score-distribution"):
        assert (out / "figures" / f"{figure}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (out / "figures" / "top-terms.png").exists()  # no scorer, no term matches
    assert "4 of 6 papers on 2 day pages" in report.summary() and "index.xml" in report.summary()
    assert json.loads((out / MANIFEST).read_text())[0] == "2025-12.qmd"
    assert json.loads((out / "sections.json").read_text()) == {
        f"2512.0{i:04d}": f"days/2025-12-0{1 + i % 2}.html#paper-2512-0{i:04d}" for i in range(4)}


@pytest.mark.slow
def test_every_generated_yaml_follows_quartos_schema(site):
    out, _ = site
    assert check_site(out) == []
    for page in _pages(out):
        assert isinstance(_meta(page).get("title"), str) and _meta(page)["title"]


@pytest.mark.slow
def test_front_page_lists_the_newest_days_a_bounded_number(site):
    out, _ = site
    meta = yaml.safe_load((out / LISTING_FILE).read_text(encoding="utf-8"))
    listing = meta["listing"]
    assert listing["contents"] == "curated/days/????-??-??.qmd"   # relative to index.qmd beside the folder
    assert listing["sort"] == "date desc" and listing["max-items"] == 14 and "feed" not in listing
    assert meta["description"] == "4 papers chosen from the 6 the review screened; the newest are of 2025-12-02."


@pytest.mark.slow
def test_a_day_page_holds_its_papers_best_first_as_sections(site):
    out, _ = site
    page = out / "days" / "2025-12-02.qmd"
    meta = _meta(page)
    assert meta["title"] == "Papers of 2025-12-02" and meta["date"] == "2025-12-02" and meta["toc"] is True
    assert meta["description"].startswith("2 papers submitted to arXiv on 2025-12-02 (cs.LG: 1, cs.CL: 1), best first: "
                                          "Paper 1 on speculative decoding; Paper 3")
    html = _html(page)
    assert re.findall(r'<h2 id="([^"]+)"', html)[-2:] == ["paper-2512-00001", "paper-2512-00003"]
    assert "rank" not in page.read_text(encoding="utf-8")          # nothing that changes with other papers


@pytest.mark.slow
def test_papers_without_a_date_have_a_page_of_their_own_last_in_the_archive(tmp_path):
    papers = _papers()
    papers.loc[4, "published"] = pd.NaT
    report = build_site(papers, tmp_path / "curated")
    assert report.days[-1] == "days/undated.qmd" and "date" not in _meta(tmp_path / "curated" / "days" / "undated.qmd")
    archive = (tmp_path / "curated" / "archive.qmd").read_text(encoding="utf-8")
    assert archive.index("(2025-12.qmd)") < archive.index("(days/undated.qmd)")
    assert "undated" not in yaml.safe_load((tmp_path / "curated" / LISTING_FILE).read_text())["listing"]["contents"]


@pytest.mark.slow
def test_missing_authors_and_dates_show_nothing(tmp_path):
    papers = _papers(2)
    papers["authors"] = [[], []]
    papers["published"] = pd.Series([pd.NaT, pd.NaT], dtype=papers["published"].dtype)
    papers["tldr"] = pd.array([None, None], dtype="string")
    build_site(papers, tmp_path / "curated")
    html = _html(tmp_path / "curated" / "days" / "undated.qmd")
    assert "unknown" not in html and "Authors" not in html and "submitted 2" not in html
    assert "We study decoding number 0." in html
    assert "listing" not in yaml.safe_load((tmp_path / "curated" / LISTING_FILE).read_text())


@pytest.mark.slow
def test_feed_asked_for_without_site_url_is_reported(tmp_path):
    report = build_site(_papers(), tmp_path / "s", settings=SiteSettings(feed=True))
    assert not report.feed and any("website.site-url" in w for w in report.warnings)
    assert not (tmp_path / "s" / "feed.xml").exists()
    assert build_site(_papers(), tmp_path / "t", settings=SiteSettings(feed=False)).warnings == []


@pytest.mark.slow
def test_a_paper_section_shows_metadata_summary_score_and_citation(site):
    out, _ = site
    text = (out / "days" / "2025-12-02.qmd").read_text(encoding="utf-8")
    html = _html(out / "days" / "2025-12-02.qmd")
    section = html.split('id="paper-2512-00003"')[1]
    assert 'href="https://arxiv.org/abs/2512.00003"' in section and 'href="https://arxiv.org/pdf/2512.00003"' in section
    assert "<h5>Key idea</h5>" in section and "<strong>bold</strong>" in section
    assert "Author 3, B. Coauthor, C. Third, D. Fourth" in section
    assert "<em>(from the digest it was imported from)</em>" in section       # the summary says where it is from
    assert "Why it is here: score 3.00" in section
    assert 'href="../methods.qmd#how-papers-are-scored"' in section
    assert "Cite as <code>&#91;&#64;32025paper&#93;</code>" in text and "@misc{32025paper," in text
    assert '<a href="../2025-12.html#topic-decoding--475f3041">Decoding</a>' in html
    assert "中文标题" in _html(out / "days" / "2025-12-01.qmd")


@pytest.mark.slow
def test_extractive_sentences_do_not_pass_for_a_summary(tmp_path):
    papers = _papers(2)
    papers["summary_source"] = ["extractive", "llm:gpt-4o-mini"]
    build_site(papers, tmp_path / "s", settings=SiteSettings(top_n=2, per_day=0))
    first = _html(tmp_path / "s" / "days" / "2025-12-01.qmd")
    second = _html(tmp_path / "s" / "days" / "2025-12-02.qmd")
    assert "TL;DR 0" not in first and "Summary" not in first and "We study decoding number 0." in first
    assert "<em>(generated by gpt-4o-mini)</em>" in second and "TL;DR 1" in second


class _FakeScorer:
    """The scorer interface publish uses: score(), explain(id), and the term count matrices
    and profile terms that `litscope.plots.term_matches` reads."""

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


@pytest.mark.slow
def test_scorer_explanations_are_kept_out_of_search(tmp_path):
    papers = _papers().drop(columns=["score", "rank"])
    build_site(papers, tmp_path / "s", scorer=_FakeScorer(papers), settings=SiteSettings(top_n=6, per_day=0))
    text = (tmp_path / "s" / "days" / "2025-12-01.qmd").read_text(encoding="utf-8")
    html = _html(tmp_path / "s" / "days" / "2025-12-01.qmd")
    assert "<td>a|b &lt;i&gt;</td>" in html and "The contributions add up to the score." in html
    hidden = re.findall(re.escape(NOINDEX_START) + "(.*?)" + re.escape(NOINDEX_END), text, re.S)
    assert len(hidden) == 3 and all("decoding" in h and "@misc{" in h for h in hidden)   # one per paper
    assert (tmp_path / "s" / "figures" / "top-terms.png").is_file()
    assert 'src="figures/top-terms.png"' in _html(tmp_path / "s" / "methods.qmd")
    assert "{{<" not in text


@pytest.mark.slow
def test_curate_include_uses_labels(tmp_path):
    labels = pd.DataFrame({"id": ["2512.00004", "2512.00001"], "label": ["include", "exclude"]})
    report = build_site(_papers(), tmp_path / "s", settings=SiteSettings(curate="include"), labels=labels)
    assert report.n_papers == 1 and report.days == ["days/2025-12-01.qmd"]
    assert "paper-2512-00004" in (tmp_path / "s" / "days" / "2025-12-01.qmd").read_text(encoding="utf-8")
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
    assert report.days == [] and "listing" not in listing                 # Quarto warns of an empty one
    assert listing["description"].startswith("No papers yet") and "litscope import" in listing["description"]
    assert check_site(tmp_path / "curated") == []
    methods = _html(tmp_path / "curated" / "methods.qmd")
    assert "fetch" in methods and "newest-day" not in methods


# -- replacing the folder -------------------------------------------------------------------
@pytest.mark.slow
def test_rebuild_replaces_the_folder_and_an_unchanged_build_touches_nothing(tmp_path):
    out = tmp_path / "curated"
    build_site(_papers(), out, settings=SiteSettings(top_n=5, per_day=0))
    report = build_site(_papers(), out, settings=SiteSettings(top_n=2, per_day=0))
    assert _sections(out) == ["2512.00000", "2512.00001"]
    assert "days/2025-12-01.qmd" in report.changed and "figures/papers-per-day.png" not in report.changed
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    inode = out.stat().st_ino
    again = build_site(_papers(), out, settings=SiteSettings(top_n=2, per_day=0))
    assert again.changed == [] and "(unchanged)" in again.summary()
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
if point == "writing":            # some of the pages are in the staging folder
    import litscope.publish.archive as archive
    write, count = archive._write, [0]
    def write_then_die(*args, **kwargs):
        count[0] += 1
        if count[0] > 1:
            die()
        write(*args, **kwargs)
    archive._write = write_then_die
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
        assert _sections(project / "curated") == ["2512.00001", "2512.00003"]   # the new pages, whole
    elif point != "between-renames":
        assert after_kill == before                                          # the previous pages, whole
    assert main(["publish"]) == 0
    clean = tmp_path_factory.mktemp("clean")
    from litscope.config import open_project
    from litscope.publish import publish_project
    publish_project(open_project(project), out=clean / "curated")
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
        assert len(_sections(project / "curated")) in (5, 2, 3)
    assert _publish_top(project, 2).wait() == 0
    assert len(_sections(project / "curated")) == 2
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
@pytest.mark.slow
def test_escaped_text_renders_as_itself(name):
    text = PAYLOADS[name]
    for escaped in (escape_inline(text), meta_text(text)):
        plain = pypandoc.convert_text(escaped, "plain", format="markdown", extra_args=["--wrap=none"])
        assert plain.strip() == one_line(text)   # Quarto's Markdown, smart quotes and dashes included
    assert "{{<" not in escape_markdown(text)


@pytest.mark.parametrize("name", sorted(PAYLOADS))
@pytest.mark.slow
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


@pytest.mark.slow
def test_hostile_front_matter_parses_to_the_escaped_strings(hostile_site):
    for page in _pages(hostile_site):
        raw = page.read_text(encoding="utf-8")
        head = raw.split("\n---\n", 1)[0] + "\n"
        meta, _ = split_front_matter(raw)
        assert YAML(typ="safe").load(head.removeprefix("---\n")) == meta  # YAML 1.2 reads it alike
    meta = _meta(hostile_site / "days" / "2025-12-01.qmd")
    assert meta["description"] == meta_text("2 papers submitted to arXiv on 2025-12-01 (cs.CL: 2), best first: "
                                            + "; ".join(tex_to_text(t) for t in hostile_papers()["title"][:2]))


@pytest.mark.parametrize("text", ["1e3", "0o17", "0x1F", "+.inf", ".NaN", "true", "Null", "~", "yes",
                                  "2025-12-01", "12:30", "-", "- x", "? y", "*a", "&b", "!c", "%d", "@e"])
def test_yaml_strings_stay_strings_for_yaml_1_1_and_1_2(text):
    dumped = dump_yaml({"title": text, "categories": [text]})
    assert yaml.safe_load(dumped) == {"title": text, "categories": [text]}  # YAML 1.1
    assert YAML(typ="safe", pure=True).load(dumped) == {"title": text, "categories": [text]}  # 1.2


@pytest.mark.slow
def test_check_site_reads_yaml_as_quarto_does(site):
    out, _ = site
    page = out / "days" / "2025-12-01.qmd"
    page.write_text(page.read_text(encoding="utf-8").replace("title: Papers of 2025-12-01", "title: 1e3"),
                    encoding="utf-8")
    (out / "extra.qmd").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    problems = check_site(out)
    assert any(p.startswith("days/2025-12-01.qmd: title: expected string") for p in problems)
    assert any(p.startswith("extra.qmd: invalid YAML") for p in problems)
    with pytest.raises(PublishError, match="no such folder"):
        check_site(out / "nowhere")


def test_hostile_site_follows_quartos_schema(hostile_site):
    assert check_site(hostile_site) == []


@pytest.mark.slow
def test_hostile_text_never_reaches_quarto_as_markup(hostile_site):
    for page in _pages(hostile_site):
        text = page.read_text(encoding="utf-8")
        shown = re.sub(r"^```bibtex\n.*?^```$", "", text, flags=re.S | re.M)   # code: shown as written
        assert "{{<" not in text and not re.search(r"(?<!\\)<script", shown), page
        assert text.count("\n---\n") == 1 and text.startswith("---\n"), page  # one front matter
        html = _html(page)
        for marker in ("<script>alert", "<img src=x", "data-cites", "<!-- hidden", 'href="javascript:',
                       '<img src="http://evil', "<b>raw</b>", 'class="callout-warning'):
            assert marker not in html, (page, marker)
        assert "Injected heading</h" not in html and "injected</h" not in html
        body = html.split("</header>", 1)[-1]
        assert "<hr" not in body, page
        for math in re.findall(r'<span class="math inline">(.*?)</span>', html):   # TeX math stays math
            assert not re.search(r"\\(href|class|require|style)", math), math


def test_hostile_paper_section_shows_the_text(hostile_site):
    html = re.sub(r"</?span>", "", _html(hostile_site / "days" / "2025-12-01.qmd"))
    section = html.split('id="paper-2512-00001"', 1)[1].split('id="paper-2512-00002"')[0]
    title = re.search(r"^[^>]*>(.*?)</h2>", section, re.S).group(1)
    assert " ".join(title.split()) == "&lt;script&gt;alert(1)&lt;/script&gt; &lt; include /etc/passwd &gt; " \
                                      "&lt; env LITSCOPE_TEST_SECRET &gt;"   # TeX braces group, as TeX reads them
    for shown in ("&lt;script&gt;alert(1)&lt;/script&gt;", "@cite", "# Injected heading", "Ünïcödé 中文 🚀",
                  "[click](javascript:alert(3))", "&lt;!– hidden –&gt;", "# note heading",
                  "key: \"value\" 'quoted'", ".callout-warning", "中文标题"):
        assert shown in section, shown
    assert LONG.strip()[:200] in section
    # links from outside are http(s) only: the javascript: abs_url gives way to the arXiv one
    assert 'href="https://arxiv.org/abs/2512.00001"' in section
    assert 'href="https://arxiv.org/pdf/2512.00001%22%29%3Cx%3E"' in section


def test_safe_url():
    assert safe_url("javascript:alert(1)") is None and safe_url("data:text/html,x") is None
    assert safe_url("https://a.org/x y)") == "https://a.org/x%20y%29"
    assert safe_url("https://a.org/{{<x>}}") == "https://a.org/%7B%7B%3Cx%3E%7D%7D"


@pytest.mark.slow
def test_site_for_the_embedded_sample_labels_untitled_papers(tmp_path):
    from litscope.sample import load_sample
    sample = load_sample()
    sample["score"] = range(len(sample))
    report = build_site(sample, tmp_path / "s", settings=SiteSettings(top_n=60, per_day=0))
    assert report.n_papers == 60
    headings = [h for page in _pages(tmp_path / "s" / "days")
                for h in re.findall(r"^## (.*) \{#paper-", page.read_text(encoding="utf-8"), re.M)]
    assert len(headings) == 60 and any(h.startswith("Untitled (") for h in headings)
    derived = set(sample.loc[sample["title_derived"].fillna(False).astype(bool), "title"].map(one_line))
    assert not derived & set(headings)                 # never a cut sentence as if it were a title
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


@pytest.mark.slow
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
    assert "<em>" not in html.replace("<em>TL;DR", "") and 'class="math' not in html
    assert "No papers" in show(hostile_papers()[:0])._repr_markdown_()


@pytest.mark.slow
def test_cards_on_a_page_quarto_renders_link_to_the_papers_sections(tmp_path, monkeypatch):
    assert main(["init", str(tmp_path / "review")]) == 0
    papers = _papers()
    papers.loc[0, "summary_source"] = "extractive"
    papers.loc[1, "summary_source"] = "llm:gpt-4o-mini"
    papers.loc[2, "title"] = r"Bornd\"orfer's $O(n^2)$ trick"
    Store(tmp_path / "review" / "data").add_papers(papers.drop(columns=["score", "rank"]))
    monkeypatch.chdir(tmp_path / "review")
    assert main(["publish"]) == 0
    outside = show(papers)._repr_markdown_()              # in JupyterLab: arXiv
    assert 'href="https://arxiv.org/abs/2512.00000"' in outside and "days/" not in outside
    monkeypatch.setenv("QUARTO_DOCUMENT_PATH", str(tmp_path / "review" / "notebooks"))
    cards = show(papers)._repr_markdown_()
    assert 'href="../curated/days/2025-12-01.html#paper-2512-00000"' in cards
    assert "Borndörfer's $O(n^2)$ trick" in html.unescape(cards)
    assert "We study decoding number 0." in cards and "TL;DR 0" not in cards    # no extract as a TL;DR
    assert "<i>TL;DR (generated by gpt-4o-mini):</i> TL;DR 1" in cards


# -- the command ------------------------------------------------------------------------------
@pytest.mark.slow
def test_publish_command(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("litscope.publish.render.find_quarto", lambda: None)  # as on a machine without Quarto
    monkeypatch.setattr("litscope.publish.find_quarto", lambda: None)
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


@pytest.mark.slow
def test_site_scored_by_a_profile(tmp_path, profile):
    from litscope.score.engine import Scorer
    papers = _papers()
    scorer = Scorer(profile).fit(papers.drop(columns=["score", "rank"]))
    build_site(papers, tmp_path / "s", scorer=scorer, profile=profile, settings=SiteSettings(top_n=3, per_day=0))
    best = scorer.score().iloc[0]
    day = best["published"].strftime("%Y-%m-%d")
    text = (tmp_path / "s" / "days" / f"{day}.qmd").read_text(encoding="utf-8")
    section = text.split(f"{{#paper-{best['id'].replace('.', '-')}}}")[1].split("\n## ")[0]
    assert f"score {best['score']:.2f}" in section
    rows = [line for line in section.splitlines() if line.startswith("| ") and "Term" not in line]
    assert len(rows) == len(scorer.explain(best["id"]))
    methods = _html(tmp_path / "s" / "methods.qmd")
    assert "<td>decoding</td>" in methods and "<td>category boost</td>" in methods
    assert "test &lt;profile&gt;" in methods
    assert check_site(tmp_path / "s") == []


@pytest.mark.slow
def test_hostile_papers_scored_by_a_profile(tmp_path, profile):
    out = tmp_path / "s"
    build_site(hostile_papers(), out, profile=profile, settings=SiteSettings(top_n=3, per_day=0))
    assert check_site(out) == []
    for page in _pages(out):
        html = _html(page)
        assert "<script>alert" not in html and "<img src=x" not in html
    assert "<td>script</td>" in _html(out / "days" / "2025-12-01.qmd")


@pytest.mark.slow
def test_hostile_papers_through_the_store_and_the_command(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    store = Store(tmp_path / "data")
    store.add_papers(hostile_papers().drop(columns=["score", "rank"]))
    store.set_note("2512.00002", "---\ntitle: pwned\n---\n" + SCRIPT)
    store.set_label("2512.00002", "include")
    assert main(["publish", "--data", "data", "--out", "web", "--check"]) == 0
    assert "3 of 3 papers on 2 day pages" in capsys.readouterr().out
    html = _html(tmp_path / "web" / "days" / "2025-12-01.qmd")
    section = html.split('id="paper-2512-00002"')[1]
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in section
    assert "title: pwned" in section  # the note is shown as text
    assert "@misc{" in (tmp_path / "web" / "references.bib").read_text(encoding="utf-8")


def _stub_quarto(folder: Path, exit_code: int) -> None:
    """An executable named quarto that records its working folder, arguments and Python."""
    script = folder / "quarto"
    script.write_text(f"#!/bin/sh\necho \"$PWD $QUARTO_PYTHON $@\" > \"{folder}/quarto-args\"\nexit {exit_code}\n")
    script.chmod(0o755)


@pytest.mark.slow
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
    out = capsys.readouterr().out
    assert f"Rendered the whole website into {tmp_path / 'review' / '_site'} (no earlier render" in out
    assert (bin_dir / "quarto-args").read_text().split() == [str(tmp_path / "review"), sys.executable, "render"]
    _stub_quarto(bin_dir, 1)
    assert main(["publish", "--render"]) == 2
    err = capsys.readouterr().err
    assert "'quarto render' in" in err and "failed with exit code 1" in err


@pytest.mark.slow
def test_topic_anchors_and_paper_sections_never_collide_and_stay_put(tmp_path):
    """Ids Foo/foo/foo-2 and topics Topic/topic/topic 2/index used to get colliding names, so
    one silently replaced another (seed 004's real topics already gave llm and llm-2)."""
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
    sections = lambda: json.loads((tmp_path / "curated" / "sections.json").read_text(encoding="utf-8"))
    before = sections()
    assert len(set(before.values())) == len(before) == len(papers)       # a section per paper
    month = (tmp_path / "curated" / "2025-12.qmd").read_text(encoding="utf-8")
    anchors = re.findall(r"\{#(topic-[^ }]+)", month)
    assert len(anchors) == len(set(anchors)) == len(topics) + 2          # + the two 'Other's
    assert "Other (Topic)" in month and "Other (topic)" in month
    Store(tmp_path / "data").add_papers(papers_frame([{"id": "FOO", "title": "Later", "source": "test",
                                                       "published": "2025-12-03", "topic": "TOPIC"}]))
    assert litscope("publish", "--allow-empty", cwd=tmp_path).returncode == 0
    after = sections()
    assert {i: after[i] for i in before} == before and "FOO" in after
    month = (tmp_path / "curated" / "2025-12.qmd").read_text(encoding="utf-8")
    assert set(anchors) < set(re.findall(r"\{#(topic-[^ }]+)", month))  # the old anchors stay


def test_papers_per_day_counts_a_long_span_per_week_or_month():
    """A year of daily bars was unreadable on the methods page, and slow to draw."""
    import matplotlib
    matplotlib.use("Agg")
    from litscope.plots import plot_papers_per_day
    for days, unit, bars in ((10, "day", 10), (200, "week", 29), (700, "month", 24)):
        frame = pd.DataFrame({"published": pd.date_range("2025-01-01", periods=days, freq="D", tz="UTC"),
                              "primary_category": "cs.LG"})
        ax = plot_papers_per_day(frame)
        assert ax.get_title() == f"Papers per {unit} and category" and len(ax.patches) == bars
        assert sum(p.get_height() for p in ax.patches) == days       # every paper counted once
