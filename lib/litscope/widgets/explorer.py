"""The Explorer widget: live re-ranking over the review's ranking, paper cards and labels.

It puts together a state model (`litscope.widgets.state.ExplorerState`: the ranking,
filters, selection, labels) and five panels: profile (terms, weights, save), filters, the
ranking table (click a row, keyboard shortcuts), the paper card (label buttons, notes,
tags) and the learning line. Re-ranking re-weights the scorer's precomputed matrix, never
the text. Labels, notes and tags go to the store on each action (one committed transaction
each), so a dead kernel loses nothing. The learned model refits on a background thread
after each label (`litscope.widgets.learning`), showing "relearning…" meanwhile: no slider
waits for it. The search box ranks by words and meaning (`litscope.score.search`).
"""
from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import ipywidgets as w
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..errors import LitscopeError
from ..plots import plot_papers_per_day, plot_score_distribution, plot_top_terms, term_matches
from ..score.profile import Profile
from ..store import Store
from .card_panel import CardPanel
from .debounce import Debouncer
from .filters_panel import FiltersPanel
from .learning import Learned, Relearner
from .learning_panel import LearningPanel
from .profile_panel import ProfilePanel
from .render import CSS, TABLE_COLUMNS, render_message, render_table
from .state import ExplorerState
from .table_panel import TablePanel

#: How wide the column of profile and filters is; the table and card take the rest.
SIDE_WIDTH = "330px"


