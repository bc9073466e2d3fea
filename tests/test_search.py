"""Hybrid search: words and meaning fused by reciprocal rank; the CLI."""
from __future__ import annotations

import numpy as np
import pytest

from litscope.cli import main
from litscope.errors import ScoreError
from litscope.schema import papers_frame
from litscope.score.search import search

PAPERS = papers_frame([
    {"id": "a", "title": "Speculative decoding with draft models", "source": "t",
     "abstract": "A small draft model proposes tokens that the large model verifies."},
    {"id": "b", "title": "Draft-then-verify generation", "source": "t",
     "abstract": "Guess several tokens cheaply, then check them in one pass of the target model."},
    {"id": "c", "title": "Protein folding with transformers", "source": "t",
     "abstract": "We predict the structure of proteins from amino acid sequences."},
    {"id": "d", "title": "Speech recognition at scale", "source": "t",
     "abstract": "Acoustic models transcribe audio into text."},
])


def test_words_only_finds_the_papers_with_the_words():
    found = search(PAPERS, "speculative decoding", semantic=None)
    assert found["id"].tolist() == ["a"]
    assert found["search_score"].iloc[0] == pytest.approx(1.0)      # first of the one list
    assert np.isnan(found["meaning_rank"].iloc[0])


def test_meaning_adds_papers_the_words_miss_and_scores_one_for_first_in_both():
    pytest.importorskip("wordllama")
    found = search(PAPERS, "speculative decoding", top=None)
    assert found["id"].iloc[0] == "a" and found["search_score"].iloc[0] == pytest.approx(1.0)
    assert set(found["id"]) == set(PAPERS["id"])                      # meaning ranks all
    assert found["search_score"].is_monotonic_decreasing
    b = found.set_index("id").loc["b"]
    assert np.isnan(b["words_rank"]) and b["meaning_rank"] >= 1
    assert len(search(PAPERS, "decoding", top=2)) == 2


def test_search_checks_the_query():
    with pytest.raises(ScoreError, match="the query is empty"):
        search(PAPERS, "   ")


@pytest.mark.slow
def test_cli_search(sample_store, capsys):
    data = str(sample_store.path.parent)
    assert main(["search", "speculative", "decoding", "--top", "5", "--data", data]) == 0
    out = capsys.readouterr().out
    assert "5 best of 905 papers by words + meaning (wordllama" in out
    assert out.lower().count("speculative") + out.lower().count("draft") >= 2
    assert main(["search", "KV cache", "--words-only", "--data", data]) == 0
    assert "by words only" in capsys.readouterr().out
