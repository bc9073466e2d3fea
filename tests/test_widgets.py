"""The Explorer, driven from Python as a person would drive it in JupyterLab."""
from __future__ import annotations

import base64
import html
import os
import re
import signal
import sys
import time

import numpy as np
import pandas as pd
import pytest

from litscope.errors import LitscopeError
from litscope.score.profile import load_profile, parse_profile
from litscope.schema import papers_frame
from litscope.score.engine import Scorer
from litscope.widgets import Debouncer, Explorer, render_card, render_table

PROFILE = """\
# Explorer test profile: the comments must survive 'save profile'
terms:
  - LLM: 2                    # the topic
  - speculative decoding: 3
  - agent: 1.5
  - reinforcement learning: 1
  - /FP(4|8)/: 1
  - {pattern: benchmark, weight: -1, fields: [title]}
field_weights:
  title: 2
  abstract: 1
exclude:
  - {pattern: vision, fields: [title]}
min_score: 0
"""


@pytest.fixture
def profile_path(tmp_path):
    path = tmp_path / "profile.yml"
    path.write_text(PROFILE, encoding="utf-8")
    return path


@pytest.fixture
def explorer(sample_store, profile_path):
    return Explorer(sample_store, profile_path, debounce=0, plots=False)


def table_ids(explorer: Explorer) -> list[str]:
    return re.findall(r'<tr data-id="([^"]+)"', explorer.table.value)


def expected_ids(papers: pd.DataFrame, profile, n: int = 20, keep=None, min_score=0.0) -> list[str]:
    """The reference ranking: a fresh scorer's `score()`, filtered as the Explorer filters."""
    frame = Scorer(profile).score(papers)
    keep = frame["id"].isin(papers["id"]) if keep is None else frame["id"].map(keep).astype(bool)
    frame = frame[keep & ~frame["excluded"] & (frame["score"] >= min_score)]
    return list(frame["id"][:n])


def with_weights(profile_text: str, **weights: float):
    profile = parse_profile(profile_text)
    profile.terms = [t.model_copy(update={"weight": weights.get(t.key.replace(" ", "_"), t.weight)})
                     for t in profile.terms]
    return profile


# -- ranking -----------------------------------------------------------------------------------
def test_table_lists_the_top_papers_of_the_profile(explorer):
    assert table_ids(explorer) == explorer.shown_ids
    assert explorer.shown_ids == expected_ids(explorer.papers, parse_profile(PROFILE))
    assert explorer.selected_id == explorer.shown_ids[0]
    assert 'class="litscope-selected"' in explorer.table.value


def test_moving_a_weight_slider_reranks_without_rescanning(explorer, monkeypatch):
    before = explorer.shown_ids
    top_terms = explorer.scorer.explain(before[0])
    term = top_terms.groupby("term")["contribution"].sum().idxmax()
    monkeypatch.setattr(Scorer, "_count", lambda *a, **k: pytest.fail("the text was scanned again"))
    explorer.term_rows[term].weight.value = -5
    monkeypatch.undo()
    assert explorer.shown_ids[0] != before[0]
    assert before[0] not in explorer.shown_ids[:3]
    expected = parse_profile(PROFILE)
    expected.terms = [t.model_copy(update={"weight": -5.0}) if t.key == term else t for t in expected.terms]
    assert explorer.shown_ids == expected_ids(explorer.papers, expected)
    assert table_ids(explorer) == explorer.shown_ids


def test_switching_a_term_off_counts_it_as_zero_and_on_restores_it(explorer):
    before = explorer.shown_ids
    row = explorer.term_rows["speculative decoding"]
    row.enabled.value = False
    assert row.weight.disabled and row.weight.value == 3
    assert explorer.shown_ids == expected_ids(explorer.papers, with_weights(PROFILE, speculative_decoding=0))
    assert explorer.shown_ids != before
    row.enabled.value = True
    assert explorer.shown_ids == before


def test_field_weight_slider_reranks(explorer):
    explorer.field_sliders["title"].value = 0
    expected = parse_profile(PROFILE)
    expected.field_weights.title = 0
    assert explorer.shown_ids == expected_ids(explorer.papers, expected)


