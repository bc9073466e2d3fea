"""The person's library: BibTeX, RIS, CSL-JSON, id lists and a Zotero database built here
with Zotero's real table layout; matching to the store, re-imports, learning labels, CLI."""
from __future__ import annotations

import json
import sqlite3

import numpy as np
import pandas as pd
import pytest

from cli import litscope
from litscope.cli import main
from litscope.curate.export import to_bibtex, to_ris
from litscope.errors import ImportFormatError
from litscope.schema import papers_frame
from litscope.sources.library import (import_library, library_only_papers, library_papers,
                                      read_library, training_labels)
from litscope.store import Store

BIBTEX = r"""
@article{leviathan2023fast,
  title = {Fast Inference from {Transformers} via Speculative Decoding},
  author = {Leviathan, Yaniv and Kalman, Matan and Matias, Yossi},
  year = {2023},
  eprint = {2211.17192},
  archivePrefix = {arXiv},
  abstract = {Inference from large autoregressive models like {Transformers} is slow.},
}
@misc{chen2023accelerating,
  title = {Accelerating Large Language Model Decoding with Speculative Sampling},
  author = {Chen, Charlie and Borgeaud, Sebastian},
  year = {2023},
  url = {http://arxiv.org/abs/2302.01318},
  publisher = {arXiv},
  doi = {10.48550/arXiv.2302.01318},
}
@inproceedings{team2024,
  title = {M{\"u}ller's {\'E}tude of Retrieval},
  author = {{Eve and Frank} and M{\"u}ller, J{\"u}rgen},
  booktitle = {Proceedings},
  year = {2024},
  doi = {10.1145/1234567.890},
}
"""

RIS = """TY  - JOUR
TI  - Fast Inference from Transformers via Speculative Decoding
AU  - Leviathan, Yaniv
AU  - Kalman, Matan
PY  - 2023
UR  - http://arxiv.org/abs/2211.17192
AB  - Inference from large autoregressive models is slow.
ER  - 

TY  - CONF
TI  - A Study without arXiv
AU  - Doe, Jane
PY  - 2021
DO  - 10.1000/xyz123
ER  - 
"""

CSL = [
    {"id": "http://zotero.org/users/1/items/ABCD1234", "type": "article",
     "title": "Fast Inference from Transformers via Speculative Decoding",
     "author": [{"family": "Leviathan", "given": "Yaniv"}, {"literal": "The Team"}],
     "issued": {"date-parts": [[2022, 11, 30]]}, "number": "arXiv:2211.17192",
     "abstract": "Inference is slow."},
    {"id": "item2", "type": "paper-conference", "title": "Only in My Library",
     "author": [{"family": "Doe", "given": "Jane", "non-dropping-particle": "van"}],
     "issued": {"date-parts": [["2020"]]}, "DOI": "10.1000/ABC"},
]


