"""The Explorer's profile panel: a row per term (on/off, weight, remove), a box to add a
term, the field weights, alpha and the similarity weight, and "save profile".

Each change goes to the ranking's scorer (`Scorer.set_weight` and friends), which
re-weights its precomputed term matrix; the panel then asks for a re-rank. Messages about
terms and saving appear under the buttons that caused them.
"""
from __future__ import annotations

import html
from pathlib import Path
from typing import Any, Callable

import ipywidgets as w
import numpy as np

from ..errors import LitscopeError
from ..score.profile import FIELDS, Term, save_profile
from .render import render_message
from .state import ExplorerState

_AUTO = w.Layout(width="auto", min_width="70px")
_FULL = {"layout": w.Layout(width="100%"), "style": {"description_width": "90px"}}


class TermRow:
    """The widgets of one profile term: on/off, weight slider, remove button."""

    def __init__(self, term: Term):
        limit = max(5.0, float(np.ceil(abs(term.weight) * 2)))
        self.key = term.key
        self.enabled = w.Checkbox(value=term.weight != 0, indent=False, tooltip="count this term",
                                  layout=w.Layout(width="20px", flex="0 0 auto"))
        self.weight = w.FloatSlider(value=term.weight, min=-limit, max=limit, step=0.1,
                                    description=term.key, readout_format=".1f",
                                    tooltip=f"{term.kind} {term.key!r}: weight",
                                    style={"description_width": "85px"},
                                    layout=w.Layout(width="224px", flex="0 0 auto"))
        self.remove = w.Button(icon="times", tooltip=f"remove {term.key!r}",
                               layout=w.Layout(width="30px", flex="0 0 auto"))
        self.box = w.HBox([self.enabled, self.weight, self.remove],
                          layout=w.Layout(flex="0 0 auto", width="100%"))
        self.box.add_class("litscope-term")


