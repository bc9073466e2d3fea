"""The Explorer's filters panel: categories, dates, minimum score, labels, words, whether
excluded papers show, and how many rows the table lists. Each change becomes
`ExplorerState.set_filters` and a re-rank."""
from __future__ import annotations

from typing import Callable

import ipywidgets as w

from .state import LABEL_FILTERS, ExplorerState

_FULL = {"layout": w.Layout(width="100%"), "style": {"description_width": "80px"}}


class FiltersPanel:
    """The filter widgets over `state`; `rerank` is called after each change."""

    def __init__(self, state: ExplorerState, *, rerank: Callable[[], None]):
        self.state, self.rerank = state, rerank
        categories = state.categories()
        self.categories = w.SelectMultiple(options=categories, rows=min(6, max(len(categories), 1)),
                                           description="categories", **_FULL)
        self.date_from = w.DatePicker(description="from", **_FULL)
        self.date_to = w.DatePicker(description="to", **_FULL)
        self.min_score = w.FloatText(value=state.filters.min_score, description="min score", **_FULL)
        self.label_filter = w.Dropdown(options=LABEL_FILTERS, value=state.filters.label,
                                       description="labels", **_FULL)
        self.search = w.Text(placeholder="words in title, abstract, authors",
                             description="words", continuous_update=True, **_FULL)
        self.show_excluded = w.Checkbox(value=False, description="show excluded papers", indent=False)
        self.rows = w.BoundedIntText(value=state.top_n, min=1, max=500, description="rows", **_FULL)
        for name, widget in (("categories", self.categories), ("date_from", self.date_from),
                             ("date_to", self.date_to), ("min_score", self.min_score),
                             ("label", self.label_filter), ("text", self.search),
                             ("show_excluded", self.show_excluded)):
            widget.observe(lambda change, name=name: self._on_filter(name, change["new"]), "value")
        self.rows.observe(self._on_rows, "value")
        self.widget = w.VBox([self.categories, self.date_from, self.date_to, self.min_score,
                              self.label_filter, self.search, self.show_excluded, self.rows])

    def _on_filter(self, name: str, value: object) -> None:
        self.state.set_filters(**{name: tuple(value) if name == "categories" else value})
        self.rerank()

    def _on_rows(self, change: dict) -> None:
        self.state.top_n = int(change["new"])
        self.rerank()
