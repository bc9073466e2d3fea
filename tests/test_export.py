"""Exports: BibTeX that round-trips through bibtexparser, RIS as Zotero reads it, CSV, JSON
Lines; stable citation keys; selection by label and topic from the CLI."""
from __future__ import annotations

import csv
import io
import json

import bibtexparser
import pandas as pd
import pytest
import rispy
from bibtexparser.middlewares import LatexDecodingMiddleware, SeparateCoAuthors
from hypothesis import given, settings
from hypothesis import strategies as st

from cli import litscope
from litscope.cli import main
from litscope.errors import CurateError
from litscope.curate.export import (bibtex_entries, citation_keys, export, last_name, latex_escape,
                                    select_papers, write_scored)
from litscope.sample import load_sample
from litscope.schema import papers_frame
from litscope.sources.latex import latex_to_text
from litscope.store import Store

SPECIALS = r"Costs & 50% of $x_i$ #1 {braces} ~tilde^hat \backslash"


def papers() -> pd.DataFrame:
    return papers_frame([
        {"id": "2511.10645", "version": 2, "title": "The ParoQuant Method: " + SPECIALS,
         "authors": ["Zoë Müller-Lüdenscheidt", "Ludwig van Beethoven", "张伟"],
         "abstract": "Line one.\nLine two with 100% & more.", "primary_category": "cs.CL",
         "published": "2025-11-13T18:59:00Z", "abs_url": "https://arxiv.org/abs/2511.10645",
         "doi": "10.1000/xyz123", "tags": ["quantization", "LLM"], "tldr": "Rotate weights.",
         "comment": "ICLR 2026", "source": "arxiv", "topic": "LLM", "subtopic": "Efficiency"},
        {"id": "2401.00002", "title": "An agent for the web", "authors": ["Ann Lee"],
         "journal_ref": "Nature 600, 1-5 (2024)", "source": "arxiv"},
        {"id": "h:0000aaaa11112222", "title": "Untitled work", "source": "list.md"},
    ])


def test_citation_keys_are_ascii_unique_and_independent_of_row_order():
    df = papers()
    assert citation_keys(df).tolist() == ["mullerludenscheidt2025paroquant", "lee2024agent",
                                          "anonnduntitled"]
    twins = papers_frame([{"id": i, "title": "On agents", "authors": ["Ann Lee"],
                           "published": "2024-01-01", "source": "x"} for i in ("2401.3", "2401.1", "2401.2")])
    keys = citation_keys(twins)
    assert keys.tolist() == ["lee2024agentsb", "lee2024agents", "lee2024agentsa"]
    assert citation_keys(twins.iloc[::-1]).tolist() == keys.iloc[::-1].tolist()


def test_citation_keys_stay_when_newer_papers_arrive():
    """A review's keys are cited in its pages: a later paper that would share a key gets a
    suffix, the earlier ones keep theirs."""
    first = papers_frame([{"id": "2401.00001", "title": "On agents", "authors": ["Ann Lee"],
                           "published": "2024-01-01", "source": "x"}])
    grown = papers_frame([*first.to_dict("records"),
                          {"id": "2405.00002", "title": "On agents again", "authors": ["Ann Lee"],
                           "published": "2024-05-01", "source": "x"}])
    assert citation_keys(first).tolist() == ["lee2024agents"]
    assert citation_keys(grown).tolist() == ["lee2024agents", "lee2024agentsa"]


def test_bibtex_entries_are_those_of_the_whole_export_one_per_paper():
    df = papers()
    entries = bibtex_entries(df, abstracts=False)
    assert entries["key"].tolist() == citation_keys(df).tolist()
    whole = export(df, "bibtex")
    assert all(entry.startswith("@") and entry.split("\n")[0] in whole for entry in entries["bibtex"])
    assert "abstract" not in "".join(entries["bibtex"]) and "abstract" in whole


