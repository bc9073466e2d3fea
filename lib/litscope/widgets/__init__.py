"""The Explorer: tune a profile in JupyterLab and watch the ranking change, then label.

``Explorer(store_or_papers, profile)`` shows a row per profile term (weight slider, on/off,
remove), a box to add terms, field-weight and alpha sliders, filters, the ranked top N, a
card for the selected paper (highlighted abstract, per-term contributions, summary, tags),
label buttons and a notes box, and plots. Everything is plain ipywidgets, so tests drive
it from Python: set a widget's ``value`` or call ``button.click()`` and read
``table.value``, ``card.value`` or the store.
"""
from __future__ import annotations

from .debounce import Debouncer
from .explorer import Explorer
from .state import LABEL_FILTERS, ExplorerState, Filters
from .render import paper_url, render_card, render_contributions, render_table

__all__ = ["Debouncer", "Explorer", "LABEL_FILTERS", "paper_url", "render_card",
           "render_contributions", "render_table"]
