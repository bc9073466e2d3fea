"""The Explorer: tune a profile in JupyterLab and watch the ranking change, then label.

``Explorer(store_or_papers, profile)`` shows a row per profile term (weight slider, on/off,
remove), a box to add terms, field-weight and alpha sliders, filters, the ranked top N (a
click on a row opens its card), a card for the selected paper (highlighted abstract,
per-term contributions, summary, tags), label buttons with keyboard shortcuts, a notes box,
the learning line and plots. It is a state model (`state.ExplorerState`, no widgets) and
five panels (`profile_panel`, `filters_panel`, `table_panel`, `card_panel`,
`learning_panel`). Tests drive it from Python: set a widget's ``value``, call
``button.click()``, ``table.click(paper_id)`` or ``table.press("i")``, and read
``table.value``, ``card.value`` or the store.
"""
from __future__ import annotations

from .debounce import Debouncer
from .explorer import Explorer
from .render import paper_url, render_card, render_contributions, render_table
from .state import LABEL_FILTERS, ExplorerState, Filters

__all__ = ["Debouncer", "Explorer", "ExplorerState", "Filters", "LABEL_FILTERS", "paper_url",
           "render_card", "render_contributions", "render_table"]