def _zotero_db(path, items, trashed=(), collections=None):
    """A zotero.sqlite with Zotero's tables (only the columns litscope reads, plus keys)."""
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE itemTypes (itemTypeID INTEGER PRIMARY KEY, typeName TEXT);
        CREATE TABLE items (itemID INTEGER PRIMARY KEY, itemTypeID INT, dateAdded TEXT,
                            dateModified TEXT, clientDateModified TEXT, libraryID INT, key TEXT);
        CREATE TABLE fields (fieldID INTEGER PRIMARY KEY, fieldName TEXT);
        CREATE TABLE itemDataValues (valueID INTEGER PRIMARY KEY, value);
        CREATE TABLE itemData (itemID INT, fieldID INT, valueID INT, PRIMARY KEY (itemID, fieldID));
        CREATE TABLE creatorTypes (creatorTypeID INTEGER PRIMARY KEY, creatorType TEXT);
        CREATE TABLE creators (creatorID INTEGER PRIMARY KEY, firstName TEXT, lastName TEXT,
                               fieldMode INT);
        CREATE TABLE itemCreators (itemID INT, creatorID INT, creatorTypeID INT, orderIndex INT,
                                   PRIMARY KEY (itemID, creatorID, creatorTypeID, orderIndex));
        CREATE TABLE deletedItems (itemID INTEGER PRIMARY KEY, dateDeleted TEXT);
        CREATE TABLE collections (collectionID INTEGER PRIMARY KEY, collectionName TEXT,
                                  libraryID INT, key TEXT);
        CREATE TABLE collectionItems (collectionID INT, itemID INT, orderIndex INT);
        INSERT INTO itemTypes VALUES (1, 'preprint'), (2, 'journalArticle'), (3, 'attachment'),
                                     (4, 'note');
        INSERT INTO creatorTypes VALUES (1, 'author');
    """)
    field_ids, value_ids = {}, {}
    for item_id, item in enumerate(items, 1):
        con.execute("INSERT INTO items VALUES (?, ?, ?, ?, ?, 1, ?)",
                    (item_id, item["type"], item["added"], item["added"], item["added"], item["key"]))
        for name, value in item["fields"].items():
            field_id = field_ids.setdefault(name, len(field_ids) + 1)
            con.execute("INSERT OR IGNORE INTO fields VALUES (?, ?)", (field_id, name))
            value_id = value_ids.setdefault(value, len(value_ids) + 1)
            con.execute("INSERT OR IGNORE INTO itemDataValues VALUES (?, ?)", (value_id, value))
            con.execute("INSERT INTO itemData VALUES (?, ?, ?)", (item_id, field_id, value_id))
        for order, (first, last) in enumerate(item.get("creators", [])):
            creator = con.execute("INSERT INTO creators (firstName, lastName, fieldMode) "
                                  "VALUES (?, ?, 0)", (first, last)).lastrowid
            con.execute("INSERT INTO itemCreators VALUES (?, ?, 1, ?)", (item_id, creator, order))
    for item_id in trashed:
        con.execute("INSERT INTO deletedItems VALUES (?, '2024-01-01')", (item_id,))
    for collection_id, (name, members) in enumerate((collections or {}).items(), 1):
        con.execute("INSERT INTO collections VALUES (?, ?, 1, ?)", (collection_id, name, f"C{collection_id}"))
        for member in members:
            con.execute("INSERT INTO collectionItems VALUES (?, ?, 0)", (collection_id, member))
    con.commit()
    con.close()
    return path


ZOTERO_ITEMS = [
    {"key": "AAAA1111", "type": 1, "added": "2024-03-01 10:00:00",
     "fields": {"title": "Fast Inference from Transformers via Speculative Decoding",
                "abstractNote": "Inference from large autoregressive models is slow.",
                "date": "2022-11-30", "archiveID": "arXiv:2211.17192",
                "url": "http://arxiv.org/abs/2211.17192"},
     "creators": [("Yaniv", "Leviathan"), ("Matan", "Kalman")]},
    {"key": "BBBB2222", "type": 2, "added": "2023-05-02 08:00:00",
     "fields": {"title": "A Journal Paper", "date": "2019", "DOI": "10.1000/J.1",
                "extra": "Some note"},
     "creators": [("Jane", "Doe")]},
    {"key": "CCCC3333", "type": 3, "added": "2024-03-01 10:00:00",
     "fields": {"title": "Full Text PDF"}},
    {"key": "DDDD4444", "type": 2, "added": "2022-01-01 00:00:00",
     "fields": {"title": "In the Trash", "extra": "arXiv: 2301.00001"}},
]


# -- reading each format ---------------------------------------------------------------------
def test_bibtex_finds_arxiv_ids_keeps_braced_authors_whole_and_decodes_latex(tmp_path):
    path = tmp_path / "my.bib"
    path.write_text(BIBTEX, encoding="utf-8")
    items = read_library(path).set_index("item_key")
    assert items.attrs["format"] == "bibtex"
    assert items.loc["leviathan2023fast", "arxiv_id"] == "2211.17192"         # eprint
    assert items.loc["chen2023accelerating", "arxiv_id"] == "2302.01318"      # arXiv DOI / URL
    assert pd.isna(items.loc["team2024", "arxiv_id"])
    assert items.loc["team2024", "doi"] == "10.1145/1234567.890"
    assert items.loc["team2024", "authors"] == ["Eve and Frank", "Jürgen Müller"]
    assert items.loc["team2024", "title"] == "Müller's Étude of Retrieval"
    assert items.loc["leviathan2023fast", "title"] == "Fast Inference from Transformers via Speculative Decoding"
    assert items.loc["leviathan2023fast", "authors"] == ["Yaniv Leviathan", "Matan Kalman", "Yossi Matias"]
    assert items.loc["leviathan2023fast", "year"] == 2023


def test_ris_and_csl_json_read_titles_authors_years_and_ids(tmp_path):
    (tmp_path / "my.ris").write_text(RIS, encoding="utf-8")
    ris = read_library(tmp_path / "my.ris")
    assert ris["arxiv_id"].tolist()[0] == "2211.17192" and pd.isna(ris["arxiv_id"].iloc[1])
    assert ris["doi"].iloc[1] == "10.1000/xyz123" and ris["year"].tolist() == [2023, 2021]
    assert ris["authors"].iloc[0] == ["Yaniv Leviathan", "Matan Kalman"]
    (tmp_path / "my.json").write_text(json.dumps(CSL), encoding="utf-8")
    csl = read_library(tmp_path / "my.json").set_index("item_key")
    first = csl.loc["http://zotero.org/users/1/items/ABCD1234"]
    assert first["arxiv_id"] == "2211.17192" and first["year"] == 2022
    assert first["authors"] == ["Yaniv Leviathan", "The Team"]
    assert csl.loc["item2", "authors"] == ["Jane van Doe"] and csl.loc["item2", "doi"] == "10.1000/abc"


def test_a_list_of_ids_and_its_errors(tmp_path):
    path = tmp_path / "ids.txt"
    path.write_text("# my reading list\n2211.17192v2\nhttps://arxiv.org/abs/2302.01318\n"
                    "10.1000/xyz123  # a DOI\n", encoding="utf-8")
    items = read_library(path)
    assert items["arxiv_id"].tolist()[:2] == ["2211.17192", "2302.01318"]
    assert items["doi"].iloc[2] == "10.1000/xyz123"
    path.write_text("2211.17192\nnot an id\n", encoding="utf-8")
    with pytest.raises(ImportFormatError, match=r"ids.txt: line 2: 'not an id'"):
        read_library(path)


def test_zotero_database_skips_attachments_and_trash_and_reads_collections(tmp_path):
    path = _zotero_db(tmp_path / "zotero.sqlite", ZOTERO_ITEMS, trashed=[4],
                      collections={"Decoding": [1], "Other": [2]})
    items = read_library(path).set_index("item_key")
    assert items.attrs["format"] == "zotero"
    assert sorted(items.index) == ["AAAA1111", "BBBB2222"]      # no attachment, no trash
    assert items.loc["AAAA1111", "arxiv_id"] == "2211.17192"
    assert items.loc["AAAA1111", "authors"] == ["Yaniv Leviathan", "Matan Kalman"]
    assert items.loc["AAAA1111", "added"] == "2024-03-01 10:00:00"
    assert items.loc["BBBB2222", "doi"] == "10.1000/j.1" and items.loc["BBBB2222", "year"] == 2019
    assert read_library(path, collection="Decoding")["item_key"].tolist() == ["AAAA1111"]
    with pytest.raises(ImportFormatError, match="no Zotero collection 'Nope'.*Decoding, Other"):
        read_library(path, collection="Nope")


def test_zotero_database_is_read_from_a_copy_while_zotero_holds_it(tmp_path):
    path = _zotero_db(tmp_path / "zotero.sqlite", ZOTERO_ITEMS[:1])
    holder = sqlite3.connect(path)
    holder.execute("BEGIN EXCLUSIVE")      # what a running Zotero does to its database
    try:
        assert read_library(path)["item_key"].tolist() == ["AAAA1111"]
    finally:
        holder.rollback()
        holder.close()


def test_bad_exports_name_the_file_and_line(tmp_path):
    bad = tmp_path / "bad.bib"
    bad.write_text("@article{broken, title = {X}, ]]]\n}\n@article{ok, title={Fine}}\n", encoding="utf-8")
    assert read_library(bad).attrs["problems"] == ["line 1: entry 'broken': not valid BibTeX; skipped"]
    bad.write_text("@article{broken, title = {X}, ]]]\n}\n", encoding="utf-8")
    with pytest.raises(ImportFormatError, match=r"bad.bib: no library items found \(line 1: entry 'broken': "
                                                r"not valid BibTeX; skipped\)"):
        read_library(bad)
    json_file = tmp_path / "bad.json"
    json_file.write_text('[{"id": 1,}]', encoding="utf-8")
    with pytest.raises(ImportFormatError, match=r"bad.json: line 1: invalid JSON"):
        read_library(json_file)
    not_zotero = sqlite3.connect(tmp_path / "other.sqlite")
    not_zotero.execute("CREATE TABLE t (x)")
    not_zotero.close()
    with pytest.raises(ImportFormatError, match="not a Zotero database"):
        read_library(tmp_path / "other.sqlite")
    with pytest.raises(ImportFormatError, match="no such file"):
        read_library(tmp_path / "missing.bib")


# -- round trips through litscope's own exports ----------------------------------------------
def _papers():
    return papers_frame([
        {"id": "2211.17192", "version": 2, "title": "Fast Inference from Transformers via Speculative Decoding",
         "authors": ["Yaniv Leviathan", "Matan Kalman"], "abstract": "Inference is slow.",
         "published": "2022-11-30", "source": "arxiv", "categories": ["cs.LG"],
         "primary_category": "cs.LG"},
        {"id": "2302.01318", "version": 1, "title": "Accelerating Large Language Model Decoding",
         "authors": ["Charlie Chen", "Eve and Frank"], "abstract": "We present sampling.",
         "published": "2023-02-02", "source": "arxiv", "categories": ["cs.CL"],
         "primary_category": "cs.CL"},
        {"id": "2401.00001", "version": 1, "title": "An Unrelated Paper on Proteins",
         "authors": ["Ann Other"], "abstract": "Proteins fold.", "published": "2024-01-01",
         "source": "arxiv", "categories": ["q-bio.BM"], "primary_category": "q-bio.BM"},
    ])


@pytest.mark.parametrize("writer, suffix", [(to_bibtex, ".bib"), (to_ris, ".ris")])
def test_litscope_exports_import_back_as_the_same_papers(tmp_path, writer, suffix):
    papers = _papers()
    path = tmp_path / f"export{suffix}"
    path.write_text(writer(papers), encoding="utf-8")
    items = read_library(path)
    assert items["arxiv_id"].tolist() == papers["id"].tolist()
    assert items["title"].tolist() == papers["title"].tolist()
    assert items["year"].tolist() == [2022, 2023, 2024]
    assert items["authors"].iloc[1][1] == "Eve and Frank"        # a group kept whole both ways


# -- importing into the store ----------------------------------------------------------------
def test_import_matches_the_store_fetches_missing_arxiv_papers_and_reimports(store, tmp_path):
    papers = _papers()
    store.add_papers(papers.iloc[[0, 2]])
    asked = []

    def fetch(ids):
        asked.append(list(ids))
        return papers[papers["id"].isin(ids)]

    path = tmp_path / "my.bib"
    path.write_text(BIBTEX, encoding="utf-8")
    result = import_library(store, path, fetch=fetch)
    assert asked == [["2302.01318"]]
    assert result.counts == {"added": 3, "removed": 0, "updated": 0, "unchanged": 0}
    assert result.matched == {"arxiv": 2, "none": 1} and result.fetched == 1
    assert "3 items; 3 added" in result.summary()
    library = store.library("my").set_index("item_key")
    assert library.loc["leviathan2023fast", "paper_id"] == "2211.17192"
    assert library.loc["chen2023accelerating", "paper_id"] == "2302.01318"
    assert library.loc["team2024", "paper_id"] is None

    # the updated export drops one entry and adds another; nothing else changes
    updated = BIBTEX.split("@inproceedings")[0] + (
        "@article{new2024, title = {An Unrelated Paper on Proteins}, year = {2024}}\n")
    path.write_text(updated, encoding="utf-8")
    again = import_library(store, path, fetch=fetch)
    assert again.counts == {"added": 1, "removed": 1, "updated": 0, "unchanged": 2}
    assert again.matched["title"] == 1                       # matched by its title
    assert sorted(store.library("my")["item_key"]) == ["chen2023accelerating", "leviathan2023fast", "new2024"]
    assert store.library("my").set_index("item_key").loc["new2024", "paper_id"] == "2401.00001"


def test_library_items_count_as_includes_with_their_source(store, tmp_path):
    papers = _papers()
    store.add_papers(papers)
    path = tmp_path / "reading.json"
    path.write_text(json.dumps(CSL), encoding="utf-8")
    import_library(store, path)
    store.set_label("2302.01318", "exclude")
    labels = training_labels(store).set_index("id")
    assert labels.loc["2211.17192", "label"] == "include"
    assert labels.loc["2211.17192", "source"] == "library:reading"
    assert labels.loc["2302.01318", "source"] == "label"
    as_papers = library_papers(store).set_index("item_key")
    assert as_papers.loc["http://zotero.org/users/1/items/ABCD1234", "id"] == "2211.17192"
    only = as_papers.loc["item2"]
    assert only["id"] == "lib:reading/item2" and only["title"] == "Only in My Library"
    assert library_only_papers(store)["id"].tolist() == ["lib:reading/item2"]
    assert store.remove_library("reading") == 2
    assert training_labels(store)["source"].tolist() == ["label"]


def test_cli_library_import_list_and_remove(tmp_path, capsys):
    data = tmp_path / "data"
    bib = tmp_path / "my.bib"
    bib.write_text(BIBTEX, encoding="utf-8")
    assert main(["library", "import", str(bib), "--data", str(data), "--no-fetch"]) == 0
    out = capsys.readouterr().out
    assert "library 'my' (bibtex): 3 items; 3 added" in out
    assert main(["library", "list", "--data", str(data)]) == 0
    out = capsys.readouterr().out
    assert "my" in out and "3 items" in out and "Fast Inference from Transformers" in out
    assert main(["library", "remove", "my", "--data", str(data)]) == 0
    assert "removed library 'my' (3 items)" in capsys.readouterr().out
    assert main(["library", "remove", "my", "--data", str(data)]) == 2
    assert "no library 'my'" in capsys.readouterr().err
    assert main(["library", "import", str(tmp_path / "nope.bib"), "--data", str(data)]) == 2
    assert "nope.bib: no such file" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_library_import_fetches_missing_arxiv_papers_by_id(arxiv_server, tmp_path, monkeypatch, capsys):
    (tmp_path / "litscope.yml").write_text(
        "arxiv: {delay_seconds: 0, backoff_seconds: 0, retries: 1}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LITSCOPE_ARXIV_URL", arxiv_server.url)
    (tmp_path / "reading.txt").write_text("2512.00001\narXiv:2512.00002v1\n", encoding="utf-8")
    assert main(["library", "import", "reading.txt"]) == 0
    out = capsys.readouterr().out
    assert "2 by arXiv id (2 fetched now)" in out
    assert [r.params["id_list"] for r in arxiv_server.requests] == ["2512.00001,2512.00002"]
    from litscope.store import Store
    store = Store(tmp_path / "data")
    assert store.count() == 2 and store.library()["paper_id"].tolist() == ["2512.00001", "2512.00002"]
    # arXiv failing: the import still happens, and says why the papers are not in the store
    arxiv_server.fail(503, times=9)
    (tmp_path / "more.txt").write_text("2512.00003\n", encoding="utf-8")
    assert main(["library", "import", "more.txt"]) == 0
    out = capsys.readouterr().out
    assert "1 arXiv id(s) not in the store (arXiv API: HTTP 503" in out and "2512.00003" in out
    assert len(store.library("more")) == 1


def test_vectors_of_library_only_items_follow_their_text(store):
    items = pd.DataFrame({"item_key": ["a", "b"], "title": ["One", "Two"], "authors": [[], []]})
    store.replace_library("my_lib", items)
    store.put_vectors("m", ["lib:my_lib/a", "lib:my_lib/b", "lib:myxlib/a"], [0, 0, 0], np.ones((3, 2)))
    store.replace_library("my_lib", items.assign(title=["One", "Two, revised"]))
    assert sorted(store.vectors("m")[0]) == ["lib:my_lib/a", "lib:myxlib/a"]
    store.remove_library("my_lib")
    assert list(store.vectors("m")[0]) == ["lib:myxlib/a"]      # LIKE's "_" taken literally


# -- real exports that used to be refused or to crash: through the command line -------------
def import_file(tmp_path, name: str, text: str, *more: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return litscope("library", "import", name, "--data", "data", "--no-fetch", *more, cwd=tmp_path)


@pytest.mark.slow
def test_bibtex_field_names_in_any_case_are_read(tmp_path):
    """Web of Science's 'Author =' and the widely copied ImageNet citation's 'AUTHOR =' used to
    crash 'library import' with a 23-line traceback."""
    done = import_file(tmp_path, "wos.bib", """
