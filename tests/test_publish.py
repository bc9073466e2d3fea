"""The Quarto website project: schema-valid YAML, pages Pandoc converts, hostile text inert."""
from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pypandoc
import pytest
import scipy.sparse as sp
import yaml
from ruamel.yaml import YAML

from hostile import LONG, PAYLOADS, SCRIPT, SHORTCODE, hostile_papers
from litscope.cli import main
from litscope.config import SiteSettings
from litscope.errors import PublishError
from litscope.publish import build_site, select_papers
from litscope.publish.markdown import (dump_yaml, escape_inline, escape_markdown, one_line,
                                      safe_category, safe_url)
from litscope.publish.site import MANIFEST, QUARTO_HELP
from litscope.publish.quarto_schema import (SchemaChecker, check_front_matter, check_project_file,
                                    check_site, split_front_matter)
from litscope.schema import papers_frame
from litscope.store import Store

REPO = Path(__file__).resolve().parents[1]
SHARED_SCHEMA = REPO.parent / "shared" / "quarto" / "quarto-1.10.18-schemas.json"


def _papers(n: int = 6) -> pd.DataFrame:
    """Small scored papers over two days, three categories and two topics."""
    rows = [{"id": f"2512.0{i:04d}", "version": 1, "title": f"Paper {i} on speculative decoding",
             "authors": [f"Author {i}", "B. Coauthor", "C. Third", "D. Fourth"],
             "abstract": f"We study decoding number {i}.", "primary_category": ["cs.CL", "cs.LG", "cs.AI"][i % 3],
             "categories": [["cs.CL", "cs.LG", "cs.AI"][i % 3]], "published": f"2025-12-0{1 + i % 2}T10:00:00Z",
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
    settings = SiteSettings(title="Test review", site_url="https://example.org/review/", top_n=4)
    report = build_site(_papers(), tmp_path / "site", settings=settings)
    return tmp_path / "site", report


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    out = tmp_path_factory.mktemp("hostile") / "site"
    build_site(hostile_papers(), out, settings=SiteSettings(title="Hostile"),
               notes={"2512.00001": SCRIPT + "\n# note heading\n" + SHORTCODE})
    return out


def _pages(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.qmd"))


def _html(page: Path, extensions: str = "") -> str:
    return pypandoc.convert_file(str(page), "html", format="markdown" + extensions,
                                 extra_args=["--standalone", "--wrap=none", "--metadata=pagetitle:p"])


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
    # an object without listed properties is an open map (custom listing field types)
    assert checker.check({"field-types": {"score": "number"}}, "WebsiteListing") == []


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


# -- the repository's own website -----------------------------------------------------------
def test_repository_quarto_project_is_valid():
    config = yaml.safe_load((REPO / "_quarto.yml").read_text(encoding="utf-8"))
    assert check_project_file(config) == []
    assert config["project"]["type"] == "website"
    assert config["execute"] == {"enabled": True, "freeze": "auto"}
    render = config["project"]["render"]
    assert "notebooks/*.ipynb" in render
    assert not any(r.startswith(("site", "data", "tests", "lib")) for r in render)
    meta, body = split_front_matter((REPO / "index.qmd").read_text(encoding="utf-8"))
    assert check_front_matter(meta) == [] and meta["title"]
    assert "{{<" not in body
    pypandoc.convert_file(str(REPO / "index.qmd"), "html", format="markdown")


def test_project_template_ships_the_repository_site():
    template = REPO / "lib" / "litscope" / "project"
    for name in ("_quarto.yml", "index.qmd"):
        assert (template / name).resolve() == (REPO / name).resolve()


# -- the generated website ------------------------------------------------------------------
def test_site_pages_and_report(site):
    out, report = site
    assert report.n_papers == 4 and report.n_candidates == 6 and report.feed
    assert report.pages["papers"] == [f"papers/2512.0{i:04d}.qmd" for i in range(4)]
    assert report.pages["days"] == ["days/2025-12-02.qmd", "days/2025-12-01.qmd", "days/index.qmd"]
    assert report.pages["topics"] == ["topics/decoding.qmd", "topics/index.qmd"]
    assert report.pages["methods"] == ["methods.qmd"] and report.pages["index"] == ["index.qmd"]
    for figure in ("papers-per-day", "papers-per-category", "score-distribution"):
        assert (out / "figures" / f"{figure}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (out / "figures" / "top-terms.png").exists()  # no scorer, no term matches
    assert "4 paper pages" in report.summary() and "index.xml" in report.summary()


def test_every_generated_yaml_follows_quartos_schema(site):
    out, _ = site
    assert check_site(out) == []
    config = yaml.safe_load((out / "_quarto.yml").read_text(encoding="utf-8"))
    assert config["website"]["site-url"] == "https://example.org/review/"
    for page in _pages(out):
        meta, _ = split_front_matter(page.read_text(encoding="utf-8"))
        assert isinstance(meta.get("title"), str) and meta["title"]


def test_listing_has_categories_search_sort_and_feed(site):
    out, _ = site
    meta, _ = split_front_matter((out / "index.qmd").read_text(encoding="utf-8"))
    listing = meta["listing"]
    assert listing["contents"] == "papers/*.qmd"
    assert listing["filter-ui"] is True and listing["categories"] is True
    assert listing["sort-ui"] == ["score", "date", "title"]
    # Quarto sorts a custom field only when it is listed in `fields`; as a number when typed
    assert "score" in listing["fields"] and listing["field-types"] == {"score": "number"}
    assert listing["sort"] == "score desc" and listing["feed"] == {"type": "partial"}
    paper, _ = split_front_matter((out / "papers" / "2512.00001.qmd").read_text(encoding="utf-8"))
    assert paper["score"] == 5.0 and paper["date"] == "2025-12-02"
    assert paper["categories"] == ["cs.LG", "Efficiency", "Decoding", "fast"]
    assert paper["byline"] == "Author 1, B. Coauthor, C. Third et al."


def test_feed_asked_for_without_site_url_is_reported(tmp_path):
    report = build_site(_papers(), tmp_path / "s", settings=SiteSettings(site_url=None, feed=True))
    assert not report.feed and any("site.site_url" in w for w in report.warnings)
    meta, _ = split_front_matter((tmp_path / "s" / "index.qmd").read_text(encoding="utf-8"))
    assert "feed" not in meta["listing"]
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
    assert "中文标题" in _html(out / "papers" / "2512.00002.qmd")


def test_paper_pages_list_related_papers_in_this_review(tmp_path):
    papers = _papers()
    papers.loc[0, "abstract"] = "Draft models propose tokens that the target model verifies in parallel."
    papers.loc[2, "abstract"] = "A draft model proposes tokens; the target model verifies them in one pass."
    build_site(papers, tmp_path / "site", settings=SiteSettings(title="Related", top_n=6))
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

    def score(self) -> pd.DataFrame:
        return self.papers.assign(score=[2.5] * len(self.papers), rank=range(1, len(self.papers) + 1))

    def explain(self, paper_id: str) -> pd.DataFrame:
        return pd.DataFrame({"term": ["decoding", "a|b <i>"], "field": ["abstract", "title"],
                             "matches": [1, 1], "weight": [2.0, 0.5], "contribution": [2.0, 0.5]})

    def highlight(self, paper_id: str, field: str = "abstract") -> str:
        if paper_id.endswith("1"):
            return '<img src=x onerror="alert(1)">'
        return "We study <mark>decoding</mark> &lt;b&gt; {{&lt; meta x &gt;}}"


def test_scorer_explanations_and_highlights(tmp_path):
    papers = _papers().drop(columns=["score", "rank"])
    build_site(papers, tmp_path / "s", scorer=_FakeScorer(papers), settings=SiteSettings(top_n=6))
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


def test_unscored_papers_are_published_newest_first():
    chosen, how = select_papers(_papers().drop(columns=["score", "rank"]), SiteSettings(top_n=2))
    assert list(chosen["published"].dt.day) == [2, 2] and "newest" in how


def test_rebuild_replaces_its_own_files_and_keeps_others(tmp_path):
    out = tmp_path / "site"
    build_site(_papers(), out, settings=SiteSettings(top_n=5))
    (out / "styles.css").write_text("body {}")
    (out / "_site").mkdir()
    build_site(_papers(), out, settings=SiteSettings(top_n=2))
    assert sorted(p.name for p in (out / "papers").iterdir()) == ["2512.00000.qmd", "2512.00001.qmd"]
    assert (out / "styles.css").exists() and (out / "_site").is_dir()
    assert "papers/2512.00004.qmd" not in (out / MANIFEST).read_text()


def test_refuses_to_write_into_a_foreign_folder(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("x")
    with pytest.raises(PublishError, match="did not write"):
        build_site(_papers(), tmp_path / "mine")
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == ["thesis.tex"]


# -- hostile text -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_escaped_text_renders_as_itself(name):
    text = PAYLOADS[name]
    plain = pypandoc.convert_text(escape_inline(text), "plain", format="markdown-smart",
                                  extra_args=["--wrap=none"]).strip()
    assert plain == one_line(text)
    assert "{{<" not in escape_markdown(text)


def test_hostile_front_matter_parses_to_the_escaped_strings(hostile_site):
    for page in _pages(hostile_site):
        raw = page.read_text(encoding="utf-8")
        head = raw.split("\n---\n", 1)[0] + "\n"
        meta, _ = split_front_matter(raw)
        assert YAML(typ="safe").load(head.removeprefix("---\n")) == meta  # YAML 1.2 reads it alike
    meta, _ = split_front_matter((hostile_site / "papers" / "2512.00002.qmd").read_text(encoding="utf-8"))
    assert meta["title"] == escape_inline("---\ntitle: injected\n---")
    assert meta["byline"] == escape_inline(f"{SCRIPT}, O'Brien, \"Jr.\", # Heading et al.")
    assert all(re.fullmatch(r"[\w .\-]+", c) for c in meta["categories"])


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
    with pytest.raises(PublishError, match="no _quarto.yml"):
        check_site(out / "papers")


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
    html = _html(hostile_site / "papers" / "2512.00001.qmd", "-smart")
    title = re.search(r'<h1 class="title">(.*?)</h1>', html, re.S).group(1)
    assert " ".join(title.split()) == "&lt;script&gt;alert(1)&lt;/script&gt; {{&lt; include /etc/passwd &gt;}}"
    for shown in ("&lt;script&gt;alert(1)&lt;/script&gt;", "{{&lt; include /etc/passwd &gt;}}", "$x$",
                  "@cite", "# Injected heading", "C:\\path\\to\\file \\alpha \\\\ end\\", "Ünïcödé 中文 🚀",
                  "[click](javascript:alert(3))", "&lt;!-- hidden --&gt;", "# note heading"):
        assert shown in html, shown
    assert LONG.strip()[:200] in html
    # links from outside are http(s) only: the javascript: abs_url gives way to the arXiv one
    assert 'href="https://arxiv.org/abs/2512.00001"' in html
    assert 'href="https://arxiv.org/pdf/2512.00001%22%29%3Cx%3E"' in html


def test_safe_url_and_category():
    assert safe_url("javascript:alert(1)") is None and safe_url("data:text/html,x") is None
    assert safe_url("https://a.org/x y)") == "https://a.org/x%20y%29"
    assert safe_category("cs.<b>LG</b>") == "cs. b LG b"
    assert safe_category("'); alert(1); ('") == "alert 1"


def test_site_for_the_embedded_sample(tmp_path):
    from litscope.sample import load_sample
    sample = load_sample()
    sample["score"] = range(len(sample))
    report = build_site(sample, tmp_path / "s", settings=SiteSettings(top_n=60))
    assert report.pages["topics"] and len(report.pages["papers"]) == 60
    for page in _pages(tmp_path / "s"):
        assert "{{<" not in page.read_text(encoding="utf-8")
        _html(page)  # Pandoc converts every page


# -- the command ------------------------------------------------------------------------------
def test_publish_command(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("litscope.publish.find_quarto", lambda: None)  # as on this machine
    Store(tmp_path / "data").add_papers(_papers().drop(columns=["score", "rank"]))
    assert main(["publish", "--data", "data", "--out", "web", "--check", "--render"]) == 0
    out = capsys.readouterr().out
    assert "follow Quarto 1.10's schema" in out
    assert QUARTO_HELP.format(out=Path("web")) in out
    assert (tmp_path / "web" / "index.qmd").is_file()


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
    report = build_site(papers, tmp_path / "s", scorer=scorer, profile=profile, settings=SiteSettings(top_n=3))
    best = scorer.score().iloc[0]
    assert report.pages["papers"][0] == f"papers/{best['id']}.qmd"
    page = tmp_path / "s" / report.pages["papers"][0]
    meta, body = split_front_matter(page.read_text(encoding="utf-8"))
    assert meta["score"] == round(float(best["score"]), 3)
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
    build_site(hostile_papers(), out, profile=profile, settings=SiteSettings(top_n=3))
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
    meta, _ = split_front_matter(page.read_text(encoding="utf-8"))
    assert meta["title"] == escape_inline("---\ntitle: injected\n---")
    html = _html(page)
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "title: pwned" in html  # the note is shown as text


def _stub_quarto(folder: Path, exit_code: int) -> None:
    """An executable named quarto that records its arguments (the real one is not installable here)."""
    script = folder / "quarto"
    script.write_text(f"#!/bin/sh\necho \"$@\" > \"{folder}/quarto-args\"\nexit {exit_code}\n")
    script.chmod(0o755)


def test_render_runs_quarto_when_it_is_installed(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _stub_quarto(bin_dir, 0)
    monkeypatch.setenv("PATH", str(bin_dir))
    Store(tmp_path / "data").add_papers(_papers().drop(columns=["score", "rank"]))
    assert main(["publish", "--data", "data", "--out", "web", "--render"]) == 0
    assert f"Rendered the website into {Path('web') / '_site'}" in capsys.readouterr().out
    assert (bin_dir / "quarto-args").read_text().split() == ["render", "web"]
    _stub_quarto(bin_dir, 1)
    assert main(["publish", "--data", "data", "--out", "web", "--render"]) == 2
    assert "'quarto render web' failed with exit code 1" in capsys.readouterr().err
