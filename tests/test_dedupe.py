"""Duplicates across sources: found by title/abstract similarity, merged keeping every field,
uncertain pairs left for review, and applied to the store without losing labels or notes."""
from __future__ import annotations

import pandas as pd
import pytest

from litscope.cli import main
from litscope.curate.dedupe import dedupe, dedupe_store, find_duplicates, merge_duplicates
from litscope.errors import CurateError
from litscope.sample import load_sample
from litscope.schema import content_id, papers_frame, validate_papers

TITLE = "ParoQuant: Pairwise Rotation Quantization for Efficient Reasoning LLM Inference"
ABSTRACT = ("Post-training quantization (PTQ) compresses the weights and activations of large "
            "language models into low-precision representations. We propose pairwise rotations "
            "that even out outliers, and fuse them into kernels so inference stays fast.")
OTHER = ("We study how agents plan with tools in web environments and release a benchmark of "
         "long-horizon browsing tasks with verifiable answers for reinforcement learning.")


def arxiv_copy(**fields) -> dict:
    return {"id": "2511.10645", "version": 1, "title": TITLE, "abstract": ABSTRACT,
            "authors": ["Yesheng Liang", "Song Han"], "tags": ["quantization"],
            "source": "daily:000.txt", **fields}


def frame(*records: dict) -> pd.DataFrame:
    return papers_frame(list(records))


def test_same_paper_from_two_digests_merges_into_one_row():
    papers = frame(arxiv_copy(), arxiv_copy(version=2, tags=["llm"], tldr="Rotations.", source="daily:001.txt"),
                   {"id": "2512.00001", "title": "Web agents", "abstract": OTHER, "source": "x"})
    pairs = find_duplicates(papers)
    assert pairs[["id_a", "id_b", "certain", "reason"]].values.tolist() == [
        ["2511.10645", "2511.10645", True, "same id"]]
    merged, review = dedupe(papers)
    assert len(merged) == 2 and review.empty
    row = merged.set_index("id").loc["2511.10645"]
    assert row["version"] == 2 and row["tldr"] == "Rotations." and row["tags"] == ["llm", "quantization"]
    assert row["merged_sources"] == ["daily:001.txt", "daily:000.txt"]


def test_title_only_entry_merges_into_the_arxiv_copy():
    title_only = {"id": content_id(TITLE, None), "title": TITLE.upper().replace(":", " -"),
                  "source": "list.md", "tags": ["to-read"], "topic": "Efficiency"}
    papers = frame(title_only, arxiv_copy())
    (pair,) = find_duplicates(papers).itertuples()
    assert pair.certain and pair.reason == "title" and pd.isna(pair.abstract_similarity)
    merged = merge_duplicates(papers, find_duplicates(papers))
    (row,) = merged.to_dict("records")
    assert row["id"] == "2511.10645" and row["title"] == TITLE and row["abstract"] == ABSTRACT
    assert row["topic"] == "Efficiency" and row["tags"] == ["quantization", "to-read"]
    assert row["merged_from"] == [title_only["id"]]


def test_abstract_only_entry_with_made_up_title_gives_its_fields_but_not_its_title():
    rewritten = ABSTRACT.replace("We propose", "This paper proposes").replace("%", "\\%")
    topic_copy = {"id": content_id(None, rewritten), "title": "PTQ compresses weights…",
                  "title_derived": True, "abstract": rewritten, "subtopic": "效率与压缩",
                  "motivation": "量化", "source": "topics:004.txt"}
    merged, review = dedupe(frame(topic_copy, arxiv_copy()))
    (row,) = merged.to_dict("records")
    assert review.empty
    assert (row["id"], row["title"], row["title_derived"]) == ("2511.10645", TITLE, False)
    assert (row["subtopic"], row["motivation"], row["abstract"]) == ("效率与压缩", "量化", ABSTRACT)


def test_two_arxiv_ids_are_never_certain_and_unrelated_papers_are_not_paired():
    papers = frame(arxiv_copy(), arxiv_copy(id="2601.00002", source="other"),
                   {"id": "2512.00001", "title": "Web agents", "abstract": OTHER, "source": "x"})
    pairs = find_duplicates(papers)
    assert pairs[["id_a", "id_b", "certain", "reason"]].values.tolist() == [
        ["2511.10645", "2601.00002", False, "two arXiv ids"]]
    merged, review = dedupe(papers)
    assert len(merged) == 3 and review["id_b"].tolist() == ["2601.00002"]