@article{ WOS:000123,
Author = {Smith, John and Doe, Jane},
Title = {A study of things},
Year = {2020},
}
@inproceedings{deng2009imagenet,
  title={Imagenet: A large-scale hierarchical image database},
  AUTHOR={Deng, Jia and Dong, Wei and Socher, Richard},
  booktitle={CVPR},
  YEAR={2009}
}
""")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert "library 'wos' (bibtex): 2 items; 2 added" in done.stdout
    items = Store(tmp_path / "data").library().set_index("item_key")
    assert items.loc["WOS:000123", "authors"] == ["John Smith", "Jane Doe"]
    assert items.loc["deng2009imagenet", "authors"] == ["Jia Deng", "Wei Dong", "Richard Socher"]
    assert items.loc["deng2009imagenet", "year"] == 2009


MENDELEY = r"""Automatically generated by Mendeley Desktop 1.19.8
Any changes to this file will be lost if it is regenerated by Mendeley.

BibTeX export options can be customized via Options -> BibTeX in Mendeley Desktop

@article{Vaswani2017,
arxivId = {1706.03762},
author = {Vaswani, Ashish and Shazeer, Noam},
title = {{Attention is all you need}},
year = {2017}
}
@article{Kullback1951,
author = {Kullback, S., {\&} Leibler, R. A.},
title = {{On information and sufficiency}},
year = {1951}
}
@article{Wang2020,
author = {Wang, Yan-000529044,He, Liu},
title = {{Better BibTeX wrote this name}},
year = {2020}
}
@article{Bad2021,
arxivId = {not-an-id},
title = {{An arxivId that is none}},
year = {2021}
}
"""


@pytest.mark.slow
def test_one_odd_name_no_longer_refuses_the_library(tmp_path):
    """'Wang, Yan-000529044,He, Liu' (Better BibTeX) and 'Kullback, S., {\\&} Leibler, R. A.'
    (Mendeley) used to refuse the whole library, naming a line two lines before the entry."""
    done = import_file(tmp_path, "mendeley.bib", MENDELEY)
    assert done.returncode == 0, done.stderr
    assert done.warnings == [
        "litscope: warning: mendeley.bib: line 12: entry 'Kullback1951': the name 'Kullback, S., {\\&} "
        "Leibler, R. A.' cannot be split into first and last names (Too many commas); kept as written",
        "litscope: warning: mendeley.bib: line 17: entry 'Wang2020': the name 'Wang, Yan-000529044,He, Liu' "
        "cannot be split into first and last names (Too many commas); kept as written"]
    assert "4 items; 4 added" in done.stdout
    items = Store(tmp_path / "data").library().set_index("item_key")
    assert items.loc["Kullback1951", "authors"] == ["Kullback, S., & Leibler, R. A."]
    assert items.loc["Wang2020", "authors"] == ["Wang, Yan-000529044,He, Liu"]
    assert items.loc["Vaswani2017", "arxiv_id"] == "1706.03762"    # Mendeley's arxivId, read
    assert items.loc["Bad2021", "arxiv_id"] is None                  # ... where it is one
    assert items.loc["Vaswani2017", "title"] == "Attention is all you need"


@pytest.mark.slow
def test_an_entry_that_cannot_be_read_is_skipped_by_key_and_line(tmp_path):
    deep = "{" * 250 + "Deep" + "}" * 250
    huge = r"\'e " * 1_000_000       # 4 MB of LaTeX: decoding it took 251 s
    done = import_file(tmp_path, "mixed.bib", f"""@article{{good1, title = {{Good}}, year = {{2020}}}}