def test_add_term_validates_as_you_type_and_reranks(explorer):
    explorer.new_term.value = "/FP(4|/"
    assert "invalid regular expression" in explorer.term_message.value
    assert explorer.add_button.disabled
    explorer.new_term.value = "llm"
    assert "in the profile already" in explorer.term_message.value and explorer.add_button.disabled
    explorer.new_term.value = "mixture of experts"
    assert "✓ phrase" in explorer.term_message.value and not explorer.add_button.disabled
    explorer.new_weight.value = 4
    explorer.add_button.click()
    assert "mixture of experts" in explorer.term_rows
    assert explorer.term_rows["mixture of experts"].weight.value == 4
    assert explorer.new_term.value == ""
    expected = parse_profile(PROFILE.replace("  - /FP(4|8)/: 1\n", "  - /FP(4|8)/: 1\n  - mixture of experts: 4\n"))
    assert explorer.shown_ids == expected_ids(explorer.papers, expected)
    with pytest.raises(LitscopeError, match="in the profile already"):
        explorer.add_term("Mixture of Experts")


def test_remove_term_drops_its_row_and_its_matches(explorer):
    explorer.term_rows["LLM"].remove.click()
    assert "LLM" not in explorer.term_rows
    assert all(row.key != "LLM" for row in explorer.term_rows.values())
    assert len(explorer.terms_box.children) == 5
    expected = parse_profile(PROFILE.replace("  - LLM: 2                    # the topic\n", ""))
    assert explorer.shown_ids == expected_ids(explorer.papers, expected)


def test_rows_box_sets_table_length(explorer):
    explorer.rows.value = 7
    assert len(table_ids(explorer)) == 7


# -- filters -----------------------------------------------------------------------------------
def test_category_filter(explorer):
    explorer.categories.value = ("cs.DC",)
    papers = explorer.papers
    keep = {i: "cs.DC" in c or p == "cs.DC" for i, c, p in
            zip(papers["id"], papers["categories"], papers["primary_category"].fillna(""))}
    assert explorer.shown_ids and all(keep[i] for i in explorer.shown_ids)
    assert explorer.shown_ids == expected_ids(papers, parse_profile(PROFILE), keep=keep)


def test_date_filter_keeps_papers_in_range_and_drops_undated(explorer):
    from datetime import date
    dated = explorer.papers["published"].dropna()
    day = dated.iloc[0].date()
    explorer.date_from.value = day
    explorer.date_to.value = day
    papers = explorer.papers.set_index("id")
    assert explorer.shown_ids
    assert all(papers.at[i, "published"].date() == day for i in explorer.shown_ids)
    explorer.date_from.value = date(2099, 1, 1)
    assert explorer.shown_ids == [] and "No paper passes" in explorer.table.value
    assert explorer.selected_id is None and "No paper passes" in explorer.card.value


def test_min_score_filter(explorer):
    explorer.min_score.value = 8
    scores = dict(zip(explorer.scorer.ids_, explorer.scorer.scores()))
    assert explorer.shown_ids and all(scores[i] >= 8 for i in explorer.shown_ids)
    assert explorer.shown_ids == expected_ids(explorer.papers, parse_profile(PROFILE), min_score=8)


def test_search_filter_is_case_insensitive_over_title_abstract_authors(explorer):
    explorer.search.value = "Draft Model"
    text = (explorer.papers["title"].fillna("") + " " + explorer.papers["abstract"].fillna("")).str.lower()
    matching = set(explorer.papers["id"][text.str.contains("draft model", regex=False)])
    assert explorer.shown_ids and set(explorer.shown_ids) <= matching
    explorer.search.value = "no paper says zyxwvut"
    assert explorer.shown_ids == []


def test_excluded_papers_are_hidden_unless_asked_for(explorer):
    excluded = set(explorer.scorer.ids_[explorer.scorer.excluded()])
    assert excluded, "the test profile excludes nothing"
    explorer.search.value = "vision"
    assert not set(explorer.shown_ids) & excluded
    explorer.show_excluded.value = True
    explorer.min_score.value = -100
    assert set(explorer.shown_ids) & excluded