def test_pairs_sharing_a_paper_form_one_group_merged_once():
    versions = [arxiv_copy(id=content_id(TITLE, str(i)), source=f"s{i}") for i in range(3)]
    pairs = find_duplicates(frame(*versions))
    assert len(pairs) == 3 and pairs["group"].eq(0).all()
    merged = merge_duplicates(frame(*versions), pairs)
    assert len(merged) == 1 and len(merged["merged_from"][0]) == 2
    assert merged["id"][0] == min(v["id"] for v in versions)   # ties broken by id, not order


@pytest.mark.slow
def test_the_sample_holds_one_cross_digest_duplicate():
    sample = load_sample()
    pairs = find_duplicates(sample)
    assert len(pairs) == 1 and pairs["certain"].all()
    assert pairs["id_a"][0] == "2511.10645" and pairs["id_b"][0].startswith("h:")
    merged, review = dedupe(sample)
    assert len(merged) == len(sample) - 1 and review.empty
    validate_papers(merged)


def test_arguments_and_mismatched_frames_are_refused():
    papers = frame(arxiv_copy(), arxiv_copy(source="b"))
    with pytest.raises(CurateError, match="threshold"):
        find_duplicates(papers, threshold=0.9, certain_at=0.5)
    with pytest.raises(CurateError, match="method must be"):
        find_duplicates(papers, method="minhash")
    with pytest.raises(CurateError, match="same papers frame"):
        merge_duplicates(papers.iloc[::-1].assign(id=["x", "y"]), find_duplicates(papers))


def _seeded_store(store):
    topic_copy = {"id": content_id(None, ABSTRACT), "title": "PTQ…", "title_derived": True,
                  "abstract": ABSTRACT, "subtopic": "效率与压缩", "source": "topics:004.txt"}
    store.add_papers(frame(arxiv_copy(), topic_copy,
                           {"id": "2512.00001", "title": "Web agents", "abstract": OTHER, "source": "x"}))
    store.set_label(topic_copy["id"], "include")
    store.set_note(topic_copy["id"], "read later")
    store.set_note("2511.10645", "fast kernels")
    return topic_copy["id"]


def test_applying_to_the_store_moves_labels_notes_and_sources(store):
    old = _seeded_store(store)
    certain, uncertain = dedupe_store(store)
    assert store.count() == 3 and len(certain) == 1 and uncertain.empty   # not applied
    dedupe_store(store, apply=True)
    assert store.count() == 2 and old not in set(store.papers()["id"])
    kept = store.papers(["2511.10645"]).iloc[0]
    assert kept["subtopic"] == "效率与压缩" and kept["title"] == TITLE
    assert store.labels().set_index("id")["label"].to_dict() == {"2511.10645": "include"}
    assert store.notes().set_index("id")["note"]["2511.10645"] == "fast kernels\n\nread later"
    assert set(store.sources().query("id == '2511.10645'")["source"]) == {"daily:000.txt", "topics:004.txt"}
    assert dedupe_store(store)[0].empty                                     # nothing left to merge


def test_importing_a_merged_copy_again_folds_it_into_the_kept_paper(store):
    old = _seeded_store(store)
    dedupe_store(store, apply=True)
    again = frame({"id": old, "title": "PTQ…", "title_derived": True, "abstract": ABSTRACT,
                   "subtopic": "效率与压缩", "tags": ["ptq"], "source": "topics:004.txt"})
    counts = store.add_papers(again)
    assert store.count() == 2 and old not in set(store.papers()["id"])
    assert counts["added"] == 0
    kept = store.papers(["2511.10645"]).iloc[0]
    assert kept["title"] == TITLE and set(kept["tags"]) == {"quantization", "ptq"}


def test_cli_lists_pairs_and_applies_only_with_apply(store, capsys):
    _seeded_store(store)
    data = str(store.path.parent)
    assert main(["dedupe", "--data", data]) == 0
    out = capsys.readouterr().out
    assert "1 certain, 0 to review" in out and "--apply" in out and store.count() == 3
    assert main(["dedupe", "--data", data, "--apply"]) == 0
    assert "now holds 2 papers (was 3)" in capsys.readouterr().out
    assert main(["dedupe", "--data", data, "--threshold", "0"]) == 2
    assert "threshold" in capsys.readouterr().err
