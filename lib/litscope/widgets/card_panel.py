"""The Explorer's paper card: previous / next, the label buttons with the line that says
what they did, the keyboard shortcuts, the card (highlighted abstract, why this score,
summary, tags), and the paper's notes and tags, saved to the store as they change."""
from __future__ import annotations

from typing import Any, Callable

import ipywidgets as w

from ..store import LABELS
from .render import render_card, render_message
from .state import ExplorerState
from .table_panel import shortcuts_help

_AUTO = w.Layout(width="auto", min_width="60px")


class CardPanel:
    """The selected paper of `state`. `on_label(label)` is called by the label buttons
    (None for "clear"), `on_step(delta)` by previous / next."""

    def __init__(self, state: ExplorerState, *, on_label: Callable[[str | None], None],
                 on_step: Callable[[int], None]):
        self.state = state
        self._quiet = False                      # True while the widgets are set from code
        self.prev_button = w.Button(description="previous", icon="arrow-up", layout=_AUTO,
                                    tooltip="previous paper (k or ↑)")
        self.next_button = w.Button(description="next", icon="arrow-down", layout=_AUTO,
                                    tooltip="next paper (j or ↓)")
        self.prev_button.on_click(lambda _: on_step(-1))
        self.next_button.on_click(lambda _: on_step(1))
        self.position = w.HTML()
        self.label_buttons = {
            label: w.Button(description=label, button_style=style, layout=_AUTO,
                            tooltip=f"label {label} ({label[0]})")
            for label, style in zip(LABELS, ("success", "danger", "warning"))}
        self.label_buttons["clear"] = w.Button(description="clear", tooltip="remove the label (u)",
                                               layout=_AUTO)
        for label, button in self.label_buttons.items():
            button.on_click(lambda _, lab=label: on_label(None if lab == "clear" else lab))
        self.message = w.HTML()
        self.message.add_class("litscope-label-message")
        self.card = w.HTML(layout=w.Layout(max_height="340px", overflow="auto"))
        self.card.add_class("litscope-card")
        self.notes = w.Textarea(placeholder="notes on this paper (saved when you leave the box)",
                                continuous_update=False, layout=w.Layout(width="100%", height="52px"))
        self.notes.observe(self._on_note, "value")
        self.tags = w.TagsInput(allow_duplicates=False)
        self.tags.observe(self._on_tags, "value")
        buttons = w.HBox([self.prev_button, self.next_button, *self.label_buttons.values(),
                          self.position], layout=w.Layout(flex_flow="row wrap", align_items="center"))
        self.widget = w.VBox([buttons, self.message, w.HTML(shortcuts_help()), self.card,
                              self.notes, self.tags])

    def say(self, text: str, error: bool = False) -> None:
        """Show what the last label, note or tag action did, under the label buttons."""
        self.message.value = render_message(text, error)

    def draw(self) -> None:
        """Show the selected paper, its position, notes and tags."""
        state = self.state
        shown, position = state.shown_ids, state.position
        self.position.value = f"{position + 1} of {len(shown)}" if shown else "no papers"
        self.prev_button.disabled = position <= 0
        self.next_button.disabled = position >= len(shown) - 1
        paper_id = state.selected_id
        self._quiet = True
        try:
            if paper_id is None:
                self.card.value = "<i>No paper passes the filters.</i>"
                self.notes.value, self.tags.value = "", []
                return
            paper = state.paper(paper_id)
            scorer = state.scorer
            self.card.value = render_card(paper, scorer.explain(paper_id, now=state.now),
                                          {f: scorer.highlight(paper_id, f) for f in ("title", "abstract")},
                                          state.labels.get(paper_id))
            self.notes.value = state.notes.get(paper_id, "")
            self.tags.value = list(paper["tags"])
        finally:
            self._quiet = False

    def _on_note(self, change: dict[str, Any]) -> None:
        if not self._quiet and (paper_id := self.state.set_note(change["new"])):
            self.say(f"note on {paper_id} saved")

    def _on_tags(self, change: dict[str, Any]) -> None:
        if not self._quiet and (paper_id := self.state.set_tags(list(change["new"]))):
            self.say(f"tags of {paper_id} saved")