def test_last_names_keep_particles_and_given_order():
    assert last_name("Ludwig van Beethoven") == "van Beethoven"
    assert last_name("Lee, Ann") == "Lee" and last_name("张伟") == "张伟"


def test_bibtex_round_trips_with_arxiv_fields_escapes_and_unicode():
    text = export(papers(), "bibtex")
    library = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    assert not library.failed_blocks
    entries = {e.key: e for e in library.entries}
    paro = entries["mullerludenscheidt2025paroquant"]
    assert paro.entry_type == "misc"
    # pylatexenc decodes \textasciicircum{} as U+02C6, the modifier-letter circumflex
    assert paro["title"].replace("\u02c6", "^") == "The ParoQuant Method: " + SPECIALS
    assert paro["author"] == "Zoë Müller-Lüdenscheidt and Ludwig van Beethoven and 张伟"
    assert (paro["eprint"], paro["archivePrefix"], paro["primaryClass"]) == ("2511.10645", "arXiv", "cs.CL")
    assert (paro["doi"], paro["url"], paro["year"]) == ("10.1000/xyz123", "https://arxiv.org/abs/2511.10645", "2025")
    assert "100% & more" in paro["abstract"]
    raw = bibtexparser.parse_string(text).entries[0]
    assert r"\&" in raw["title"] and r"\_" in raw["title"] and r"\textbackslash{}" in raw["title"]
    article = entries["lee2024agent"]
    assert article.entry_type == "article" and article["journal"] == "Nature 600, 1-5 (2024)"
    assert "eprint" in article.fields_dict and "eprint" not in entries["anonnduntitled"].fields_dict


@pytest.mark.slow
def test_bibtex_of_the_whole_sample_parses_with_unique_keys():
    sample = load_sample()
    library = bibtexparser.parse_string(export(sample, "bibtex"))
    assert len(library.entries) == len(sample) and not library.failed_blocks
    assert len({e.key for e in library.entries}) == len(sample)


def test_ris_follows_zoteros_import_rules():
    text = export(papers(), "ris")
    assert text.startswith("TY  - RPRT") and "\n1." not in text
    paro, article, bare = rispy.loads(text)
    # Zotero splits AU at the first comma into last, first names
    assert paro["authors"] == ["Müller-Lüdenscheidt, Zoë", "van Beethoven, Ludwig", "张伟"]
    assert paro["title"].endswith(SPECIALS)
    assert paro["abstract"] == "Line one. Line two with 100% & more."   # no bare continuation line
    assert (paro["year"], paro["date"]) == ("2025", "2025/11/13")       # PY year, DA YYYY/MM/DD
    assert paro["urls"] == ["https://arxiv.org/abs/2511.10645"] and paro["doi"] == "10.1000/xyz123"
    assert paro["keywords"] == ["quantization", "LLM"]                  # one KW line per tag
    assert paro["notes"] == ["TL;DR: Rotate weights.", "Comment: ICLR 2026", "LLM / Efficiency"]
    assert (paro["publisher"], paro["issn"]) == ("arXiv", "arXiv:2511.10645")   # report no.
    assert article["type_of_reference"] == "JOUR" and article["secondary_title"] == "Nature 600, 1-5 (2024)"
    assert "issn" not in article and "publisher" not in article
    assert bare == {"type_of_reference": "RPRT", "title": "Untitled work"}   # no arXiv fields


def test_csv_and_jsonl_round_trip(tmp_path):
    df = papers().assign(score=1.0)
    export(df, "csv", tmp_path / "p.csv")
    back = pd.read_csv(tmp_path / "p.csv")   # no dtype= needed: every id is text
    assert back["id"].tolist() == [f"arXiv:{i}" if not i.startswith("h:") else i for i in df["id"]]
    assert "score" not in back
    assert back["authors"][0] == "Zoë Müller-Lüdenscheidt; Ludwig van Beethoven; 张伟"
    buffer = io.StringIO()
    export(df, "jsonl", buffer)
    rows = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert [r["id"] for r in rows] == df["id"].tolist()
    assert rows[0]["authors"][2] == "张伟" and rows[0]["published"].startswith("2025-11-13T18:59:00")