# -- labels, notes, tags -----------------------------------------------------------------------
@pytest.mark.slow
def test_label_buttons_write_to_the_store_at_once_and_advance(explorer, sample_store):
    first, second = explorer.shown_ids[:2]
    explorer.label_buttons["include"].click()
    assert dict(zip(sample_store.labels()["id"], sample_store.labels()["label"])) == {first: "include"}
    assert explorer.selected_id == second
    assert re.search(rf'data-id="{re.escape(first)}".*?litscope-label-include">include<', explorer.table.value)
    explorer.label_buttons["maybe"].click()
    explorer.select_id(first)
    assert "labelled include" in explorer.card.value
    explorer.label_buttons["clear"].click()
    assert dict(zip(sample_store.labels()["id"], sample_store.labels()["label"])) == {second: "maybe"}


def test_label_filter_hides_labelled_papers_and_moves_on(explorer, sample_store):
    explorer.label_filter.value = "none"
    first, second = explorer.shown_ids[:2]
    explorer.label_buttons["exclude"].click()
    assert first not in explorer.shown_ids
    assert explorer.selected_id == second
    explorer.label_filter.value = "exclude"
    assert explorer.shown_ids == [first]


def test_notes_are_saved_per_paper_and_shown_again(explorer, sample_store):
    first = explorer.selected_id
    explorer.notes.value = "read the ablation <b>twice</b>"
    assert sample_store.notes().set_index("id").at[first, "note"] == "read the ablation <b>twice</b>"
    explorer.next_button.click()
    assert explorer.notes.value == ""
    assert list(sample_store.notes()["id"]) == [first]
    explorer.prev_button.click()
    assert explorer.selected_id == first
    assert explorer.notes.value == "read the ablation <b>twice</b>"


def test_tags_are_saved_to_the_store(explorer, sample_store):
    paper = explorer.selected_id
    explorer.tags.value = [*explorer.tags.value, "to-read"]
    assert "to-read" in sample_store.papers([paper])["tags"][0]
    explorer.select(0)
    assert '<span class="litscope-tag">to-read</span>' in explorer.card.value
    explorer.tags.value = [t for t in explorer.tags.value if t != "to-read"]
    assert "to-read" not in sample_store.papers([paper])["tags"][0]


def test_next_and_previous_walk_the_table(explorer):
    ids = explorer.shown_ids
    assert explorer.prev_button.disabled
    explorer.next_button.click()
    explorer.next_button.click()
    assert explorer.selected_id == ids[2] and "3 of 20" in explorer.position.value
    explorer.prev_button.click()
    assert explorer.selected_id == ids[1]
    explorer.select(len(ids) - 1)
    assert explorer.next_button.disabled


def test_selection_follows_the_paper_when_the_ranking_changes(explorer):
    explorer.select(3)
    paper = explorer.selected_id
    explorer.term_rows["agent"].weight.value = 2
    assert paper in explorer.shown_ids
    assert explorer.selected_id == paper


# -- clicks and keys -----------------------------------------------------------------------------
def test_clicking_a_row_opens_its_card(explorer):
    third = explorer.shown_ids[2]
    explorer.table.click(third)
    assert explorer.selected_id == third and "3 of 20" in explorer.position.value
    assert f'data-id="{third}"' in explorer.card.value
    assert re.search(rf'<tr data-id="{re.escape(third)}" class="litscope-selected">', explorer.table.value)


def test_shortcut_keys_label_and_move(explorer, sample_store):
    ids = explorer.shown_ids
    explorer.table.press("j")
    explorer.table.press("ArrowDown")
    assert explorer.selected_id == ids[2]
    explorer.table.press("k")
    assert explorer.selected_id == ids[1]
    explorer.table.press("i")
    explorer.table.press("e")
    explorer.table.press("m")
    labels = dict(zip(sample_store.labels()["id"], sample_store.labels()["label"]))
    assert labels == {ids[1]: "include", ids[2]: "exclude", ids[3]: "maybe"}
    assert explorer.selected_id == ids[4]
    assert f"maybe: {ids[3]} (saved)" in explorer.card_panel.message.value
    explorer.table.press("ArrowUp")
    explorer.table.press("u")
    explorer.table.press("q")                 # not a shortcut: nothing happens
    assert dict(zip(sample_store.labels()["id"], sample_store.labels()["label"])) == {
        ids[1]: "include", ids[2]: "exclude"}


