"""Learning from labels: metrics on hand-computed cases, the learner, active learning,
simulation on the embedded sample, evaluation, the store and the CLI."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.svm import LinearSVC

from litscope.cli import main
from litscope.errors import LearnError
from litscope.score.learn import (Learner, evaluate, label_targets, loss, ndcg, precision_at_k,
                                  recall_after, recall_at_k, sample_priors, simulate, suggest_next,
                                  wss_at)
from litscope.schema import papers_frame

TOPICS = {
    "graph": ["graph neural networks", "message passing", "node classification", "graph attention"],
    "protein": ["protein folding", "amino acid sequences", "molecular dynamics", "protein structure"],
    "speech": ["speech recognition", "acoustic models", "spoken language", "audio transcription"],
}
FILLER = "we propose a method and evaluate it on several benchmarks with strong results".split()


def _corpus(n_per_topic: int = 20, seed: int = 0) -> pd.DataFrame:
    """Papers on three topics whose texts share filler words but not topic phrases."""
    rng = np.random.default_rng(seed)
    records = []
    for topic, phrases in TOPICS.items():
        for i in range(n_per_topic):
            words = [*rng.choice(phrases, 3), *rng.choice(FILLER, 8)]
            rng.shuffle(words)
            records.append({"id": f"{topic}-{i:02d}", "title": f"{rng.choice(phrases)} study {i}",
                            "abstract": " ".join(words), "source": "test", "topic": topic})
    return papers_frame(records)


@pytest.fixture(scope="module")
def corpus() -> pd.DataFrame:
    return _corpus()


# -- metrics ---------------------------------------------------------------------------
RANKING = ["a", "b", "c", "d", "e"]


def test_recall_and_precision_at_k_by_hand():
    assert recall_at_k(RANKING, {"a", "c"}, 1) == 0.5
    assert recall_at_k(RANKING, {"a", "c"}, 2) == 0.5
    assert recall_at_k(RANKING, {"a", "c"}, 3) == 1.0
    assert precision_at_k(RANKING, {"a", "c"}, 2) == 0.5
    assert precision_at_k(RANKING, {"a", "c"}, 3) == pytest.approx(2 / 3)
    assert precision_at_k(RANKING, {"a", "c"}, 10) == pytest.approx(2 / 5)   # k beyond the list
    assert recall_at_k(RANKING, {"a", "c", "zz"}, 1) == 0.5                   # unranked ids ignored


def test_recall_after_a_fraction_screens_the_floor_of_it():
    assert recall_after(RANKING, {"b", "e"}, 0.4) == 0.5    # 2 screened: a, b
    assert recall_after(RANKING, {"b", "e"}, 0.39) == 0.0   # 1 screened: a
    assert recall_after(RANKING, {"b", "e"}, 1.0) == 1.0


def test_wss_matches_asreview_insights_by_hand():
    # 10 papers, relevant ones ranked 1st and 2nd. The random screener finds them at
    # positions 3 and 7 (0-based: round(linspace(0, 2, 10)) = 0,0,0,1,1,1,1,2,2,2), this
    # ranking at 0 and 1. WSS@95 reads the recall level floor(0.95 * 2) / 2 = 0.5:
    # (3 - 0) / 10; WSS@100 reads recall 1: (7 - 1) / 10.
    ranking = list("abcdefghij")
    assert wss_at(ranking, {"a", "b"}, 0.95) == pytest.approx(0.3)
    assert wss_at(ranking, {"a", "b"}, 1.0) == pytest.approx(0.6)
    # relevant ones last is worse than random: (7 - 9) / 10
    assert wss_at(ranking, {"i", "j"}, 1.0) == pytest.approx(-0.2)


def test_wss_is_near_cohens_definition_on_a_long_ranking():
    ranking = [f"p{i}" for i in range(1000)]
    relevant = {f"p{i}" for i in range(0, 400, 4)}       # 100 relevant within the first 400
    n = 4 * 95 - 3                                        # screened when the 95th is found
    cohen = (1000 - n) / 1000 - 0.05
    assert wss_at(ranking, relevant) == pytest.approx(cohen, abs=0.01)


def test_loss_and_ndcg_match_asreviews_definitions_by_hand():
    # relevant 1st and 3rd of 5: recall curve (found) 1,1,2,2,2 sums to 8; the perfect one
    # (2,2 first) 1,2,2,2,2 to 9, the worst (2 last) 0,0,0,1,2 to 3: loss (9 - 8) / (9 - 3)
    assert loss(RANKING, {"a", "c"}) == pytest.approx(1 / 6)
    assert loss(RANKING, {"a", "b"}) == 0.0 and loss(RANKING, {"d", "e"}) == 1.0
    # gains 1/log2(2) + 1/log2(4) = 1.5 against the perfect 1 + 1/log2(3)
    assert ndcg(RANKING, {"a", "c"}) == pytest.approx(1.5 / (1 + 1 / np.log2(3)))
    assert ndcg(RANKING, {"a", "b"}) == pytest.approx(1.0)
    with pytest.raises(LearnError, match="every paper in the ranking is relevant"):
        loss(RANKING, set(RANKING))


def test_loss_is_one_minus_the_rankings_roc_auc_and_near_one_half_at_random():
    from sklearn.metrics import roc_auc_score
    ranking = [f"p{i}" for i in range(2000)]
    relevant = set(np.random.default_rng(0).choice(ranking, 100, replace=False))
    truth = [p in relevant for p in ranking]
    auc = roc_auc_score(truth, -np.arange(len(ranking)))    # the first ranked scores highest
    assert loss(ranking, relevant) == pytest.approx(1 - auc)
    assert loss(ranking, relevant) == pytest.approx(0.5, abs=0.05)


def test_metrics_need_a_relevant_paper_in_the_ranking():
    with pytest.raises(LearnError, match="none of the relevant papers"):
        wss_at(RANKING, {"x"})
    with pytest.raises(LearnError, match="k must be at least 1"):
        precision_at_k(RANKING, {"a"}, 0)


# -- labels ----------------------------------------------------------------------------
def test_label_targets_reads_store_frames_series_and_booleans():
    frame = pd.DataFrame({"id": ["a", "b", "c"], "label": ["include", "exclude", "maybe"],
                          "updated_at": ["t"] * 3})
    assert label_targets(frame).to_dict() == {"a": 1, "b": 0}
    assert label_targets({"a": True, "b": False, "c": None}).to_dict() == {"a": 1, "b": 0}
    assert label_targets(pd.Series({"x": 1, "y": 0})).to_dict() == {"x": 1, "y": 0}
    assert label_targets({}).empty


def test_label_targets_names_a_bad_label():
    with pytest.raises(LearnError, match=r"paper 'b' has label 'yes'"):
        label_targets({"a": "include", "b": "yes"})
    with pytest.raises(LearnError, match="missing column"):
        label_targets(pd.DataFrame({"paper": ["a"], "label": ["include"]}))


# -- the learner -----------------------------------------------------------------------
def _mean_by_topic(proba: pd.Series, papers: pd.DataFrame) -> pd.Series:
    return proba.groupby(papers.set_index("id")["topic"]).mean()


def test_learner_ranks_the_included_topic_first(corpus):
    labels = {"graph-00": "include", "graph-01": "include", "protein-00": "exclude",
              "speech-00": "exclude"}
    learner = Learner().fit(corpus, labels)
    proba = learner.predict_proba(corpus)
    assert proba.index.tolist() == corpus["id"].tolist()
    assert proba.between(0, 1).all()
    means = _mean_by_topic(proba, corpus)
    assert means["graph"] > means["protein"] and means["graph"] > means["speech"]
    unlabelled = proba.drop(list(labels))
    top20 = unlabelled.sort_values(ascending=False).index[:18]
    assert all(i.startswith("graph") for i in top20)
    assert (learner.n_include_, learner.n_exclude_) == (2, 2)


def test_the_members_vote_by_their_rank_in_the_corpus(corpus):
    learner = Learner(pu_from=0).fit(corpus, LABELS)
    X = learner.features_.matrix
    logistic, svm = learner.logistic_.decision_function(X), learner.svm_.decision_function(X)

    def share_at_or_below(scores: np.ndarray) -> np.ndarray:
        return np.array([(scores <= s + 1e-9).mean() for s in scores])
    expected = (share_at_or_below(logistic) + share_at_or_below(svm)) / 2
    assert np.allclose(learner.predict_proba(corpus), expected, atol=1.5 / len(corpus))
    assert learner.name.endswith("pu-logistic+svm")


def test_while_includes_are_rare_the_svm_alone_ranks_as_asreview_does(corpus):
    learner = Learner(pu_from=0.05).fit(corpus, LABELS)      # 1 include of 60 papers
    assert learner.logistic_ is None and len(learner.reference_) == 1
    X = learner.features_.matrix
    labelled = corpus["id"].isin(["graph-00", "protein-00"]).to_numpy()
    y = corpus["id"].eq("graph-00").to_numpy()[labelled].astype(int)
    weights = np.where(y == 1, 1.0, 1 / 9.8)                  # ASReview's balancer, ratio 9.8
    asreview = LinearSVC(C=0.11).fit(X[labelled], y, sample_weight=weights * len(y) / weights.sum())
    order = np.argsort(-asreview.decision_function(X), kind="stable")
    assert np.array_equal(np.argsort(-learner._proba(X), kind="stable"), order)
    labels = {**LABELS, "graph-01": "include", "graph-02": "include"}   # 3 of 60: 5 %
    assert Learner(pu_from=0.05).fit(corpus, labels).logistic_ is not None
    assert len(Learner(pu_from=0.05).fit(corpus, labels).reference_) == 2


def test_without_a_labelled_exclude_the_logistic_regression_votes_alone(corpus):
    learner = Learner().fit(corpus, {"protein-03": "include"})
    assert learner.svm_ is None and len(learner.reference_) == 1
    proba = learner.predict_proba(corpus)
    assert proba["protein-03"] == 1.0 and proba.min() == pytest.approx(1 / len(corpus))


def test_suggest_next_keeps_the_logistic_regression_over_a_few_new_excludes(corpus):
    learner = Learner(refit_every=3, pu_from=0)
    suggest_next(corpus, LABELS, learner=learner)
    first = learner.logistic_
    labels = dict(LABELS)
    for paper in ("speech-05", "speech-06"):                # two new excludes: kept
        labels[paper] = "exclude"
        suggest_next(corpus, labels, learner=learner)
        assert learner.logistic_ is first
    assert learner.n_exclude_ == 2 + sum(v == "exclude" for v in LABELS.values())
    fresh = Learner(refit_every=3, pu_from=0).fit(corpus, labels)      # the SVM did follow them
    assert np.allclose(learner.svm_.coef_, fresh.svm_.coef_)
    assert not np.allclose(learner.logistic_.coef_, fresh.logistic_.coef_)
    labels["speech-07"] = "exclude"                         # the third: refitted
    suggest_next(corpus, labels, learner=learner)
    assert learner.logistic_ is not first
    second = learner.logistic_
    labels["graph-09"] = "include"                          # an include: refitted at once
    suggest_next(corpus, labels, learner=learner)
    assert learner.logistic_ is not second
    third = learner.logistic_
    del labels["speech-07"]                                 # a label taken back: refitted
    suggest_next(corpus, labels, learner=learner)
    assert learner.logistic_ is not third
    fourth = learner.logistic_
    labels["speech-08"] = "exclude"                         # fit() always starts afresh
    assert learner.fit(corpus, labels).logistic_ is not fourth


def test_refitting_every_label_gives_what_a_fresh_learner_gives(corpus):
    learner, labels = Learner(refit_every=1), dict(LABELS)
    for paper in ("speech-05", "protein-06", "graph-07"):
        labels[paper] = "include" if paper.startswith("graph") else "exclude"
        reused = suggest_next(corpus, labels, 5, learner=learner)
        assert reused.equals(suggest_next(corpus, labels, 5, learner=Learner(refit_every=1)))


def test_learner_predicts_papers_it_was_not_fitted_on(corpus):
    learner = Learner().fit(corpus.iloc[:50], {"graph-00": "include", "speech-00": "exclude"})
    proba = learner.predict_proba(corpus.iloc[50:])
    assert proba.index.tolist() == corpus["id"].iloc[50:].tolist()


def test_learner_learns_from_includes_alone_against_the_unlabelled(corpus):
    proba = Learner().fit(corpus, {"protein-03": "include"}).predict_proba(corpus)
    means = _mean_by_topic(proba, corpus)
    assert means.idxmax() == "protein"


def test_learner_says_which_labels_are_missing(corpus):
    with pytest.raises(LearnError, match="no paper is labelled 'include'"):
        Learner().fit(corpus, {"graph-00": "exclude"})
    with pytest.raises(LearnError, match="no paper is labelled 'include'"):
        Learner().fit(corpus, {"unknown-id": "include", "graph-00": "maybe"})
    two = corpus.iloc[:2]
    with pytest.raises(LearnError, match="every paper is labelled 'include'"):
        Learner().fit(two, dict.fromkeys(two["id"], "include"))
    with pytest.raises(LearnError, match="not fitted"):
        Learner().predict_proba(corpus)
    with pytest.raises(LearnError, match="missing column"):
        Learner().fit(corpus.drop(columns="id"), {"graph-00": "include"})


# -- active learning -------------------------------------------------------------------
LABELS = {"graph-00": "include", "protein-00": "exclude", "speech-00": "maybe"}


def test_suggest_top_returns_the_likeliest_unlabelled_papers(corpus):
    top = suggest_next(corpus, LABELS, n=5, strategy="top")
    assert len(top) == 5 and not set(top["id"]) & set(LABELS)
    assert top["learned"].is_monotonic_decreasing
    proba = Learner().fit(corpus, LABELS).predict_proba(corpus).drop(list(LABELS))
    assert top["learned"].iloc[0] == pytest.approx(proba.max(), abs=1e-5)
    assert all(i.startswith("graph") for i in top["id"])
    assert list(top.columns[:3]) == ["id", "version", "title"]     # paper schema first


def test_suggest_uncertain_returns_those_nearest_the_svms_boundary(corpus):
    picked = suggest_next(corpus, LABELS, n=4, strategy="uncertain")
    learner = Learner().fit(corpus, LABELS)
    svm = learner.svm_
    margin = pd.Series(np.abs(svm.decision_function(learner.features_.matrix)), index=corpus["id"])
    nearest = margin.drop(list(LABELS)).sort_values(kind="stable").index[:4]
    assert list(picked["id"]) == list(nearest)
    assert not set(picked["id"]) & set(LABELS)


def test_without_the_svm_uncertain_means_a_probability_nearest_one_half(corpus):
    picked = suggest_next(corpus, LABELS, n=4, strategy="uncertain", learner=Learner(svm_C=None))
    learner = Learner(svm_C=None).fit(corpus, LABELS)
    assert learner.svm_ is None
    proba = learner.logistic_.predict_proba(learner.features_.matrix)[:, 1]
    distance = pd.Series(np.abs(proba - 0.5), index=corpus["id"]).drop(list(LABELS))
    assert list(picked["id"]) == list(distance.sort_values(kind="stable").index[:4])


def test_suggest_checks_its_arguments(corpus):
    with pytest.raises(LearnError, match="strategy must be"):
        suggest_next(corpus, LABELS, strategy="random")
    with pytest.raises(LearnError, match="n must be at least 1"):
        suggest_next(corpus, LABELS, n=0)


# -- simulation ------------------------------------------------------------------------
def test_simulate_screens_every_paper_once_and_finds_all_relevant(corpus):
    relevant = corpus.loc[corpus["topic"] == "speech", "id"]
    run = simulate(corpus, relevant, seed=3)
    assert sorted(run.order) == sorted(corpus["id"])
    assert run.order[0] in set(relevant) and run.order[1] not in set(relevant)
    assert run.prior_ids == tuple(run.order[:2])
    curve = run.curve()
    assert len(curve) == len(corpus) - 2 and curve["recall"].iloc[-1] == 1.0
    assert curve["found"].iloc[run.n_screened - 1] == len(relevant) - 1   # priors not counted
    assert run.wss() > 0.5 and run.recall_after(0.5) == 1.0
    metrics = run.metrics()
    assert metrics["loss"] == pytest.approx(loss(run.ranking, set(relevant) - {run.order[0]}))
    assert metrics["loss"] < 0.1 and metrics["ndcg"] > 0.8


@pytest.mark.slow
def test_simulate_can_stop_at_a_recall_and_keeps_wss_below_it(corpus):
    relevant = corpus.loc[corpus["topic"] == "speech", "id"]
    full = simulate(corpus, relevant, seed=3)
    early = simulate(corpus, relevant, seed=3, stop_at=0.5)
    assert early.n_screened < full.n_screened and sorted(early.order) == sorted(corpus["id"])
    assert early.curve()["found"].iloc[early.n_screened - 1] == (len(relevant) - 1) // 2
    assert early.wss(0.5) == pytest.approx(full.wss(0.5))     # same order up to 50% recall


def test_sample_priors_is_seeded_and_respects_counts(corpus):
    relevant = set(corpus.loc[corpus["topic"] == "graph", "id"])
    priors = sample_priors(corpus["id"], relevant, 2, 3, seed=1)
    assert priors == sample_priors(corpus["id"], relevant, 2, 3, seed=1)
    assert [p in relevant for p in priors] == [True, True, False, False, False]
    with pytest.raises(LearnError, match="cannot draw 99 relevant"):
        sample_priors(corpus["id"], relevant, 99, 1)


def test_simulate_with_given_priors_and_bad_arguments(corpus):
    relevant = corpus.loc[corpus["topic"] == "graph", "id"]
    run = simulate(corpus, relevant, prior_ids=["graph-05", "speech-05"])
    assert run.prior_ids == ("graph-05", "speech-05")
    with pytest.raises(LearnError, match="'nope' is not among the papers"):
        simulate(corpus, relevant, prior_ids=["graph-05", "nope"])
    with pytest.raises(LearnError, match="none of them is among the papers"):
        simulate(corpus, ["x"])


@pytest.mark.slow
def test_learner_beats_random_screening_on_a_sample_subtopic():
    from litscope.sample import load_sample
    papers = load_sample()
    papers = papers[papers["subtopic"].notna()].reset_index(drop=True)
    relevant = papers.loc[papers["subtopic"] == "多模态基础模型", "id"]
    run = simulate(papers, relevant, seed=0)
    assert run.wss(0.95) > 0.2          # random screening has WSS ~0
    assert run.recall_after(0.10) > 0.3  # random screening finds ~10% in 10%


# -- evaluation, store and CLI ---------------------------------------------------------
def test_evaluate_cross_validates_on_the_labels(corpus):
    labels = {i: ("include" if i.startswith("graph") else "exclude")
              for i in corpus["id"][::2]}
    result = evaluate(corpus, labels, folds=3, k=5)
    assert (result["includes"], result["excludes"], result["folds"]) == (10, 20, 3)
    assert result["roc_auc"] > 0.9 and result["precision@5"] >= 0.8
    assert 0 < result["wss@95"] < 1 and result["recall@10%"] > 0.2
    assert result["loss"] == pytest.approx(1 - result["roc_auc"], abs=1e-9)   # no tied probabilities
    assert 0 < result["ndcg"] <= 1
    with pytest.raises(LearnError, match="at least 2 includes and 2 excludes"):
        evaluate(corpus, {"graph-00": "include", "graph-01": "include", "protein-00": "exclude"})


def test_evaluate_leaves_a_fitted_learner_as_it_was(corpus):
    learner = Learner().fit(corpus, LABELS)
    before = learner.predict_proba(corpus)
    labels = {i: ("include" if i.startswith("speech") else "exclude") for i in corpus["id"][::3]}
    evaluate(corpus, labels, folds=3, learner=learner)
    assert learner.predict_proba(corpus).equals(before)


@pytest.mark.slow
def test_learning_from_labels_in_a_store(sample_store):
    papers = sample_store.papers()
    pretraining = papers.loc[papers["subtopic"] == "LLM 预训练", "id"].tolist()
    multimodal = papers.loc[papers["subtopic"] == "多模态基础模型", "id"].tolist()
    for paper_id in pretraining[:5]:
        sample_store.set_label(paper_id, "include")
    for paper_id in multimodal[:5]:
        sample_store.set_label(paper_id, "exclude")
    sample_store.set_label(multimodal[5], "maybe")
    labels = sample_store.labels()
    proba = Learner().fit(papers, labels).predict_proba(papers)
    assert proba[pretraining[5:]].mean() > proba[multimodal[6:]].mean()
    nxt = suggest_next(papers, labels, n=10, strategy="top")
    assert not set(nxt["id"]) & set(labels["id"])


@pytest.mark.slow
def test_cli_learn_suggests_and_evaluates(sample_store, capsys):
    data = str(sample_store.path.parent)
    assert main(["learn", "--data", data]) == 2
    assert "label at least one paper 'include'" in capsys.readouterr().err
    papers = sample_store.papers()
    for subtopic, label in (("LLM 预训练", "include"), ("多模态基础模型", "exclude")):
        for paper_id in papers.loc[papers["subtopic"] == subtopic, "id"][:6]:
            sample_store.set_label(paper_id, label)
    assert main(["learn", "--data", data, "--suggest", "3", "--strategy", "top",
                 "--evaluate"]) == 0
    out = capsys.readouterr().out
    assert all(f"  {name} " in out for name in ("wss@95", "loss", "ndcg", "recall@10%", "roc_auc"))
    rows = [line for line in out.splitlines() if line.startswith(("1 ", "2 ", "3 "))]
    assert len(rows) == 3


def test_predicting_the_fitted_papers_reuses_their_features_and_agrees(corpus):
    learner = Learner().fit(corpus, LABELS)
    same = learner.predict_proba(corpus)
    reordered = learner.predict_proba(corpus.iloc[::-1])     # transformed afresh
    assert list(same.index) == list(corpus["id"])
    assert np.allclose(same.to_numpy(), reordered.loc[same.index].to_numpy(), atol=1e-5)
