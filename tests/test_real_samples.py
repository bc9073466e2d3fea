"""Real bytes (tests/fixtures/real, sources and licences in its README): arXiv's API answers
of 2016 and 2026, an rss.arxiv.org listing and an OAI-PMH page served from 127.0.0.1, the
Kaggle snapshot's first lines, a Better BibTeX and a Zotero RIS export imported, all through
the command line; each read field by field as the file has it (values copied by hand)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

import hostile_http
from cli import litscope, run_in
from litscope.score.engine import read_papers
from litscope.store import Store

pytestmark = pytest.mark.slow

REAL = Path(__file__).resolve().parent / "fixtures" / "real"


def serve(arxiv_server, name: str, times: int = 1) -> None:
    arxiv_server.hostile(hostile_http.body((REAL / name).read_bytes()), times=times)


def stamp(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_the_2016_api_answer(review, arxiv_server):
    serve(arxiv_server, "arxiv-api-2016-del-maestro-10.xml")
    done = run_in(review, "fetch", "--since", "2025-12-01", "--until", "2025-12-01", "--max-results", "10")
    assert done.returncode == 0 and done.warnings == [], done.stderr
    papers = Store(review / "data").papers().set_index("id")
    assert len(papers) == 10 and papers["comment"].notna().all() and papers["journal_ref"].notna().all()
    first = papers.loc["1201.4869"]
    assert first["title"] == "A Luttinger Liquid Core Inside Helium-4 Filled Nanopores"
    assert first["authors"] == ["Adrian Del Maestro"] and first["version"] == 1
    assert first["doi"] == "10.1142/S021797921244002X" and first["primary_category"] == "cond-mat.mes-hall"
    assert first["comment"] == "26 pages, 10 figures"
    assert first["journal_ref"] == "Int. J. Mod. Phys. B, 26, 1244002 (2012)"
    assert first["published"] == stamp("2012-01-23 21:15:02")
    assert first["abstract"].startswith("As helium-4 is cooled below 2.17 K it undergoes a phase transition to a "
                                        "fundamentally new state")
    assert first["abstract"].endswith("intriguing low dimensional state of matter.")
    two = papers.loc["1412.6529"]                   # a comment arXiv broke over two lines
    assert two["comment"] == "10 pages, 8 figures; updated figure 5, added references, revised text, reformatted"
    assert two["version"] == 2 and two["updated"] == stamp("2015-02-25 23:04:37")
    assert two["authors"] == ["C. M. Herdman", "A. Del Maestro"]
    old = papers.loc["cond-mat/0412498"]            # an old-style id
    assert old["journal_ref"] == "Physical Review B 71, 184511 (2005)" and old["primary_category"] == "cond-mat.str-el"


def test_the_2026_api_answer(review, arxiv_server):
    serve(arxiv_server, "arxiv-api-2026-testing-100.xml")
    done = run_in(review, "fetch", "--since", "2025-12-01", "--until", "2025-12-01", "--max-results", "100")
    assert done.returncode == 0 and done.warnings == [], done.stderr
    papers = Store(review / "data").papers().set_index("id")
    assert len(papers) == 100
    assert (papers["doi"].notna().sum(), papers["journal_ref"].notna().sum(), papers["comment"].notna().sum()) \
        == (32, 18, 97)
    ramirez = papers.loc["2405.13786"]
    assert ramirez["authors"] == ["Aurora Ramírez", "Mario Berrios", "José Raúl Romero", "Robert Feldt"]
    assert ramirez["doi"] == "10.1109/ICSTW58534.2023.00023" and ramirez["categories"] == ["cs.SE", "cs.AI"]
    assert ramirez["journal_ref"] == ("Proc. 2023 IEEE International Conference on Software Testing, Verification "
                                      "and Validation Workshops (ICSTW), pp. 66-69")
    assert ramirez["abs_url"] == "https://arxiv.org/abs/2405.13786v1"
    assert papers.loc["2409.05654", "version"] == 9
    assert papers.loc["2409.05654", "title"] == "Continuous Testing: Unifying Tests and E-values"
    omega = papers[papers["title"].str.startswith("$ω$Test")].iloc[0]
    assert omega["title"] == "$ω$Test: WebView-Oriented Testing for Android Applications"
    assert "\\tilde{O}(\\varepsilon^{-2})" in papers.loc[papers["abstract"].str.contains("tolerant uniformity"),
                                                        "abstract"].iloc[0]


def test_the_rss_listing(review, arxiv_server):
    serve(arxiv_server, "rss-2024-11-28-all-archives-150items.xml")
    done = run_in(review, "fetch", "--new")
    assert done.returncode == 0 and done.warnings == [], done.stderr
    assert done.stdout.startswith("arXiv's announcement of 2024-11-28 for cs.CL: 150 papers (96 new, 9 cross, "
                                  "45 replace, 0 replace-cross)")
    store = Store(review / "data")
    announced = store.announcements().set_index("id")
    assert announced.loc["2202.06515", "type"] == "cross" and announced.loc["2202.06515", "version"] == 3
    assert announced.loc["2202.06515", "categories"] == ["astro-ph.CO", "astro-ph.GA", "physics.flu-dyn"]
    assert set(announced["day"]) == {"2024-11-28"}
    market = store.papers(ids=["2411.17758"]).iloc[0]
    assert market["title"] == "PP-LEM: Efficient and Privacy-Preserving Clearance Mechanism for Local Energy Markets"
    assert market["authors"] == ["Kamil Erdayandi", "Mustafa Asan Mustafa"]
    assert market["doi"] == "10.1016/j.segan.2024.101477" and market["categories"] == ["cs.GT", "cs.CR"]
    assert market["journal_ref"] == ("Sustainable Energy, Grids and Networks, Volume 39, 2024, 101477, "
                                     "ISSN 2352-4677")
    assert market["abstract"].startswith("In this paper, we propose a novel Privacy-Preserving clearance")


def test_the_oai_pmh_page(review, arxiv_server):
    config = review / "litscope.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("page_size: 5,", "page_size: 5, oai_format: arXiv,"),
                      encoding="utf-8")
    serve(arxiv_server, "oai-arXiv-2017-hep-th.xml")
    done = run_in(review, "fetch", "--bulk", "--cat", "hep-th", "--since", "2010-01-01")
    assert done.returncode == 0 and done.warnings == [], done.stderr
    assert "set physics:hep-th: 3 records in 1 page" in done.stdout
    papers = Store(review / "data").papers().set_index("id")
    toolbox = papers.loc["1412.8323"]
    assert toolbox["title"] == "Toolbox for reconstructing quantum theory from rules on information acquisition"
    assert toolbox["authors"] == ["Philipp A Hoehn"]
    assert toolbox["categories"] == ["quant-ph", "gr-qc", "hep-th", "math-ph", "math.MP", "physics.hist-ph"]
    assert toolbox["comment"].startswith("78 pages, many figures, graphs and references. Version accepted for "
                                         "publication in Quantum (completed")
    assert toolbox["published"] == stamp("2014-12-29") and toolbox["updated"] == stamp("2017-12-13")
    assert toolbox["abstract"].endswith("a novel formulation of quantum theory in terms of questions.")
    bosons = papers.loc["1507.07790"]
    assert bosons["journal_ref"] == "J. Phys. A: Math. Theor. 51 (2018) 035201"
    assert bosons["doi"] == "10.1088/1751-8121/aa9c53" and bosons["authors"] == ["Luis B. Castro", "Edilberto O. Silva"]
    assert papers.loc["1607.01710", "authors"][3] == "A. de Souza Dutra"


def test_the_kaggle_snapshot_lines(tmp_path):
    done = litscope("import", REAL / "kaggle-arxiv-metadata-oai-snapshot-first200.json", "--out", "parts",
                    cwd=tmp_path)
    assert done.returncode == 0 and done.warnings == [], done.stderr
    assert "200 lines, 200 parsed" in done.stdout and "200 papers kept" in done.stdout
    papers = read_papers(tmp_path / "parts", columns=None).to_pandas().set_index("id")
    first = papers.loc["0704.0001"]
    assert first["title"] == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    assert list(first["authors"]) == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]
    assert first["journal_ref"] == "Phys.Rev.D76:013009,2007" and first["doi"] == "10.1103/PhysRevD.76.013009"
    assert first["version"] == 2 and first["published"] == stamp("2007-04-02 19:18:42")
    assert first["updated"] == stamp("2007-07-24 20:10:27")
    assert papers.loc["0704.0015", "comment"] == ("22 pages; signs and coefficients adjusted for anticommuting "
                                                  "superfields, section 4.3 changed accordingly, reference added")
    assert papers.loc["0704.0033", "journal_ref"] == ("J.Opt.Soc.Am.A 23, 2578-2591 (2006); Erratum: "
                                                      "J.Opt.Soc.Am.A 32, 2407-2408 (2015)")
    assert list(papers.loc["0704.0002", "categories"]) == ["math.CO", "cs.CG"]


def imported(tmp_path, name: str, index: str) -> pd.DataFrame:
    """The library items of one real export, imported without a warning."""
    done = litscope("library", "import", REAL / name, "--data", "data", "--no-fetch", cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return Store(tmp_path / "data").library().set_index(index)


def test_the_better_bibtex_export(tmp_path):
    items = imported(tmp_path, "bbt-export-460.bib", "item_key")
    assert len(items) == 3
    ronnow = items.loc["Ronnow.2014.Defining"]
    assert ronnow["title"] == "Defining and Detecting Quantum Speedup" and ronnow["year"] == 2014
    assert ronnow["authors"][:2] == ["Troels F. Rønnow", "Zhihui Wang"] and len(ronnow["authors"]) == 9
    assert (ronnow["arxiv_id"], ronnow["doi"], ronnow["added"]) == ("1401.2910", "10.1126/science.1252319",
                                                                    "2016-04-18")
    sen = items.loc["Sen.2016.BV"]
    assert sen["title"] == "BV Master Action for Heterotic and Type II String Field Theories"
    assert (sen["arxiv_id"], sen["doi"], sen["authors"]) == ("1508.05387", "10.1007/jhep02(2016)087", ["Ashoke Sen"])
    assert items.loc["Smolin.2013.Classical", "arxiv_id"] == "1305.4904"


def test_the_zotero_ris_export(tmp_path):
    items = imported(tmp_path, "zotero-ris-nvpatin.ris", "title")
    assert len(items) == 5
    waste = items.loc["Waste Not, Want Not: Why Rarefying Microbiome Data Is Inadmissible"]
    assert waste["authors"] == ["Paul J. McMurdie", "Susan Holmes"] and waste["year"] == 2014
    assert (waste["doi"], waste["added"]) == ("10.1371/journal.pcbi.1003531", "2023/09/12/00:16:04")
    alr = items.loc["Compositional Data Analysis of Microbiome and Any-Omics Datasets: A Validation of the "
                    "Additive Logratio Transformation"]
    assert alr["authors"] == ["Michael Greenacre", "Marina Martínez-Álvaro", "Agustín Blasco"]
    assert alr["year"] == 2021 and pd.isna(alr["doi"])
    assert date.fromisoformat(items["added"].max()[:10].replace("/", "-")) == date(2023, 9, 14)