def test_the_card_panel_documents_the_shortcuts():
    from litscope.widgets.table_panel import SHORTCUTS, shortcuts_help
    shown = shortcuts_help()
    for key, action, label in SHORTCUTS:
        assert action in shown
        if label:
            assert f"<kbd>{label}</kbd> {action}" in shown


def test_messages_sit_beside_the_buttons_that_caused_them(explorer):
    explorer.label_buttons["include"].click()
    assert "(saved)" in explorer.card_panel.message.value
    assert "(saved)" not in explorer.status.value
    explorer.add_term("KV cache")
    assert "added phrase &#x27;KV cache&#x27;" in explorer.term_message.value
    assert explorer.card_panel.message in explorer.card_panel.widget.children


def test_table_keeps_one_line_per_title(explorer):
    from litscope.widgets.render import CSS
    assert "table-layout: fixed" in CSS and "text-overflow: ellipsis" in CSS and "nowrap" in CSS
    title = explorer.papers.set_index("id").at[explorer.shown_ids[0], "title"]
    assert f'title="{html.escape(title)}"' in explorer.table.value


# -- card --------------------------------------------------------------------------------------
def test_card_shows_links_highlights_and_contributions(explorer):
    arxiv = next(i for i in explorer.papers["id"] if not i.startswith("h:"))
    explorer.select_id(arxiv)
    card = explorer.card.value
    paper = explorer.papers.set_index("id").loc[arxiv]
    assert 'href="https://arxiv.org/abs/' in card and arxiv in card
    assert all(a in card for a in paper["authors"][:3])
    explain = explorer.scorer.explain(arxiv)
    if len(explain):
        assert "<mark" in card and "why this score" in card
    explorer.select(0)
    top = explorer.scorer.explain(explorer.selected_id)
    assert f"{top.groupby('term')['contribution'].sum().max():+.2f}" in explorer.card.value


def test_card_and_table_escape_hostile_text(profile_path):
    papers = papers_frame([
        {"id": "2501.00001", "title": "<script>alert(1)</script> LLM agents", "source": "test",
         "abstract": "An LLM <img src=x onerror=alert(2)> agent & friends.", "authors": ["<b>Eve</b>"],
         "summary": "<iframe>", "tags": ["<i>x</i>"]},
        {"id": "h:0123456789abcdef", "title": "Plain LLM paper", "source": "test", "abstract": "LLM"},
    ])
    explorer = Explorer(papers, profile_path, debounce=0, plots=False)
    assert "<script>" not in explorer.table.value and "&lt;script&gt;" in explorer.table.value
    card = explorer.card.value
    for raw in ("<script>", "<img", "<b>Eve", "<iframe>", "<i>x"):
        assert raw not in card
    assert "&lt;img src=x onerror=alert(2)&gt;" in card and "<mark" in card
    explorer.select_id("h:0123456789abcdef")
    assert "href=" not in explorer.card.value


def test_render_functions_are_usable_alone():
    papers = papers_frame([{"id": "2501.00002", "title": "A & B", "source": "t"}])
    html = render_table(papers, np.array([1.5]), ["maybe"], "2501.00002")
    assert "A &amp; B" in html and "1.50" in html and "litscope-label-maybe" in html
    card = render_card(papers.iloc[0], pd.DataFrame(columns=["term", "field", "matches", "weight",
                                                              "field_weight", "contribution"]),
                       {}, None)
    assert "no term matches" in card and "no abstract" in card


