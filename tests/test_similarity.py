"""Similarity to the library: nearest neighbours by hand, recency, the score component and
its explain rows, embeddings cached per paper in the store."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from litscope.errors import ProfileError, ScoreError
from litscope.schema import papers_frame
from litscope.score.engine import Scorer
from litscope.score.profile import parse_profile
from litscope.score.similarity import _split_terms, cosine_neighbours, recency_weights, similarity_to

TOPICS = {
    "decoding": "speculative decoding draft model verification tokens latency",
    "protein": "protein folding structure amino acid molecular dynamics",
    "speech": "speech recognition acoustic audio transcription spoken",
}


def _corpus(n: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for topic, words in TOPICS.items():
        vocab = words.split()
        for i in range(n):
            text = " ".join(rng.choice(vocab, 12)) + " we study a method"
            rows.append({"id": f"{topic}-{i:02d}", "title": f"On {vocab[i % len(vocab)]} {i}",
                         "abstract": text, "source": "test", "published": "2025-01-01"})
    return papers_frame(rows)


def _brute_force(full: np.ndarray, weights: np.ndarray, k: int) -> list[np.ndarray]:
    """Per paper, its k best reference papers by weighted cosine (`full`: papers x reference),
    paper i < len(reference) being reference i itself and left out: what cosine_neighbours
    must find."""
    out = []
    for i in range(len(full)):
        score = full[i] * weights
        if i < full.shape[1]:
            score[i] = -np.inf
        out.append(np.argsort(-score, kind="stable")[:k])
    return out


@pytest.mark.slow
def test_cosine_neighbours_match_brute_force_and_skip_the_paper_itself():
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(30, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    reference = vectors[:5]
    weights = np.array([1, 0.5, 1, 0.25, 1], np.float32)
    exclude = np.full(30, -1)
    exclude[:5] = np.arange(5)
    index, cosine = cosine_neighbours(vectors, reference, 3, weights=weights, exclude=exclude)
    full = vectors @ reference.T
    for i, best in enumerate(_brute_force(full, weights, 3)):
        assert index[i].tolist() == best.tolist()
        assert np.allclose(cosine[i], full[i, best], atol=1e-6)
    # a reference of one paper that is the paper itself leaves no neighbour
    index, cosine = cosine_neighbours(vectors[:1], reference[:1], 2, exclude=np.array([0]))
    assert index.tolist() == [[-1, -1]] and cosine.tolist() == [[0.0, 0.0]]


@pytest.mark.slow
def test_sparse_neighbours_equal_scipys_product_through_both_kinds_of_terms():
    rng = np.random.default_rng(2)

    def matrix(rows: int, seed: int) -> sparse.csr_matrix:   # 5 terms in every row, the rest rare
        rare = sparse.random(rows, 295, density=0.05, dtype=np.float32, random_state=seed)
        return sparse.hstack([rng.random((rows, 5)).astype(np.float32), rare], format="csr")

    vectors, reference = matrix(200, 3), matrix(40, 4)
    dense_col, dense_ref, inverted = _split_terms(reference)
    assert 0 < len(dense_ref) and inverted.nnz > 0         # both paths are taken
    weights = rng.random(40).astype(np.float32)
    exclude = np.full(200, -1)
    exclude[:40] = np.arange(40)
    index, cosine = cosine_neighbours(vectors, reference, 4, weights=weights, exclude=exclude)
    full = (vectors @ reference.T).toarray()
    for i, best in enumerate(_brute_force(full, weights, 4)):
        assert index[i].tolist() == best.tolist()
        assert cosine[i].tolist() == full[i, best].tolist()   # the same sums, to the bit


def test_neighbours_break_ties_by_row_and_pad_a_short_reference():
    reference = np.array([[1, 0], [0, 1], [1, 0]], np.float32)
    for vectors in (np.array([[1, 0]], np.float32), sparse.csr_matrix([[1.0, 0.0]])):
        index, cosine = cosine_neighbours(vectors, reference, 5)
        assert index.tolist() == [[0, 2, 1, -1, -1]]
        assert cosine.tolist() == [[1.0, 1.0, 0.0, 0.0, 0.0]]
    with pytest.raises(ScoreError, match="columns"):
        cosine_neighbours(reference[:, :1], reference, 2)


def test_recency_weights_halve_every_half_life():
    weights = recency_weights(["2025-01-01", "2024-01-02", None], 365, now="2025-01-01")
    assert weights[0] == pytest.approx(1.0) and weights[1] == pytest.approx(0.5, abs=1e-3)
    assert weights[2] == 1.0
    assert recency_weights(["2000-01-01"], None).tolist() == [1.0]


def test_papers_like_the_library_rank_first():
    papers = _corpus()
    library = papers[papers["id"].isin(["decoding-00", "decoding-01", "decoding-02"])]
    sim = similarity_to(papers, library, top_k=2, half_life_days=None)
    values = pd.Series(sim.values, index=papers["id"])
    assert values.max() == pytest.approx(1.0)           # the most similar paper scores 1
    top = values.drop(library["id"]).nlargest(9).index
    assert all(i.startswith("decoding") for i in top)
    # a library paper is compared with the others, not itself
    first = papers.index[papers["id"] == "decoding-00"][0]
    assert 0 not in sim.neighbours[first]


def test_similarity_rows_in_explain_sum_with_the_rest_to_the_score():
    papers = _corpus()
    library = papers[papers["id"].str.startswith("decoding")].head(4).assign(
        added=["2025-01-01", "2024-01-01", "2023-01-01", "2025-01-01"])
    profile = parse_profile("terms: [{speculative decoding: 2}, latency]\nhalf_life_days: 30\n"
                            "alpha: 0.3\nsimilarity: {weight: 3, top_k: 3, half_life_days: 365}\n")
    scorer = Scorer(profile).fit(papers)
    scorer.set_learned(pd.Series(np.linspace(0, 1, len(papers)), index=papers["id"]))
    before = scorer.scores(now="2025-02-01")
    sim = similarity_to(papers, library, top_k=3, half_life_days=365, now="2025-02-01")
    scorer.set_similarity(sim)
    after = scorer.scores(now="2025-02-01")
    assert (after >= before - 1e-12).all() and (after > before).any()
    for paper_id in ("decoding-05", "protein-03", "decoding-00"):
        table = scorer.explain(paper_id, now="2025-02-01")
        rows = table[table["term"].str.startswith("similar to ‹")]
        assert 1 <= len(rows) <= 3 and (rows["field"] == "library").all()
        assert rows["term"].iloc[0].endswith(f"{sim.cosine[papers.index[papers['id'] == paper_id][0], 0]:.2f}")
        assert table["contribution"].sum() == pytest.approx(table.attrs["score"], rel=1e-9, abs=1e-9)
    # doubling the weight doubles the similarity rows; the rows still sum to the score
    rows_at = lambda: scorer.explain("decoding-05", now="2025-02-01").pipe(
        lambda t: t[t["field"] == "library"]["contribution"].to_numpy())
    three = rows_at()
    scorer.set_similarity_weight(6)
    assert np.allclose(rows_at(), 2 * three)
    table = scorer.explain("decoding-05", now="2025-02-01")
    assert table["contribution"].sum() == pytest.approx(table.attrs["score"], rel=1e-9)
    assert scorer.profile.similarity.weight == 6
    scorer.set_similarity(None)
    assert np.allclose(scorer.scores(now="2025-02-01"), before)


def test_similarity_checks_its_inputs():
    papers = _corpus(3)
    with pytest.raises(ScoreError, match="the library is empty"):
        similarity_to(papers, papers.iloc[:0])
    with pytest.raises(ScoreError, match="top_k must be at least 1"):
        similarity_to(papers, papers.iloc[:2], top_k=0)
    scorer = Scorer(parse_profile("terms: [audio]")).fit(papers)
    with pytest.raises(ProfileError, match="no 'similarity:' section"):
        scorer.set_similarity_weight(2)
    with pytest.raises(ScoreError, match="expected 9 values"):
        scorer.set_similarity(similarity_to(papers.iloc[:4], papers.iloc[:2]))


def test_embeddings_are_cached_per_paper_and_version_in_the_store(store):
    pytest.importorskip("wordllama")
    from litscope.score.features import paper_vectors
    from litscope.score.represent import WordLlama
    papers = _corpus(4).assign(version=pd.array([1] * 12, dtype="Int64"))
    store.add_papers(papers)
    rep = WordLlama()
    calls = []
    original = rep.transform
    rep.transform = lambda texts: calls.append(len(texts)) or original(texts)
    first = paper_vectors(papers, rep, store=store)
    assert first.shape == (12, 256) and np.allclose(np.linalg.norm(first, axis=1), 1, atol=1e-2)
    again = paper_vectors(papers, rep, store=store)
    assert calls == [12] and np.allclose(first, again, atol=1e-3)      # float16 in the store
    changed = papers.iloc[:2].assign(version=pd.array([2, 2], dtype="Int64"))
    store.add_papers(changed)                                            # new versions: re-embedded
    paper_vectors(store.papers(), rep, store=store)
    assert calls == [12, 2]
    ids, versions, _ = store.vectors(rep.name)
    assert dict(zip(ids, versions))["decoding-00"] == 2


def test_related_papers_are_the_nearest_others_in_the_review():
    from litscope.score.similarity import related_papers
    papers = _corpus(6)
    related = related_papers(papers, k=3)
    mine = related[related["id"] == "protein-02"]
    assert mine["rank"].tolist() == [1, 2, 3][:len(mine)] and len(mine) >= 1
    assert "protein-02" not in set(mine["related_id"])
    assert all(i.startswith("protein") for i in mine["related_id"])
    assert mine["similarity"].is_monotonic_decreasing and (mine["similarity"] >= 0.1).all()
    assert mine["related_title"].iloc[0] == papers.set_index("id").loc[mine["related_id"].iloc[0], "title"]


def test_cli_score_explains_similarity_through_an_embeddings_endpoint(openai_server, tmp_path,
                                                                       monkeypatch, capsys):
    from litscope.cli import main
    from litscope.store import Store
    papers = _corpus(4)
    store = Store(tmp_path / "data")
    store.add_papers(papers)
    store.replace_library("mine", pd.DataFrame({
        "item_key": ["decoding-00", "decoding-01"], "paper_id": ["decoding-00", "decoding-01"],
        "title": ["a", "b"], "authors": [[], []]}))
    (tmp_path / "litscope.yml").write_text(
        f"llm: {{base_url: '{openai_server.url}', embedding_model: fake-embed, retries: 0}}\n", encoding="utf-8")
    (tmp_path / "profile.yml").write_text(
        "terms: [audio]\nsimilarity: {weight: 2, top_k: 2, representation: endpoint}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["score", "--explain", "decoding-03"]) == 0
    out = capsys.readouterr().out
    assert "similarity (weight 2, endpoint)" in out and "similar to ‹" in out
    bodies = [r["body"] for r in openai_server.requests if r["path"] == "/v1/embeddings"]
    assert bodies and {b["model"] for b in bodies} == {"fake-embed"}
    assert len(store.vectors("endpoint-fake-embed")[0]) == len(papers)      # cached in the store
