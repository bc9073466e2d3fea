"""The Explorer's state model, without widgets: ranking, filters, selection, labels."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from litscope.errors import LitscopeError
from litscope.score.profile import parse_profile
from litscope.score.ranking import Ranking
from litscope.widgets.learning import Learned
from litscope.widgets.state import ExplorerState

PROFILE = parse_profile("""\
terms:
  - LLM: 2
  - speculative decoding: 3
  - agent: 1.5
exclude:
  - {pattern: vision, fields: [title]}
min_score: 0
""")


@pytest.fixture
def state(sample_store):
    state = ExplorerState(sample_store, PROFILE.model_copy(deep=True), top_n=10)
    state.refresh()
    return state


def the_ranking(store, k: int = 10) -> list[str]:
    """The review's one ranking, as the site, the digest and 'litscope score' list it."""
    return list(Ranking(PROFILE.model_copy(deep=True), store=store).fit().top(k)["id"])


def test_lists_the_reviews_ranking_and_selects_the_first(state, sample_store):
    assert state.shown_ids == the_ranking(sample_store)
    assert state.selected_id == state.shown_ids[0] and state.position == 0
    assert state.summary().endswith("; 0 labelled")


def test_a_weight_change_reranks_as_a_fresh_ranking_would(state, sample_store):
    state.scorer.set_weight("speculative decoding", -3)
    state.refresh()
    changed = PROFILE.model_copy(deep=True)
    changed.terms = [t.model_copy(update={"weight": -3.0}) if t.key == "speculative decoding" else t
                     for t in changed.terms]
    assert state.shown_ids == list(Ranking(changed, store=sample_store).fit().top(10)["id"])


def test_filters_keep_only_matching_papers(state):
    state.set_filters(categories=("cs.DC",))
    state.refresh()
    papers = state.papers.set_index("id")
    assert state.shown_ids
    assert all("cs.DC" in [*papers.at[i, "categories"], papers.at[i, "primary_category"]]
               for i in state.shown_ids)
    state.set_filters(categories=(), date_from=date(2099, 1, 1))
    state.refresh()
    assert state.shown_ids == [] and state.selected_id is None


def test_min_score_and_excluded_papers(state):
    state.set_filters(min_score=5.0)
    state.refresh()
    scores = dict(zip(state.ids, state.scores))
    assert all(scores[i] >= 5 for i in state.shown_ids)
    excluded = set(state.ids[state.scorer.excluded()])
    state.set_filters(min_score=-100.0, text="vision")
    state.refresh()
    assert not set(state.shown_ids) & excluded
    state.set_filters(show_excluded=True)
    state.refresh()
    assert set(state.shown_ids) & excluded


def test_selection_is_clamped_and_follows_the_paper(state):
    state.select(99)
    assert state.position == 9 and state.selected_id == state.shown_ids[-1]
    state.select(-5)
    assert state.position == 0
    state.select(3)
    paper = state.selected_id
    state.scorer.set_weight("agent", 1.6)
    state.refresh()
    assert state.selected_id == paper
    with pytest.raises(LitscopeError, match="no paper with id"):
        state.select_id("9999.99999")


def test_a_label_goes_to_the_store_and_moves_on(state, sample_store):
    first, second = state.shown_ids[:2]
    assert state.label("include") == first
    assert dict(zip(sample_store.labels()["id"], sample_store.labels()["label"])) == {first: "include"}
    assert state.selected_id == second and state.labels == {first: "include"}
    state.set_filters(label="none")
    state.refresh()
    assert first not in state.shown_ids
    state.label(None, first)
    assert sample_store.labels().empty
    with pytest.raises(LitscopeError, match="label must be one of"):
        state.label("keep")


def test_notes_and_tags_are_saved_for_the_selected_paper(state, sample_store):
    paper = state.selected_id
    state.set_note("check the ablation")
    state.set_tags(["to-read"])
    assert sample_store.notes().set_index("id").at[paper, "note"] == "check the ablation"
    assert "to-read" in sample_store.papers([paper])["tags"][0]
    assert "to-read" in state.paper(paper)["tags"]


def test_suggestions_leave_out_labels_and_the_library(state, sample_store):
    top = state.shown_ids[:3]
    sample_store.replace_library("mine", pd.DataFrame({
        "item_key": top[:2], "paper_id": top[:2], "title": ["a", "b"], "authors": [[], []],
        "added": "2025-12-01"}))
    state = ExplorerState(sample_store, PROFILE.model_copy(deep=True), top_n=10)
    assert state.library_ids == frozenset(top[:2])
    state.labels[top[2]] = "maybe"
    proba = np.zeros(len(state.ids))
    proba[state.row_of.get_indexer(top)] = 1.0          # the model likes the library best
    learned = Learned(frozenset(state.labels.items()), proba, None, 0.0)
    state.take_learned(learned, "top", 5)
    assert state.up_to_date()
    assert not set(top) & set(state.suggested) and len(state.suggested) == 5
    state.show("suggested")
    state.refresh()
    assert state.shown_ids and not set(top) & set(state.shown_ids)


def test_search_results_are_listed_in_their_order(state):
    found = list(state.ids[[5, 1, 3]])
    state.show("search", found)
    state.refresh()
    eligible = state.eligible()
    assert state.shown_ids == [i for i in found if eligible[state.row_of.get_loc(i)]]
    with pytest.raises(LitscopeError, match="order must be one of"):
        state.show("random")


def test_over_a_dataframe_labels_stay_in_memory():
    from litscope.sample import load_sample
    state = ExplorerState(load_sample(), PROFILE.model_copy(deep=True))
    state.refresh()
    first = state.selected_id
    state.label("exclude")
    assert state.store.labels().to_dict("list") == {"id": [first], "label": ["exclude"]}