# -- profile -----------------------------------------------------------------------------------
@pytest.mark.slow
def test_save_profile_writes_weights_back_keeping_comments(explorer, profile_path):
    explorer.term_rows["agent"].weight.value = 2.5
    explorer.term_rows["/FP(4|8)/"].enabled.value = False
    explorer.term_rows["reinforcement learning"].remove.click()
    explorer.add_term("KV cache", weight=2)
    explorer.field_sliders["abstract"].value = 1.5
    explorer.save_button.click()
    text = profile_path.read_text(encoding="utf-8")
    assert "# Explorer test profile" in text and "# the topic" in text
    saved = load_profile(profile_path)
    weights = {t.key: t.weight for t in saved.terms}
    assert weights == {"LLM": 2, "speculative decoding": 3, "agent": 2.5, "/FP(4|8)/": 0,
                       "benchmark @title": -1, "KV cache": 2}
    assert saved.field_weights.abstract == 1.5
    assert "saved the profile" in explorer.profile_panel.message.value
    reopened = Explorer(papers_frame(explorer.papers), profile_path, debounce=0, plots=False)
    assert reopened.shown_ids == explorer.shown_ids


def test_save_without_a_profile_file_says_what_to_do(sample_store):
    explorer = Explorer(sample_store, parse_profile(PROFILE), debounce=0, plots=False)
    assert explorer.save_button.disabled
    with pytest.raises(LitscopeError, match="profile_path"):
        explorer.save_profile()


# -- plots, debounce, DataFrame mode ------------------------------------------------------------
@pytest.mark.slow
def test_plots_follow_the_filters(sample_store, profile_path):
    explorer = Explorer(sample_store, profile_path, debounce=0, plots=True)
    kept = ~explorer.scorer.excluded()
    (first,) = explorer.plots.outputs
    assert first["data"]["text/plain"] == f"<plots of {kept.sum()} papers>"
    assert base64.b64decode(first["data"]["image/png"]).startswith(b"\x89PNG")
    explorer.categories.value = ("cs.CL",)
    (second,) = explorer.plots.outputs
    n = int((explorer.papers["categories"].map(lambda c: "cs.CL" in c) & kept).sum())
    assert second["data"]["text/plain"] == f"<plots of {n} papers>"
    assert second["data"]["image/png"] != first["data"]["image/png"]


@pytest.mark.slow
def test_closed_plots_are_not_drawn(explorer):
    explorer.categories.value = ("cs.CL",)
    assert explorer.plots.outputs == ()
    explorer.plots_box.selected_index = 0
    assert explorer.plots.outputs


@pytest.mark.slow
def test_debouncer_coalesces_calls_and_flush_runs_the_pending_one():
    calls = []
    debounced = Debouncer(lambda: calls.append(time.perf_counter()), 0.2)
    for _ in range(10):
        debounced()
    assert calls == [] and debounced.pending
    debounced.flush()
    assert len(calls) == 1 and not debounced.pending
    debounced()
    time.sleep(0.5)
    assert len(calls) == 2
    errors = []
    failing = Debouncer(lambda: 1 / 0, 0.01, on_error=errors.append)
    failing()
    time.sleep(0.2)
    assert isinstance(errors[0], ZeroDivisionError)


def test_slider_drag_with_debounce_reranks_once_it_settles(sample_store, profile_path):
    explorer = Explorer(sample_store, profile_path, debounce=0.2, plots=False)
    before = explorer.shown_ids
    for value in np.linspace(2, -5, 15):
        explorer.term_rows["speculative decoding"].weight.value = float(value)
    assert explorer.shown_ids == before
    explorer._rerank.flush()
    assert explorer.shown_ids == expected_ids(explorer.papers, with_weights(PROFILE, speculative_decoding=-5))


def test_dataframe_mode_keeps_labels_in_memory(profile_path):
    from litscope.sample import load_sample
    explorer = Explorer(load_sample(), profile_path, debounce=0, plots=False)
    first = explorer.selected_id
    explorer.label("include")
    explorer.notes.value = "memo"
    assert explorer.store.labels().to_dict("list") == {"id": [first], "label": ["include"]}
    assert explorer.store.notes()["id"].tolist() == [explorer.selected_id]