class ProfilePanel:
    """Terms, field weights, alpha, similarity and saving, over `state`'s scorer.
    `rerank` is called after each change; `relearn` when alpha turns the model on."""

    def __init__(self, state: ExplorerState, profile_path: Path | None, *,
                 rerank: Callable[[], None], relearn: Callable[[], None]):
        self.state, self.profile_path = state, profile_path
        self.rerank, self.relearn = rerank, relearn
        profile = state.scorer.profile
        self.term_rows: dict[str, TermRow] = {}
        self.terms_box = w.VBox(layout=w.Layout(max_height="250px", overflow="auto",
                                                flex="0 0 auto"))
        self.terms_box.add_class("litscope-terms")
        for term in profile.terms:
            self._add_row(term)
        self.new_term = w.Text(placeholder="keyword, phrase or /regex/", continuous_update=True,
                               layout=w.Layout(flex="1 1 auto", width="auto", min_width="0"))
        self.new_weight = w.FloatText(value=1.0, step=0.5, layout=w.Layout(width="56px"))
        self.add_button = w.Button(description="add", icon="plus", disabled=True, layout=_AUTO)
        self.term_message = w.HTML()
        self.new_term.observe(self._on_new_term, "value")
        self.add_button.on_click(lambda _: self.add_term())

        self.field_sliders = {
            field: w.FloatSlider(value=getattr(profile.field_weights, field), min=0, max=5,
                                 step=0.1, description=field, readout_format=".1f", **_FULL)
            for field in FIELDS}
        for field, slider in self.field_sliders.items():
            slider.observe(lambda change, f=field: self._on_field(f, change["new"]), "value")
        self.alpha = w.FloatSlider(value=profile.alpha, min=0, max=1, step=0.05,
                                   description="alpha (learned)", readout_format=".2f", **_FULL)
        self.alpha.observe(lambda change: self._on_alpha(change["new"]), "value")
        similarity = profile.similarity
        self.similarity_weight = w.FloatSlider(
            value=similarity.weight if similarity else 0.0, min=0, max=10, step=0.1,
            description="similarity", readout_format=".1f",
            disabled=state.scorer._similarity is None, tooltip=self._similarity_note(), **_FULL)
        self.similarity_weight.observe(lambda change: self._on_similarity(change["new"]), "value")
        self.save_button = w.Button(description="save profile", icon="save",
                                    disabled=profile_path is None,
                                    tooltip=str(profile_path or "no profile file given"), layout=_AUTO)
        self.save_button.on_click(lambda _: self.save_profile())
        self.message = w.HTML()
        self.widget = w.VBox([
            self.terms_box, w.HBox([self.new_term, self.new_weight, self.add_button]),
            self.term_message, w.HTML("<b>Field weights and blend</b>"),
            *self.field_sliders.values(), self.alpha, self.similarity_weight,
            w.HBox([self.save_button, self.message], layout=w.Layout(align_items="center")),
        ])

    def say(self, text: str, error: bool = False) -> None:
        """Show what the last term or save action did, under its buttons."""
        self.message.value = render_message(text, error)

    def _similarity_note(self) -> str:
        """What the ranking's similarity to the library does, for the slider's tooltip."""
        settings = self.state.scorer.profile.similarity
        if settings is None:
            return "add 'similarity:' to the profile to score by similarity to your library"
        if self.state.ranking.similarity_error_:
            return f"similarity: {self.state.ranking.similarity_error_}"
        return f"similarity to your library ({settings.representation}, top {settings.top_k})"

    # -- changes -----------------------------------------------------------------------------
    def _add_row(self, term: Term) -> TermRow:
        row = TermRow(term)
        row.weight.observe(lambda change, key=row.key: self._on_weight(key), "value")
        row.enabled.observe(lambda change, key=row.key: self._on_weight(key), "value")
        row.remove.on_click(lambda _, key=row.key: self.remove_term(key))
        self.term_rows[row.key] = row
        self.terms_box.children = [*self.terms_box.children, row.box]
        return row

    def _on_weight(self, key: str) -> None:
        row = self.term_rows[key]
        row.weight.disabled = not row.enabled.value
        with self.state.lock:
            self.state.scorer.set_weight(key, row.weight.value if row.enabled.value else 0.0)
        self.rerank()

    def _on_field(self, field: str, value: float) -> None:
        with self.state.lock:
            self.state.scorer.set_field_weight(field, value)
        self.rerank()

    def _on_alpha(self, value: float) -> None:
        with self.state.lock:
            self.state.scorer.set_alpha(value)
        if value > 0:
            self.relearn()
        self.rerank()

    def _on_similarity(self, value: float) -> None:
        with self.state.lock:
            self.state.scorer.set_similarity_weight(value)
        self.rerank()

    def _on_new_term(self, change: dict[str, Any]) -> None:
        text = change["new"].strip()
        term, problem = self._parse_term(text)
        self.add_button.disabled = term is None
        if not text:
            self.term_message.value = ""
        elif problem:
            self.term_message.value = f'<span style="color:#b71c1c">✗ {html.escape(problem)}</span>'
        else:
            self.term_message.value = (f'<span style="color:#1e7d32">✓ {term.kind} '
                                       f'{html.escape(term.key)}</span>')

    def _parse_term(self, text: str) -> tuple[Term | None, str | None]:
        """The term typed in the add box, or why it cannot be added."""
        if not text:
            return None, None
        try:
            term = Term.model_validate({"pattern": text, "weight": self.new_weight.value})
        except ValueError as exc:
            errors = exc.errors() if hasattr(exc, "errors") else [{"msg": str(exc)}]
            return None, errors[0]["msg"].removeprefix("Value error, ")
        known = {t.key.casefold() for t in self.state.scorer.profile.terms}
        if term.key.casefold() in known:
            return None, f"{term.key!r} is in the profile already"
        return term, None

    def add_term(self, text: str | None = None, weight: float | None = None) -> str:
        """Add a term (the add box's text by default); scans the text for this term only."""
        if text is not None:
            self.new_term.value = text
        if weight is not None:
            self.new_weight.value = weight
        term, problem = self._parse_term(self.new_term.value.strip())
        if term is None:
            raise LitscopeError(f"cannot add term {self.new_term.value!r}: {problem or 'empty'}")
        with self.state.lock:
            key = self.state.scorer.add_term(term)
            self._add_row(self.state.scorer.profile.term(key))
        self.new_term.value = ""
        self.term_message.value = render_message(f"added {term.kind} {key!r}")
        self.rerank()
        return key

    def remove_term(self, key: str) -> None:
        """Remove a term from the profile (and its row)."""
        with self.state.lock:
            self.state.scorer.remove_term(key)
            row = self.term_rows.pop(key)
            self.terms_box.children = [c for c in self.terms_box.children if c is not row.box]
        self.term_message.value = render_message(f"removed {key!r}")
        self.rerank()

    def save_profile(self, path: str | Path | None = None) -> Path:
        """Write the current weights, terms and alpha to the profile YAML (comments kept)."""
        path = Path(path) if path else self.profile_path
        if path is None:
            raise LitscopeError("save profile: this Explorer has no profile file; pass "
                                "profile_path= or call save_profile(path)")
        saved = save_profile(self.state.scorer.profile, path)
        off = [k for k, row in self.term_rows.items() if not row.enabled.value]
        self.say(f"saved the profile to {saved.name}" + (f" ({len(off)} term(s) switched off: weight 0)" if off else ""))
        return saved