FORMULAS = ['=HYPERLINK("http://evil.example/x","click")', "=cmd|' /C calc'!A0", "+SUM(A1:A9)",
            "@SUM(1,2)", "-2+3", "\t=1+1", "\r=1+1"]


def test_csv_cells_a_spreadsheet_would_evaluate_are_neutralised(store, tmp_path, capsys):
    """OWASP's advice: a text cell starting with = + - @ tab or carriage return gets a
    leading ' so a spreadsheet shows it as text; numbers, and text that is a number, stay."""
    hostile = papers_frame([{"id": f"2501.0000{i}", "version": 2, "title": formula,
                             "authors": [formula, "Ann Lee"], "abstract": "-1.5", "comment": "+44",
                             "tags": [formula], "external_score": -2.5, "source": "arxiv"}
                            for i, formula in enumerate(FORMULAS)])
    store.add_papers(hostile)
    assert main(["export", "--data", str(store.path.parent), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert sorted(row["title"] for row in rows) == sorted("'" + f for f in FORMULAS)
    assert all(row["authors"].startswith("'") and row["tags"].startswith("'") for row in rows)
    assert {(row["abstract"], row["comment"], row["version"], row["external_score"]) for row in rows} == {
        ("-1.5", "+44", "2", "-2.5")}
    assert not any(cell.startswith(tuple("=+-@\t\r")) for row in rows for cell in row.values()
                   if cell not in ("-1.5", "+44", "-2.5"))
    out = tmp_path / "scored.csv"                    # 'litscope score --out' writes CSV too
    (tmp_path / "p.yml").write_text("terms: [SUM]\n", encoding="utf-8")
    assert main(["score", "--data", str(store.path.parent), "--profile", str(tmp_path / "p.yml"),
                 "--out", str(out)]) == 0
    assert all(row["title"].startswith("'") for row in csv.DictReader(out.open(encoding="utf-8", newline="")))


def test_bibtex_keeps_brace_protected_author_groups_whole():
    group = papers_frame([{"id": "2501.00001", "title": "Groups", "source": "x",
                           "authors": ["{Eve and Frank}", "Tom and Jerry Lab", "Ann Lee"]}])
    entry = bibtexparser.parse_string(export(group, "bibtex"),
                                      append_middleware=[SeparateCoAuthors()]).entries[0]
    assert entry["author"] == ["{Eve and Frank}", "{Tom and Jerry Lab}", "Ann Lee"]
    assert citation_keys(group).tolist() == ["eveandfrank2025groups"]
    assert rispy.loads(export(group, "ris"))[0]["authors"] == ["Eve and Frank", "Tom and Jerry Lab",
                                                               "Lee, Ann"]


def test_export_errors_name_the_problem(tmp_path):
    with pytest.raises(CurateError, match="format must be one of"):
        export(papers(), "endnote")
    with pytest.raises(CurateError, match="cannot write"):
        export(papers(), "csv", tmp_path / "missing" / "dir" / "p.csv")
    with pytest.raises(CurateError, match="labels"):
        select_papers(papers(), label="include")


def test_cli_exports_a_selection_by_label_and_topic(store, tmp_path, capsys):
    store.add_papers(papers())
    store.set_label("2511.10645", "include")
    store.set_label("2401.00002", "exclude")
    data, out = str(store.path.parent), tmp_path / "review.bib"
    assert main(["export", "--data", data, "--format", "bibtex", "--label", "include", "--out", str(out)]) == 0
    assert "Wrote 1 paper " in capsys.readouterr().out
    assert [e.key for e in bibtexparser.parse_string(out.read_text(encoding="utf-8")).entries] == [
        "mullerludenscheidt2025paroquant"]
    assert main(["export", "--data", data, "--format", "ris", "--topic", "Efficiency"]) == 0
    assert [r["title"][:8] for r in rispy.loads(capsys.readouterr().out)] == ["The Paro"]
    assert main(["export", "--data", data, "--format", "jsonl", "--topic", "nothing"]) == 0
    assert capsys.readouterr().out == ""


# -- BibTeX through 'litscope library import' and CSV through spreadsheets ------------------
ROUND_TRIP = papers_frame([
    {"id": "2501.00010", "title": "Speculative Decoding -- Faster ``Drafts'' and 2--3x speed-ups",
     "abstract": "We bound $x^2 + y_i^{3}$ by 50% & #1 in {braces}, with ~tilde, \\backslash and "
                 "!` ?` -- --- `` '' marks; ``quoted'' and en--dash stay as written.",
     "authors": ["Zoë Müller-Lüdenscheidt", "Ludwig van Beethoven", "Smith, John", "{Eve and Frank}",
                 "bell hooks", "Martin Luther King Jr."],
     "published": "2025-01-02T00:00:00Z", "source": "arxiv"},
    {"id": "2501.00020", "title": "A title with 4 titles' worth of -- dashes", "authors": ["Ann Lee"],
     "abstract": "Plain text.", "published": "2025-01-03T00:00:00Z", "source": "arxiv"},
])


@pytest.mark.slow
def test_bibtex_export_reads_back_through_library_import_exactly(tmp_path):
    """Every '^' in an abstract's math used to come back as 'ˆ' (U+02C6), '--' as '–' and
    ``…'' as curly quotes."""
    Store(tmp_path / "data").add_papers(ROUND_TRIP)
    assert litscope("export", "--format", "bibtex", "--out", "review.bib", "--data", "data",
                    cwd=tmp_path).returncode == 0
    done = litscope("library", "import", "review.bib", "--data", "data", "--no-fetch", cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    items = Store(tmp_path / "data").library().set_index("arxiv_id").loc[ROUND_TRIP["id"]]
    assert items["title"].tolist() == ROUND_TRIP["title"].tolist()
    assert items["abstract"].tolist() == ROUND_TRIP["abstract"].tolist()
    assert items["authors"].iloc[0] == ["Zoë Müller-Lüdenscheidt", "Ludwig van Beethoven", "Smith, John",
                                        "Eve and Frank", "bell hooks", "Martin Luther King Jr."]
    assert "\\textasciicircum{}" in (tmp_path / "review.bib").read_text(encoding="utf-8")   # LaTeX reads it


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1).filter(str.strip))
def test_any_text_round_trips_through_bibtex(text):
    assert latex_to_text(latex_escape(text)) == text


def test_arxiv_ids_stay_text_in_csv():
    """'2501.00010' used to become the number 2501.0001 in spreadsheets and pandas."""
    back = pd.read_csv(io.StringIO(export(ROUND_TRIP, "csv")))
    assert back["id"].tolist() == ["arXiv:2501.00010", "arXiv:2501.00020"]


def test_write_scored_by_suffix(tmp_path):
    scored = papers_frame(load_sample().head(3)).assign(score=[3.0, 2.0, 1.0])
    write_scored(scored.copy(), tmp_path / "s.parquet")
    back = pd.read_parquet(tmp_path / "s.parquet")
    assert back["score"].tolist() == [3.0, 2.0, 1.0] and list(back["authors"][0]) == list(scored["authors"][0])
    write_scored(scored.copy(), tmp_path / "s.csv")
    rows = list(csv.DictReader(open(tmp_path / "s.csv", encoding="utf-8", newline="")))
    assert rows[0]["authors"] == "; ".join(scored["authors"][0]) and rows[2]["score"] == "1.0"
    with pytest.raises(CurateError, match=r"s\.xlsx: name a \.csv or \.parquet file"):
        write_scored(scored, tmp_path / "s.xlsx")