# -- a real kernel, killed -----------------------------------------------------------------------
@pytest.mark.slow
def test_label_survives_killing_the_kernel_right_after_the_click(sample_store, profile_path):
    from jupyter_client.manager import start_new_kernel
    km, kc = start_new_kernel(kernel_name="python3")
    lines: list[str] = []

    def collect(msg):
        if msg["msg_type"] == "stream":
            lines.extend(msg["content"]["text"].split())
        elif msg["msg_type"] == "error":
            lines.append("ERROR " + msg["content"]["evalue"])
    try:
        reply = kc.execute_interactive(
            "import os, sys\n"
            "from litscope.store import Store\n"
            "from litscope.widgets import Explorer\n"
            f"explorer = Explorer(Store({str(sample_store.path)!r}), {str(profile_path)!r}, plots=False)\n"
            "explorer.label_buttons['include'].click()\n"
            "print(sys.executable, os.getpid(), explorer.shown_ids[0])\n",
            timeout=120, output_hook=collect)
        assert reply["content"]["status"] == "ok", lines
        executable, pid, paper = lines
        assert os.path.realpath(executable) == os.path.realpath(sys.executable)
        os.kill(int(pid), signal.SIGKILL)
        deadline = time.monotonic() + 10
        while km.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not km.is_alive()
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    labels = sample_store.labels()
    assert labels.to_dict("list")["label"] == ["include"]
    assert labels["id"][0] == paper


# -- learning from labels -------------------------------------------------------------------------
def _label_some(explorer: Explorer, includes: int = 3, excludes: int = 3) -> pd.DataFrame:
    for paper_id in explorer.shown_ids[:includes]:
        explorer.label("include", paper_id)
    for paper_id in explorer.shown_ids[-excludes:]:
        explorer.label("exclude", paper_id)
    return explorer.store.labels()


@pytest.mark.slow
def test_suggest_next_lists_unlabelled_papers_by_active_learning(explorer):
    from litscope.score.learn import evaluate, suggest_next
    explorer.suggest_button.click()
    assert "suggest next: no paper is labelled" in explorer.learning_panel.message.value
    assert explorer.order.value == "score"
    labels = _label_some(explorer)
    explorer.suggest_button.click()
    assert explorer.order.value == "suggested"
    expected = list(suggest_next(explorer.papers, labels, 50)["id"])      # default strategy
    assert explorer.shown_ids == [i for i in expected if i not in set(labels["id"])][:20]
    assert explorer.selected_id == explorer.shown_ids[0]
    first, second = explorer.shown_ids[:2]
    explorer.label_buttons["maybe"].click()
    assert first not in explorer.shown_ids and explorer.selected_id == second
    explorer.strategy.value = "uncertain"
    explorer.suggest_button.click()
    labels = explorer.store.labels()
    uncertain = suggest_next(explorer.papers, labels, 50, "uncertain")["id"]
    eligible = explorer.state.eligible()    # min score, excluded
    assert explorer.shown_ids == [i for i in uncertain if eligible[explorer.state.row_of.get_loc(i)]][:20]
    assert "learned from 7 labels" in explorer.learning.value
    quality = evaluate(explorer.papers, explorer.state.labels)          # 3 includes, 3 excludes, a maybe
    assert (f"cross-validated on your labels: WSS@95 {quality['wss@95']:.2f}, loss "
            f"{quality['loss']:.2f}") in explorer.learning.value
    explorer.order.value = "score"
    assert explorer.shown_ids == expected_ids(explorer.papers, parse_profile(PROFILE))


def test_the_learning_line_gives_wss_and_loss_next_to_recall():
    from litscope.score.stopping import StoppingReport
    from litscope.widgets.learning import Learned
    stop = StoppingReport(papers=1000, screened=300, found=30, sample_size=50, sample_labelled=50,
                          sample_includes=2, excludes_in_a_row=10, run_to_stop=50)
    quality = pd.Series({"wss@95": 0.612, "loss": 0.081})
    line = Learned(frozenset({("a", "include")}), np.zeros(3), stop, 0.012, quality=quality).line()
    # 2 of 50 sampled: 40 relevant in all, 30 found, 38 (95%) to reach
    assert line == ("learned from 1 labels in 12 ms · about 10 relevant left (random check sample), "
                    "recall ~75%, 8 more to find for 95% · cross-validated on your labels: WSS@95 "
                    "0.61, loss 0.08")
    assert "cross-validated" not in Learned(frozenset(), np.zeros(3), stop, 0.012).line()