class Explorer:
    """Live re-ranking, paper cards and labelling over a store (or a papers DataFrame).

    `profile` is a `Profile` or the path of a profile YAML; "save profile" writes back to
    that path (or to `profile_path`). `debounce` is the re-rank throttle in seconds for
    slider drags (0: re-rank synchronously on every change, as tests want); `top_n` the
    table's rows; `plots` whether the plots start open; `now` the moment recency decay
    counts from (default: now). The state model is `state`; the panels are
    `profile_panel`, `filters_panel`, `table_panel`, `card_panel` and `learning_panel`,
    and their widgets are also attributes of the Explorer (``explorer.term_rows``,
    ``explorer.table``, ``explorer.label_buttons``…).
    """

    def __init__(self, store_or_papers: Store | pd.DataFrame, profile: Profile | str | Path, *,
                 profile_path: str | Path | None = None, top_n: int = 20,
                 debounce: float = 0.08, plots: bool = True, now: Any = None):
        if isinstance(profile, (str, Path)):
            profile_path = profile_path or profile
        self.profile_path = Path(profile_path) if profile_path else None
        self.state = state = ExplorerState(store_or_papers, profile, top_n=top_n, now=now)
        self.papers, self.store, self.ranking, self.scorer = (state.papers, state.store,
                                                              state.ranking, state.scorer)
        self._want_suggestions = False           # show suggestions when the next fit lands
        self.profile_panel = ProfilePanel(state, self.profile_path, rerank=self._changed,
                                          relearn=self._relearn)
        self.filters_panel = FiltersPanel(state, rerank=self._changed)
        self.table_panel = TablePanel(state, on_open=self.select_id, on_key=self.press,
                                      on_order=self._on_order, on_query=self.find)
        self.card_panel = CardPanel(state, on_label=self.label, on_step=self.step)
        self.learning_panel = LearningPanel(on_suggest=self.suggest)
        self._expose_widgets()
        self.status = w.HTML()
        self.plots = w.Output()
        self.plots_box = w.Accordion(children=[self.plots], titles=("Plots",),
                                     selected_index=0 if plots else None)
        self.plots_box.observe(self._on_plots_opened, "selected_index")
        self.widget = self._layout()
        self._rerank = Debouncer(self._refresh, debounce, self._report)
        self.relearner = Relearner(self.papers, on_done=self._on_learned,
                                   on_state=self.learning_panel.busy, background=debounce > 0,
                                   store=store_or_papers if isinstance(store_or_papers, Store) else None,
                                   library_ids=state.library_ids, extra_includes=state.outside_library)
        self._replot = Debouncer(self._draw_plots, max(debounce, 0.4) if debounce > 0 else 0,
                                 self._report)
        self._refresh()

    def _expose_widgets(self) -> None:
        """The panels' widgets as the Explorer's attributes, as scripts and notebooks use them."""
        for panel, names in (
                (self.profile_panel, ("term_rows", "terms_box", "new_term", "new_weight", "add_button",
                                      "term_message", "field_sliders", "alpha", "similarity_weight",
                                      "save_button")),
                (self.filters_panel, ("categories", "date_from", "date_to", "min_score",
                                      "label_filter", "search", "show_excluded", "rows")),
                (self.table_panel, ("query", "order", "table")),
                (self.card_panel, ("prev_button", "next_button", "position", "label_buttons", "card",
                                   "notes", "tags")),
                (self.learning_panel, ("suggest_button", "strategy", "learning"))):
            for name in names:
                setattr(self, name, getattr(panel, name))

    def _layout(self) -> w.VBox:
        """Profile and filters in tabs beside the table and the card: fits 1280 px with
        JupyterLab's file browser open; the term list, table and card scroll."""
        side = w.VBox([
            w.Tab(children=[self.profile_panel.widget, self.filters_panel.widget],
                  titles=("Profile", "Filters")),
            self.learning_panel.widget,
        ], layout=w.Layout(width=SIDE_WIDTH, min_width=SIDE_WIDTH, flex="0 0 auto"))
        main = w.VBox([self.table_panel.widget, self.card_panel.widget],
                      layout=w.Layout(flex="1 1 auto", min_width="0", width="auto"))
        widget = w.VBox([w.HTML(CSS), self.status,
                         w.HBox([side, main], layout=w.Layout(width="100%", grid_gap="8px")),
                         self.plots_box])
        widget.add_class("litscope-explorer")
        return widget

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """The widget, and a static snapshot (status, ranking, card) as ``text/html`` for
        where no kernel runs it: a rendered notebook page, nbviewer."""
        snapshot = "".join([CSS, '<div class="litscope-explorer-snapshot">', self.status.value,
                            self.table.value, self.card.value, "</div>"])
        return {**self.widget._repr_mimebundle_(**kwargs), "text/html": snapshot}

    # -- the state's attributes, for scripts -------------------------------------------------
    @property
    def shown_ids(self) -> list[str]:
        """The ids the table lists, best first."""
        return self.state.shown_ids

    @property
    def selected_id(self) -> str | None:
        """The id of the paper on the card."""
        return self.state.selected_id

    def ranked_rows(self) -> np.ndarray:
        """Row positions of the papers the table lists, best first."""
        return self.state.ranked_rows()

    # -- profile -----------------------------------------------------------------------------
    def add_term(self, text: str | None = None, weight: float | None = None) -> str:
        """Add a term (the add box's text by default); scans the text for this term only."""
        return self.profile_panel.add_term(text, weight)

    def remove_term(self, key: str) -> None:
        """Remove a term from the profile (and its row)."""
        self.profile_panel.remove_term(key)

    def save_profile(self, path: str | Path | None = None) -> Path:
        """Write the current weights, terms and alpha to the profile YAML (comments kept)."""
        return self.profile_panel.save_profile(path)

    # -- ranking and selection ---------------------------------------------------------------
    def _changed(self) -> None:
        self._rerank()

    def _on_order(self, order: str) -> None:
        self.state.show(order)
        self._rerank()

    def _on_plots_opened(self, change: dict[str, Any]) -> None:
        if change["new"] is not None:
            self._replot()

    def _refresh(self) -> None:
        """Re-rank, redraw the table and the card; plots follow on their own throttle."""
        with self.state.lock:
            self.state.refresh()
            self._draw()
        if self.plots_box.selected_index is not None:
            self._replot()

    def _draw(self) -> None:
        state = self.state
        self.table.value = render_table(state.rows_frame(state.rows, TABLE_COLUMNS), state.scores[state.rows],
                                        [state.labels.get(i) for i in state.shown_ids],
                                        state.selected_id)
        self.card_panel.draw()
        self.status.value = f"<b>litscope Explorer</b> · {state.summary()}"

    def select(self, position: int) -> None:
        """Show the paper at `position` in the table (clamped to the table)."""
        with self.state.lock:
            self.state.select(position)
            self._draw()

    def select_id(self, paper_id: str) -> None:
        """Show one paper's card (it need not be in the table); a click on a row does this."""
        with self.state.lock:
            self.state.select_id(paper_id)
            self._draw()

    def step(self, delta: int) -> None:
        """Move the card `delta` rows down the table (up when negative)."""
        self.select(self.state.position + delta)

    def press(self, action: str) -> None:
        """Do what a shortcut key asks (`litscope.widgets.table_panel.SHORTCUTS`)."""
        if action in ("next", "previous"):
            self.step(1 if action == "next" else -1)
        else:
            self.label(None if action == "clear" else action)

    def suggest(self) -> list[str]:
        """List the unlabelled papers most worth labelling next (active learning, with the
        strategy box's choice) in the table, best first; refits first if the labels changed
        since the last fit (in the background: the table follows when it lands)."""
        self._want_suggestions = True
        if self.state.up_to_date():
            self._on_learned(self.state.learned)
        else:
            self._relearn()
        return self.state.suggested

    def find(self, query: str) -> list[str]:
        """Rank the papers by the search box's query (words and meaning) and list them."""
        from ..score.search import search
        if not query.strip():
            self.state.found = []
            self.table_panel.say("")
            if self.order.value == "search":
                self.order.value = "score"
            return []
        try:
            found = search(self.papers, query, top=500,
                           store=self.store if isinstance(self.store, Store) else None)
        except LitscopeError as exc:
            self.table_panel.say(f"search: {exc}", error=True)
            return []
        self.state.show("search", list(found["id"]))
        self.table_panel.say(f"{int(found['words_rank'].notna().sum())} papers have the words of "
                             f"{query!r}; the best {len(found)} by words and meaning are listed")
        if self.order.value == "search":
            self._refresh()
        else:
            self.order.value = "search"
        return self.state.found

    # -- labels ------------------------------------------------------------------------------
    def label(self, label: str | None, paper_id: str | None = None) -> None:
        """Label the selected paper (written to the store at once) and move to the next."""
        with self.state.lock:
            labelled = self.state.label(label, paper_id)
            if labelled is None:
                return
            self.card_panel.say(f"{label or 'cleared label'}: {labelled} (saved)")
            self._draw()
        if self.alpha.value > 0 or self.order.value == "suggested":
            self._relearn()

    # -- learning ----------------------------------------------------------------------------
    def _relearn(self) -> None:
        """Refit the model on the current labels (in the background unless debounce=0)."""
        self.relearner.request(self.state.labels)

    def _on_learned(self, learned: Learned) -> None:
        """A fit landed: blend it in (alpha), refresh the suggestions, show the stopping estimate."""
        n = max(self.rows.value, 50)
        self.state.take_learned(learned, self.strategy.value, n)
        self.learning_panel.show(learned)
        if learned.error:
            what = "suggest next" if self._want_suggestions else "alpha counts once the model can learn"
            self.learning_panel.say(f"{what}: {learned.error}", error=True)
            self._want_suggestions = False
            return
        if self._want_suggestions:
            self._want_suggestions = False
            self.learning_panel.say(f"{len(self.state.suggested)} suggestions: {self.strategy.label}")
            self.state.show("suggested", self.state.suggested)
            if self.order.value != "suggested":
                self.order.value = "suggested"     # redraws
                return
        elif self.alpha.value > 0:
            self.learning_panel.say(f"learned model trained on {len(learned.labels)} labels")
        self._refresh()

    # -- drawing -----------------------------------------------------------------------------
    def _report(self, exc: BaseException) -> None:
        """A failure on the throttle's thread, shown in the header."""
        self.status.value = (f"<b>litscope Explorer</b> · {self.state.summary()} · "
                             + render_message(f"{type(exc).__name__}: {exc}", error=True))

    def _draw_plots(self) -> None:
        """Draw the three plots over the papers that pass the filters into the Output widget."""
        state = self.state
        with state.lock:
            scores = state.scorer.scores(state.now)
            mask = state.eligible(scores, min_score=False)
            shown = self.papers.loc[mask, ["published", "primary_category"]].assign(score=scores[mask])
            terms = term_matches(state.scorer, mask)
        fig = Figure(figsize=(15, 3.8))
        fig.subplots_adjust(left=0.04, right=0.99, bottom=0.24, top=0.9, wspace=0.45)
        axes = fig.subplots(1, 3)
        plot_score_distribution(shown, axes[0], cutoff=state.filters.min_score)
        plot_papers_per_day(shown, axes[1])
        plot_top_terms(terms, axes[2])
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=80)
        self.plots.outputs = ({"output_type": "display_data", "metadata": {},
                               "data": {"image/png": base64.b64encode(buffer.getvalue()).decode(),
                                        "text/plain": f"<plots of {int(mask.sum())} papers>"}},)
