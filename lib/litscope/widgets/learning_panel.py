"""The Explorer's learning line: "suggest next" with its strategy, what it did, and the
latest fit (`Learned.line`: labels, what is left to find, WSS@95 and loss)."""
from __future__ import annotations

import html
from typing import Callable

import ipywidgets as w

from .learning import Learned
from .render import render_message


class LearningPanel:
    """The suggest button, the strategy and the learning line; `on_suggest` is called by
    the button."""

    def __init__(self, *, on_suggest: Callable[[], object]):
        self.suggest_button = w.Button(description="suggest next", icon="lightbulb-o",
                                       tooltip="rank unlabelled papers by what to label next",
                                       layout=w.Layout(width="auto", min_width="70px"))
        self.suggest_button.on_click(lambda _: on_suggest())
        self.strategy = w.Dropdown(options=[("most likely include", "top"),
                                            ("most uncertain", "uncertain")],
                                   value="top", layout=w.Layout(width="150px"),
                                   tooltip="which papers 'suggest next' lists")
        self.message = w.HTML()
        self.learning = w.HTML()
        self.learning.add_class("litscope-learning")
        self.widget = w.VBox([w.HBox([self.suggest_button, self.strategy]), self.message,
                              self.learning])

    def say(self, text: str, error: bool = False) -> None:
        """Show what suggesting or learning did, under the suggest button."""
        self.message.value = render_message(text, error)

    def busy(self, state: str) -> None:
        """Say that a fit is running."""
        self.learning.value = f'<span style="color:#8a6d00">{html.escape(state)}</span>'

    def show(self, learned: Learned | None) -> None:
        """Show a fit's line (nothing for a fit that failed)."""
        self.learning.value = "" if learned is None or learned.error else html.escape(learned.line())