@pytest.mark.slow
def test_alpha_blends_in_the_model_learned_from_the_labels(explorer, profile_path):
    from litscope.score.learn import Learner
    explorer.alpha.value = 0.5
    assert "alpha counts once the model can learn" in explorer.learning_panel.message.value
    labels = _label_some(explorer)
    assert "learned model trained on 6 labels" in explorer.learning_panel.message.value
    profile = parse_profile(PROFILE)
    profile.alpha = 0.5
    learned = Learner().fit(explorer.papers, labels).predict_proba(explorer.papers)
    reference = Scorer(profile).fit(explorer.papers)
    reference.set_learned(learned)
    assert np.allclose(explorer.scorer.scores(), reference.scores())
    frame = reference.score()
    frame = frame[~frame["excluded"] & (frame["score"] >= 0)]
    assert explorer.shown_ids == list(frame["id"][:20])
    explorer.save_profile()
    assert load_profile(profile_path).alpha == 0.5


@pytest.mark.slow
def test_relearning_runs_in_the_background_and_never_blocks_a_slider(sample_store, profile_path,
                                                                      monkeypatch):
    from litscope.score.learn import Learner
    release = __import__("threading").Event()
    fit = Learner._fit_matrix
    monkeypatch.setattr(Learner, "_fit_matrix", lambda self, X, y: release.wait(10) and fit(self, X, y))
    explorer = Explorer(sample_store, profile_path, debounce=0.01, plots=False)
    explorer.alpha.value = 0.5
    for paper_id in explorer.shown_ids[:2]:
        explorer.label("include", paper_id)
    explorer.label("exclude", explorer.shown_ids[-1])
    # the fit waits for `release`: labelling returned while it still runs, so it did not wait
    assert explorer.relearner.busy and "relearning…" in explorer.learning.value
    before = explorer.scorer.scores().copy()
    explorer.term_rows["LLM"].weight.value = 4.0    # a slider moves while the model fits
    explorer._rerank.flush()
    assert not np.allclose(explorer.scorer.scores(), before) and explorer.relearner.busy
    release.set()
    assert explorer.relearner.wait(30)
    assert "learned from 3 labels" in explorer.learning.value
    assert "random check sample" in explorer.learning.value
    assert explorer.state.up_to_date()


@pytest.mark.slow
def test_the_search_box_lists_papers_by_words_and_meaning(explorer):
    pytest.importorskip("wordllama")
    from litscope.score.search import search
    explorer.query.value = "speculative decoding"
    assert explorer.order.value == "search"
    expected = list(search(explorer.papers, "speculative decoding", top=500, store=explorer.store)["id"])
    eligible = set(explorer.papers["id"][explorer.state.eligible()])
    assert explorer.shown_ids == [i for i in expected if i in eligible][:20]
    assert "papers have the words of" in explorer.table_panel.message.value
    explorer.query.value = ""
    assert explorer.order.value == "score"


@pytest.mark.slow
def test_similarity_to_the_library_shows_in_the_explorer(sample_store, tmp_path):
    from litscope.score.similarity import store_similarity
    papers = sample_store.papers()
    decoding = papers[papers["abstract"].str.contains("peculative decoding", na=False)].head(5)
    sample_store.replace_library("mine", pd.DataFrame({
        "item_key": decoding["id"], "paper_id": decoding["id"], "title": decoding["title"],
        "authors": [[]] * len(decoding), "added": "2025-12-01"}))
    path = tmp_path / "profile.yml"
    path.write_text(PROFILE + "similarity: {weight: 3, top_k: 3}\n", encoding="utf-8")
    explorer = Explorer(sample_store, path, debounce=0, plots=False)
    assert not explorer.similarity_weight.disabled and explorer.similarity_weight.value == 3
    expected = store_similarity(sample_store, explorer.papers, explorer.scorer.profile.similarity)
    best = explorer.papers["id"].iloc[int(np.argmax(expected.values))]
    explorer.select_id(best)
    assert "similar to ‹" in explorer.card.value
    before = explorer.scorer.scores().copy()
    explorer.similarity_weight.value = 6
    assert np.allclose(explorer.scorer.scores() - before, 3 * expected.values)
    explorer.save_profile()
    assert load_profile(path).similarity.weight == 6