@article{{broken, title = {{X}}, ]]]
}}
@article{{deep, title = {{{deep}}}}}
@article{{huge, title = {{Huge}}, abstract = {{{huge}}}}}
@article{{good1, title = {{Again}}}}
@article{{good2, title = {{Good too}}}}
""")
    assert done.returncode == 0, done.stderr
    assert done.warnings == [
        "litscope: warning: mixed.bib: line 2: entry 'broken': not valid BibTeX; skipped",
        "litscope: warning: mixed.bib: line 6: entry 'good1': the same key as an entry above; skipped",
        "litscope: warning: mixed.bib: line 4: entry 'deep': braces nested more than 32 deep; skipped",
        "litscope: warning: mixed.bib: line 5: entry 'huge': its abstract has 4,000,000 "
        "characters, more than the 100,000 litscope keeps; skipped"]
    assert "2 items; 2 added" in done.stdout and "4 entries skipped (see the warnings)" in done.stdout
    assert sorted(Store(tmp_path / "data").library()["item_key"]) == ["good1", "good2"]


CUT_RIS = """TY  - JOUR
TI  - First paper
AU  - Alpha, Ann
PY  - 2020
ER  - 

TY  - JOUR
TI  - Second paper
AU  - Beta, Bob
PY  - 2021
ER  - 
"""


@pytest.mark.parametrize("name, whole, cut, named", [
    ("lib.ris", CUT_RIS, CUT_RIS[:CUT_RIS.rindex("ER  -")], "line 7: the entry 'Second paper'"),
    ("lib.bib", "@article{a, title={First paper}}\n@article{b, title={Second paper}}\n",
     "@article{a, title={First paper}}\n@article{b, title={Second", "line 2: entry 'b'"),
    ("lib.json", '[{"id": "a", "title": "First paper"}, {"id": "b", "title": "Second paper"}]',
     '[{"id": "a", "title": "First paper"}, {"id": "b", "title": "Sec', "item 2 ('b')"),
    ("lib.txt", "2501.00010\n2501.00020\n", "2501.00010\n2501.000", "line 2 ('2501.000')"),
])
@pytest.mark.slow
def test_a_cut_export_removes_nothing_and_names_the_cut_entry(tmp_path, name, whole, cut, named):
    """A RIS export cut in its last entry (no closing 'ER  -') used to remove that item from
    the library silently; when it came back, its 'added' date was reset."""
    assert import_file(tmp_path, name, whole).returncode == 0
    before = Store(tmp_path / "data").library()
    done = import_file(tmp_path, name, cut)
    assert done.returncode == 0, done.stderr
    assert done.warnings == [f"litscope: warning: {name}: {named}: the file ends inside it (cut off); "
                             f"skipped, and nothing is removed from the library"]
    assert "nothing removed (1 items not in this cut-off export kept)" in done.stdout
    assert Store(tmp_path / "data").library().equals(before)


CSL_TYPES = [
    {"id": "number-title", "title": 1984, "issued": {"date-parts": [[1949]]}},
    {"id": "list-title", "title": ["A", "B"]},
    {"id": "object-title", "title": {"text": "A"}},
    {"id": "string-issued", "title": "EDTF", "issued": "2024"},
    {"id": "flat-date-parts", "title": "Flat", "issued": {"date-parts": [2024]}},
    {"id": "string-year", "title": "String year", "issued": {"date-parts": [["2023", "5"]]}},
    {"id": "nan-year", "title": "NaN year", "issued": {"date-parts": [[float("nan")]]}},
    {"id": "huge-year", "title": "Huge year", "issued": {"date-parts": [[10 ** 30]]}},
    {"id": "raw-date", "title": "Raw", "issued": {"raw": "Spring 2021"}},
    {"id": "empty-issued", "title": "Empty", "issued": []},
    {"id": "number-issued", "title": "Number", "issued": 2022},
    {"id": "string-author", "title": "One author", "author": ["Ann Alpha", 7, {"family": "Beta", "given": "Bob"}]},
    {"id": "nan-abstract", "title": "NaN abstract", "abstract": float("nan")},
    {"id": None, "title": "No id"},
    {"id": 42, "title": "Number id"},
    {"id": "number-doi", "title": "Number DOI", "DOI": 10.1},
    "a string, not an item",
    {"id": "infinite", "title": "Infinite", "issued": {"date-parts": [[float("inf")]]}},
    {"id": "bool-title", "title": True},
]


@pytest.mark.slow
def test_csl_json_items_of_any_types_are_read_or_skipped_by_name(tmp_path):
    """8 of these 19 items used to end 'library import' in a traceback."""
    done = import_file(tmp_path, "items.json", json.dumps(CSL_TYPES))
    assert done.returncode == 0, done.stderr
    assert done.warnings == [
        "litscope: warning: items.json: item 2 ('list-title'): its title is [\"A\", \"B\"], not text; skipped",
        "litscope: warning: items.json: item 3 ('object-title'): its title is {\"text\": \"A\"}, not text; skipped",
        "litscope: warning: items.json: item 7 ('nan-year'): the date {\"date-parts\": [[NaN]]} holds no year "
        "from 1800 to 2999; read without a year",
        "litscope: warning: items.json: item 8 ('huge-year'): the date {\"date-parts\": "
        "[[1000000000000000000000000000000]]} holds no year from 1800 to 2999; read without a year",
        "litscope: warning: items.json: item 10 ('empty-issued'): the date [] holds no year from 1800 to 2999; "
        "read without a year",
        "litscope: warning: items.json: item 13 ('nan-abstract'): its abstract is NaN, not text; skipped",
        "litscope: warning: items.json: item 17: \"a string, not an item\" is not a CSL item (an object); skipped",
        "litscope: warning: items.json: item 18 ('infinite'): the date {\"date-parts\": [[Infinity]]} holds no "
        "year from 1800 to 2999; read without a year",
        "litscope: warning: items.json: item 19 ('bool-title'): its title is true, not text; skipped"]
    items = Store(tmp_path / "data").library().set_index("item_key")
    assert items.loc["number-title", "title"] == "1984" and items.loc["number-title", "year"] == 1949
    assert [items.loc[k, "year"] for k in ("string-issued", "flat-date-parts", "string-year", "raw-date",
                                            "number-issued")] == [2024, 2024, 2023, 2021, 2022]
    assert items.loc["string-author", "authors"] == ["Ann Alpha", "Bob Beta"]
    assert "42" in items.index and pd.isna(items.loc["nan-year", "year"])
    assert len(items) == 14                                  # 19, less the 5 skipped
