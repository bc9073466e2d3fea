"""The Explorer widget: live re-ranking over the scorer's precomputed term matrix.

Re-ranking re-weights the matrix (`Scorer.scores`), never the text. Labels, notes and
tags go to the store on each action (one committed transaction each), so a dead kernel
loses nothing. The learned model refits on a background thread after each label
(`litscope.widgets.learning`), showing "relearning…" meanwhile: no slider waits for it.
The search box ranks by words and meaning (`litscope.score.search`).
"""
from __future__ import annotations

import base64
import html
import io
import threading
from pathlib import Path
from typing import Any, Iterable

import ipywidgets as w
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from matplotlib.figure import Figure

from ..errors import LitscopeError
from ..plots import plot_papers_per_day, plot_score_distribution, plot_top_terms, term_matches
from ..score.profile import FIELDS, Profile, Term, load_profile, save_profile
from ..score.ranking import Ranking
from ..schema import take_rows
from ..store import LABELS, Store
from .debounce import Debouncer
from .learning import Learned, Relearner
from .render import CSS, render_card, render_table

_AUTO = w.Layout(width="auto", min_width="70px")
#: Label-filter choices: (shown, value).
LABEL_FILTERS = (("all papers", "all"), ("unlabelled", "none"), ("labelled", "any"),
                 *((label, label) for label in LABELS))


class _Memory:
    """Labels, notes and tags kept in memory, for an Explorer over a plain DataFrame."""

    def __init__(self, papers: pd.DataFrame):
        self._papers = papers
        self._labels: dict[str, str] = {}
        self._notes: dict[str, str] = {}

    def set_label(self, paper_id: str, label: str | None) -> None:
        if label is None:
            self._labels.pop(paper_id, None)
        else:
            self._labels[paper_id] = label

    def labels(self) -> pd.DataFrame:
        return pd.DataFrame({"id": list(self._labels), "label": list(self._labels.values())})

    def set_note(self, paper_id: str, text: str) -> None:
        if text.strip():
            self._notes[paper_id] = text
        else:
            self._notes.pop(paper_id, None)

    def notes(self) -> pd.DataFrame:
        return pd.DataFrame({"id": list(self._notes), "note": list(self._notes.values())})

    def tag(self, paper_id: str, add: Iterable[str] = (), remove: Iterable[str] = ()) -> list[str]:
        old = self._papers.loc[self._papers["id"] == paper_id, "tags"].iloc[0]
        return [t for t in dict.fromkeys([*old, *add]) if t not in set(remove)]


class _TermRow:
    """The widgets of one profile term: on/off, weight slider, remove button."""

    def __init__(self, term: Term):
        limit = max(5.0, float(np.ceil(abs(term.weight) * 2)))
        self.key = term.key
        self.enabled = w.Checkbox(value=term.weight != 0, indent=False, tooltip="count this term",
                                  layout=w.Layout(width="24px"))
        self.weight = w.FloatSlider(value=term.weight, min=-limit, max=limit, step=0.1,
                                    description=term.key, readout_format=".1f",
                                    tooltip=f"{term.kind} {term.key!r}: weight",
                                    style={"description_width": "150px"},
                                    layout=w.Layout(width="380px"))
        self.remove = w.Button(icon="times", tooltip=f"remove {term.key!r}",
                               layout=w.Layout(width="32px"))
        self.box = w.HBox([self.enabled, self.weight, self.remove], layout=w.Layout(flex="0 0 auto"))
        self.box.add_class("litscope-term")


class Explorer:
    """Live re-ranking, paper cards and labelling over a store (or a papers DataFrame).

    `profile` is a `Profile` or the path of a profile YAML; "save profile" writes back to
    that path (or to `profile_path`). `debounce` is the re-rank throttle in seconds for
    slider drags (0: re-rank synchronously on every change, as tests want); `top_n` the
    table's rows; `plots` whether the plots start open; `now` the moment recency decay
    counts from (default: now).
    """

    def __init__(self, store_or_papers: Store | pd.DataFrame, profile: Profile | str | Path, *,
                 profile_path: str | Path | None = None, top_n: int = 20,
                 debounce: float = 0.08, plots: bool = True, now: Any = None):
        if isinstance(profile, (str, Path)):
            profile_path = profile_path or profile
            profile = load_profile(profile)
        self.profile_path = Path(profile_path) if profile_path else None
        store = store_or_papers if isinstance(store_or_papers, Store) else None
        if store is None:
            self.papers = store_or_papers.reset_index(drop=True).copy()
            self.store: Store | _Memory = _Memory(self.papers)
            self._table: pa.Table | None = None
        else:       # a store's papers as Arrow data, shared by the scorer and the table
            self._table = store_or_papers.table()
            self.papers = self._table.to_pandas(types_mapper=pd.ArrowDtype)
            self.papers["tags"] = pd.Series(self._table["tags"].to_pylist(), dtype=object)
            self.store = store_or_papers
        # the review's ranking: the order the site and the digest have, until you change it
        self.ranking = Ranking(profile, store=store, now=now).fit(
            self.papers if self._table is None else self._table, frame=self.papers)
        self.scorer = self.ranking.scorer_
        self._now = now
        self._lock = threading.RLock()
        self._quiet = False                      # True while widgets are set from code
        self._row_of = self.scorer.ids_          # one index of the ids, shared with the scorer
        self._ids = self._row_of.to_numpy(dtype=object)
        labels = self.store.labels()
        self._labels = dict(zip(labels["id"], labels["label"]))
        notes = self.store.notes()
        self._notes = dict(zip(notes["id"], notes["note"]))
        self._haystack: pd.Series | None = None
        self._filter_mask = np.ones(len(self.papers), bool)
        self._suggested: list[str] = []
        self._search_ids: list[str] = []
        self.shown_ids: list[str] = []
        self.selected_id: str | None = None
        self._position = 0
        self._summary, self._message = "", ("", False)
        self._learned: Learned | None = None     # the latest fit of the learned model
        self._want_suggestions = False           # show suggestions when the next fit lands
        self._similarity_note = self._describe_similarity()
        self._build(top_n, plots)
        self._rerank = Debouncer(self._refresh, debounce, self._report)
        self.relearner = self._relearner(store_or_papers, background=debounce > 0)
        self._replot = Debouncer(self._draw_plots, max(debounce, 0.4) if debounce > 0 else 0,
                                 self._report)
        self._refresh()

    # -- layout ------------------------------------------------------------------------------
    def _categories(self) -> list[str]:
        """Every category the papers have, sorted (from the Arrow columns when there are
        some: a loop over a million papers' lists takes a second)."""
        if self._table is not None:
            found = pc.unique(pa.concat_arrays([
                pc.list_flatten(self._table["categories"]).combine_chunks().cast(pa.string()),
                self._table["primary_category"].combine_chunks().cast(pa.string())]))
            return sorted(c for c in found.to_pylist() if c is not None)
        return sorted({c for cats in self.papers["categories"] for c in cats}
                      | set(self.papers["primary_category"].dropna().astype(str)))

    def _build(self, top_n: int, plots: bool) -> None:
        profile = self.scorer.profile
        self.status = w.HTML()
        self.term_rows: dict[str, _TermRow] = {}
        self.terms_box = w.VBox(layout=w.Layout(max_height="330px", overflow="auto"))
        for term in profile.terms:
            self._add_row(term)
        self.new_term = w.Text(placeholder="keyword, phrase or /regex/", continuous_update=True,
                               layout=w.Layout(width="230px"))
        self.new_weight = w.FloatText(value=1.0, step=0.5, layout=w.Layout(width="70px"))
        self.add_button = w.Button(description="add term", disabled=True)
        self.term_message = w.HTML()
        self.new_term.observe(self._on_new_term, "value")
        self.add_button.on_click(lambda _: self.add_term())

        self.field_sliders = {
            field: w.FloatSlider(value=getattr(profile.field_weights, field), min=0, max=5,
                                 step=0.1, description=field, readout_format=".1f")
            for field in FIELDS}
        for field, slider in self.field_sliders.items():
            slider.observe(lambda change, f=field: self._on_field(f, change["new"]), "value")
        self.alpha = w.FloatSlider(value=profile.alpha, min=0, max=1, step=0.05,
                                   description="alpha (learned)", readout_format=".2f",
                                   style={"description_width": "100px"})
        self.alpha.observe(lambda change: self._on_alpha(change["new"]), "value")
        similarity = profile.similarity
        self.similarity_weight = w.FloatSlider(
            value=similarity.weight if similarity else 0.0, min=0, max=10, step=0.1,
            description="similarity", readout_format=".1f", disabled=self.scorer._similarity is None,
            tooltip=self._similarity_note, style={"description_width": "100px"})
        self.similarity_weight.observe(lambda change: self._on_similarity(change["new"]), "value")
        self.learning = w.HTML()
        self.learning.add_class("litscope-learning")

        categories = self._categories()
        self.categories = w.SelectMultiple(options=categories, rows=min(6, max(len(categories), 1)),
                                           description="categories")
        self.date_from = w.DatePicker(description="from")
        self.date_to = w.DatePicker(description="to")
        self.min_score = w.FloatText(value=profile.min_score or 0.0, description="min score")
        self.label_filter = w.Dropdown(options=LABEL_FILTERS, value="all", description="labels")
        self.search = w.Text(placeholder="words in title, abstract, authors",
                             description="search", continuous_update=True)
        self.show_excluded = w.Checkbox(value=False, description="show excluded papers")
        self.rows = w.BoundedIntText(value=top_n, min=1, max=500, description="rows")
        for widget in (self.categories, self.date_from, self.date_to, self.label_filter,
                       self.search, self.show_excluded):
            widget.observe(self._on_filter, "value")
        for widget in (self.min_score, self.rows):
            widget.observe(self._on_change, "value")
        self.query = w.Text(placeholder="search by words and meaning (Enter)",
                            continuous_update=False, layout=w.Layout(width="100%"))
        self.query.observe(lambda change: self.find(change["new"]), "value")
        self.order = w.ToggleButtons(options=[("by score", "score"), ("suggested", "suggested"),
                                              ("search results", "search")],
                                     value="score", tooltips=["ranked by score",
                                                              "what to label next (active learning)",
                                                              "the search box's results"])
        self.order.observe(self._on_change, "value")

        self.table = w.HTML(layout=w.Layout(max_height="360px", overflow="auto"))
        self.table.add_class("litscope-table-box")
        self.prev_button = w.Button(description="previous", icon="arrow-up", layout=_AUTO)
        self.next_button = w.Button(description="next", icon="arrow-down", layout=_AUTO)
        self.position = w.HTML()
        self.prev_button.on_click(lambda _: self.select(self._position - 1))
        self.next_button.on_click(lambda _: self.select(self._position + 1))
        self.card = w.HTML()
        self.card.add_class("litscope-card")
        self.label_buttons = {
            label: w.Button(description=label, button_style=style, tooltip=f"label {label}",
                            layout=_AUTO)
            for label, style in zip(LABELS, ("success", "danger", "warning"))}
        self.label_buttons["clear"] = w.Button(description="clear", tooltip="remove the label",
                                               layout=_AUTO)
        for label, button in self.label_buttons.items():
            button.on_click(lambda _, lab=label: self.label(None if lab == "clear" else lab))
        self.notes = w.Textarea(placeholder="notes on this paper (saved when you leave the box)",
                                continuous_update=False, layout=w.Layout(width="100%"))
        self.notes.observe(self._on_note, "value")
        self.tags = w.TagsInput(allow_duplicates=False)
        self.tags.observe(self._on_tags, "value")
        self.save_button = w.Button(description="save profile", icon="save",
                                    disabled=self.profile_path is None,
                                    tooltip=str(self.profile_path or "no profile file given"),
                                    layout=_AUTO)
        self.save_button.on_click(lambda _: self.save_profile())
        self.suggest_button = w.Button(description="suggest next", icon="lightbulb-o",
                                       tooltip="rank unlabelled papers by what to label next",
                                       layout=_AUTO)
        self.suggest_button.on_click(lambda _: self.suggest())
        self.strategy = w.Dropdown(options=[("most likely include", "top"),
                                            ("most uncertain", "uncertain")],
                                   value="top", layout=w.Layout(width="150px"),
                                   tooltip="which papers 'suggest next' lists")
        self.plots = w.Output()
        self.plots_box = w.Accordion(children=[self.plots], titles=("Plots",),
                                     selected_index=0 if plots else None)
        self.plots_box.observe(self._on_plots_opened, "selected_index")

        controls = w.VBox([
            w.HTML("<b>Terms</b>"), self.terms_box,
            w.HBox([self.new_term, self.new_weight, self.add_button]), self.term_message,
            w.HTML("<b>Field weights</b>"), *self.field_sliders.values(), self.alpha,
            self.similarity_weight,
            w.HTML("<b>Filters</b>"), self.categories, self.date_from, self.date_to,
            self.min_score, self.label_filter, self.search, self.show_excluded, self.rows,
            w.HBox([self.save_button, self.suggest_button, self.strategy]), self.learning,
        ], layout=w.Layout(width="420px", min_width="420px"))
        paper = w.VBox([
            self.query, self.order, self.table,
            w.HBox([self.prev_button, self.next_button, *self.label_buttons.values(), self.position]),
            self.card, self.notes, self.tags,
        ], layout=w.Layout(flex="1 1 auto"))
        self.widget = w.VBox([w.HTML(CSS), self.status, w.HBox([controls, paper]), self.plots_box])
        self.widget.add_class("litscope-explorer")

    def _add_row(self, term: Term) -> _TermRow:
        row = _TermRow(term)
        row.weight.observe(lambda change, key=row.key: self._on_weight(key), "value")
        row.enabled.observe(lambda change, key=row.key: self._on_weight(key), "value")
        row.remove.on_click(lambda _, key=row.key: self.remove_term(key))
        self.term_rows[row.key] = row
        self.terms_box.children = [*self.terms_box.children, row.box]
        return row

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """The widget, and a static snapshot (status, ranking, card) as ``text/html`` for
        where no kernel runs it: a rendered notebook page, nbviewer."""
        snapshot = "".join([CSS, '<div class="litscope-explorer-snapshot">', self.status.value,
                            self.table.value, self.card.value, "</div>"])
        return {**self.widget._repr_mimebundle_(**kwargs), "text/html": snapshot}

    # -- profile changes ---------------------------------------------------------------------
    def _on_weight(self, key: str) -> None:
        row = self.term_rows[key]
        row.weight.disabled = not row.enabled.value
        with self._lock:
            self.scorer.set_weight(key, row.weight.value if row.enabled.value else 0.0)
        self._rerank()

    def _on_field(self, field: str, value: float) -> None:
        with self._lock:
            self.scorer.set_field_weight(field, value)
        self._rerank()

    def _on_alpha(self, value: float) -> None:
        with self._lock:
            self.scorer.set_alpha(value)
        if value > 0:
            self._relearn()
        self._rerank()

    def _on_similarity(self, value: float) -> None:
        with self._lock:
            self.scorer.set_similarity_weight(value)
        self._rerank()

    # -- learning ----------------------------------------------------------------------------
    def _describe_similarity(self) -> str:
        """What the ranking's similarity to the library does, for the slider's tooltip."""
        settings = self.scorer.profile.similarity
        if settings is None:
            return "add 'similarity:' to the profile to score by similarity to your library"
        if self.ranking.similarity_error_:
            return f"similarity: {self.ranking.similarity_error_}"
        return f"similarity to your library ({settings.representation}, top {settings.top_k})"

    def _relearner(self, source: Store | pd.DataFrame, background: bool) -> Relearner:
        """The background learner; over a store, the library's items count as includes."""
        library_ids, outside = frozenset(), None
        if isinstance(source, Store):
            from ..sources.library import library_papers
            library = library_papers(source)
            inside = library["id"].isin(self._row_of)
            library_ids, outside = frozenset(library.loc[inside, "id"]), library[~inside]
        return Relearner(self.papers, on_done=self._on_learned, on_state=self._show_learning,
                         background=background, store=source if isinstance(source, Store) else None,
                         library_ids=library_ids, extra_includes=outside)

    def _relearn(self) -> None:
        """Refit the model on the current labels (in the background unless debounce=0)."""
        self.relearner.request(self._labels)

    def _up_to_date(self) -> bool:
        return self._learned is not None and self._learned.labels == frozenset(self._labels.items())

    def _show_learning(self, state: str) -> None:
        self.learning.value = f'<span style="color:#8a6d00">{html.escape(state)}</span>'

    def _on_learned(self, learned: Learned) -> None:
        """A fit landed: blend it in (alpha), refresh the suggestions, show the stopping estimate."""
        with self._lock:
            self._learned = learned
            if learned.proba is None:
                self.scorer.set_learned(None)
            else:
                self.scorer.set_learned(learned.proba)
                self._suggested = learned.suggestions(self._ids, set(self._labels), self.strategy.value,
                                                      max(self.rows.value, 50))
        if learned.error:
            self.learning.value = ""
            what = "suggest next" if self._want_suggestions else "alpha counts once the model can learn"
            self._say(f"{what}: {learned.error}", error=True)
            self._want_suggestions = False
            return
        stop = learned.stopping
        left = (f"about {stop.remaining()[0]:.0f} relevant left (random check sample), recall "
                f"~{stop.recall()[0]:.0%}" if stop.estimated else
                f"label the {stop.sample_size - stop.sample_labelled} papers of the random check "
                f"sample for an estimate of what is left")
        self.learning.value = (f"learned from {len(learned.labels)} labels in "
                               f"{learned.seconds * 1000:.0f} ms · {html.escape(left)}")
        if self._want_suggestions:
            self._want_suggestions = False
            self._say(f"{len(self._suggested)} suggestions: {self.strategy.label}")
            with self._lock:
                self.selected_id, self._position = None, 0
            if self.order.value != "suggested":
                self.order.value = "suggested"     # redraws
                return
        elif self.alpha.value > 0:
            self._say(f"learned model trained on {len(learned.labels)} labels")
        self._refresh()

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
        known = {t.key.casefold() for t in self.scorer.profile.terms}
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
        with self._lock:
            key = self.scorer.add_term(term)
            self._add_row(self.scorer.profile.term(key))
        self.new_term.value = ""
        self._say(f"added {term.kind} {key!r}")
        self._refresh()
        return key

    def remove_term(self, key: str) -> None:
        """Remove a term from the profile (and its row)."""
        with self._lock:
            self.scorer.remove_term(key)
            row = self.term_rows.pop(key)
            self.terms_box.children = [c for c in self.terms_box.children if c is not row.box]
        self._say(f"removed {key!r}")
        self._refresh()

    def save_profile(self, path: str | Path | None = None) -> Path:
        """Write the current weights, terms and alpha to the profile YAML (comments kept)."""
        path = Path(path) if path else self.profile_path
        if path is None:
            raise LitscopeError("save profile: this Explorer has no profile file; pass "
                                "profile_path= or call save_profile(path)")
        saved = save_profile(self.scorer.profile, path)
        off = [k for k, row in self.term_rows.items() if not row.enabled.value]
        self._say(f"saved the profile to {saved}"
                  + (f" ({len(off)} switched-off term(s) with weight 0)" if off else ""))
        return saved

    # -- filters -----------------------------------------------------------------------------
    def _on_filter(self, change: dict[str, Any]) -> None:
        self._filter_mask = self._compute_filter()
        self._rerank()

    def _on_change(self, change: dict[str, Any]) -> None:
        self._rerank()

    def _on_plots_opened(self, change: dict[str, Any]) -> None:
        if change["new"] is not None:
            self._replot()

    def _compute_filter(self) -> np.ndarray:
        """Which papers pass the category, date, label, search and exclusion filters."""
        papers, mask = self.papers, np.ones(len(self.papers), bool)
        if self.categories.value:
            wanted = set(self.categories.value)
            mask &= np.fromiter((not wanted.isdisjoint([*cats, primary]) for cats, primary in
                                 zip(papers["categories"], papers["primary_category"].fillna(""))),
                                bool, len(papers))
        published = papers["published"]
        if self.date_from.value is not None:
            mask &= (published >= pd.Timestamp(self.date_from.value, tz="UTC")).fillna(False).to_numpy(bool)
        if self.date_to.value is not None:
            end = pd.Timestamp(self.date_to.value, tz="UTC") + pd.Timedelta(days=1)
            mask &= (published < end).fillna(False).to_numpy(bool)
        if self.label_filter.value != "all":
            mask &= self._label_mask(self.label_filter.value)
        query = self.search.value.strip().lower()
        if query:
            mask &= self._haystack_series().str.contains(query, regex=False).to_numpy(bool)
        return mask

    def _label_mask(self, wanted: str) -> np.ndarray:
        labels = pd.Series(self._ids).map(self._labels)
        if wanted == "none":
            return labels.isna().to_numpy()
        if wanted == "any":
            return labels.notna().to_numpy()
        return (labels == wanted).to_numpy()

    def _haystack_series(self) -> pd.Series:
        if self._haystack is None:
            p = self.papers
            authors = pd.Series([", ".join(a) for a in p["authors"]], dtype="string")
            self._haystack = (p["title"].fillna("") + "\n" + p["abstract"].fillna("") + "\n"
                              + authors + "\n" + p["id"]).str.lower()
        return self._haystack

    # -- ranking -----------------------------------------------------------------------------
    def _eligible(self, scores: np.ndarray) -> np.ndarray:
        mask = self._filter_mask & (scores >= self.min_score.value)
        if not self.show_excluded.value:
            mask &= ~self.scorer.excluded(self._now)
        return mask

    def ranked_rows(self) -> np.ndarray:
        """Row positions of the papers the table lists, best first."""
        with self._lock:
            return self._rank(self.scorer.scores(self._now))

    def _rank(self, scores: np.ndarray) -> np.ndarray:
        """Top-N rows by score (ties in row order), or the suggestions, among eligible papers."""
        with self._lock:
            mask = self._eligible(scores)
            n = self.rows.value
            if self.order.value in ("suggested", "search"):
                listed = self._suggested if self.order.value == "suggested" else self._search_ids
                rows = self._row_of.get_indexer([i for i in listed if self.order.value == "search"
                                                 or i not in self._labels])
                return rows[(rows >= 0) & mask[np.maximum(rows, 0)]][:n]
            candidates = np.flatnonzero(mask)
            if len(candidates) > n:
                keep = np.argpartition(-scores[candidates], n - 1)[:n]
                threshold = scores[candidates[keep]].min()
                candidates = candidates[scores[candidates] >= threshold]
            order = np.lexsort((candidates, -scores[candidates]))
            return candidates[order][:n]

    def _refresh(self) -> None:
        """Re-rank, redraw the table and the card; plots follow on their own throttle."""
        with self._lock:
            scores = self.scorer.scores(self._now)
            rows = self._rank(scores)
            self.shown_ids = list(self._ids[rows])
            if self.selected_id in self.shown_ids:
                self._position = self.shown_ids.index(self.selected_id)
            else:
                self._position = min(self._position, max(len(rows) - 1, 0))
            self.selected_id = self.shown_ids[self._position] if self.shown_ids else None
            self._rows, self._scores = rows, scores
            self._draw_table()
            self._draw_card()
            n_ok = int(self._eligible(scores).sum())
            self._summary = (f"{n_ok} of {len(self.papers)} papers pass the filters; "
                             f"{len(self._labels)} labelled")
            self._draw_status()
        if self.plots_box.selected_index is not None:
            self._replot()

    def select(self, position: int) -> None:
        """Show the paper at `position` in the table (clamped to the table)."""
        with self._lock:
            if not self.shown_ids:
                return
            self._position = int(np.clip(position, 0, len(self.shown_ids) - 1))
            self.selected_id = self.shown_ids[self._position]
            self._draw_table()
            self._draw_card()

    def select_id(self, paper_id: str) -> None:
        """Show one paper's card (it need not be in the table)."""
        if paper_id not in self._row_of:
            raise LitscopeError(f"no paper with id {paper_id!r} in this Explorer")
        with self._lock:
            self.selected_id = paper_id
            if paper_id in self.shown_ids:
                self._position = self.shown_ids.index(paper_id)
            self._draw_table()
            self._draw_card()

    def suggest(self) -> list[str]:
        """List the unlabelled papers most worth labelling next (active learning, with the
        strategy box's choice) in the table, best first; refits first if the labels changed
        since the last fit (in the background: the table follows when it lands)."""
        self._want_suggestions = True
        if self._up_to_date():
            self._on_learned(self._learned)
        else:
            self._relearn()
        return self._suggested

    def find(self, query: str) -> list[str]:
        """Rank the papers by the search box's query (words and meaning) and list them."""
        from ..score.search import search
        if not query.strip():
            self._search_ids = []
            if self.order.value == "search":
                self.order.value = "score"
            return []
        try:
            found = search(self.papers, query, top=500,
                           store=self.store if isinstance(self.store, Store) else None)
        except LitscopeError as exc:
            self._say(f"search: {exc}", error=True)
            return []
        with self._lock:
            self._search_ids = list(found["id"])
            self.selected_id, self._position = None, 0
        self._say(f"search: {int(found['words_rank'].notna().sum())} papers have the words of "
                  f"{query!r}; the best {len(found)} by words and meaning are listed")
        if self.order.value == "search":
            self._refresh()
        else:
            self.order.value = "search"
        return self._search_ids

    # -- labels, notes, tags -----------------------------------------------------------------
    def _label_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"id": list(self._labels), "label": list(self._labels.values())})

    def label(self, label: str | None, paper_id: str | None = None) -> None:
        """Label the selected paper (written to the store at once) and move to the next."""
        paper_id = paper_id or self.selected_id
        if paper_id is None:
            return
        self.store.set_label(paper_id, label)
        with self._lock:
            if label is None:
                self._labels.pop(paper_id, None)
            else:
                self._labels[paper_id] = label
            if self.label_filter.value != "all":
                self._filter_mask = self._compute_filter()
            advance = paper_id == self.selected_id
            self._say(f"{label or 'cleared label'}: {paper_id} (saved)")
            self._refresh()
            if advance and self.selected_id == paper_id:   # still listed: on to the next one
                self.select(self._position + 1)
        if self.alpha.value > 0 or self.order.value == "suggested":
            self._relearn()

    def _on_note(self, change: dict[str, Any]) -> None:
        if self._quiet or self.selected_id is None:
            return
        self.store.set_note(self.selected_id, change["new"])
        self._notes[self.selected_id] = change["new"]
        self._say(f"note on {self.selected_id} saved")

    def _on_tags(self, change: dict[str, Any]) -> None:
        if self._quiet or self.selected_id is None:
            return
        old, new = list(change["old"]), list(change["new"])
        tags = self.store.tag(self.selected_id, add=[t for t in new if t not in old],
                              remove=[t for t in old if t not in new])
        self.papers.at[int(self._row_of.get_loc(self.selected_id)), "tags"] = tags
        self._say(f"tags of {self.selected_id} saved")

    # -- drawing -----------------------------------------------------------------------------
    def _say(self, message: str, error: bool = False) -> None:
        """Show what the last action did (in red for a problem) after the counts."""
        self._message = (message, error)
        self._draw_status()

    def _draw_status(self) -> None:
        text, error = self._message
        color = "#b71c1c" if error else "#555"
        self.status.value = (f"<b>litscope Explorer</b> · {html.escape(self._summary)}"
                             + (f' · <span style="color:{color}">{html.escape(text)}</span>' if text else ""))

    def _report(self, exc: BaseException) -> None:
        self._say(f"{type(exc).__name__}: {exc}", error=True)

    def _rows_frame(self, rows: np.ndarray) -> pd.DataFrame:
        """The papers at `rows`; a store's taken chunk by chunk from its Arrow table (pandas
        would first join every chunk of each column: a copy of the corpus per redraw)."""
        if self._table is None:
            return self.papers.iloc[rows]
        frame = take_rows(self._table, np.asarray(rows)).to_pandas(types_mapper=pd.ArrowDtype)
        frame["tags"] = self.papers["tags"].to_numpy()[rows]        # edited in this session
        return frame

    def _draw_table(self) -> None:
        self.table.value = render_table(self._rows_frame(self._rows), self._scores[self._rows],
                                        [self._labels.get(i) for i in self.shown_ids],
                                        self.selected_id)
        self.position.value = (f"{self._position + 1} of {len(self.shown_ids)}"
                               if self.shown_ids else "no papers")
        self.prev_button.disabled = self._position <= 0
        self.next_button.disabled = self._position >= len(self.shown_ids) - 1

    def _draw_card(self) -> None:
        paper_id = self.selected_id
        self._quiet = True
        try:
            if paper_id is None:
                self.card.value = "<i>No paper passes the filters.</i>"
                self.notes.value, self.tags.value = "", []
                return
            row = int(self._row_of.get_loc(paper_id))
            paper = self._rows_frame(np.array([row])).iloc[0]
            self.card.value = render_card(paper, self.scorer.explain(paper_id, now=self._now),
                                          {f: self.scorer.highlight(paper_id, f)
                                           for f in ("title", "abstract")},
                                          self._labels.get(paper_id))
            self.notes.value = self._notes.get(paper_id, "")
            self.tags.value = list(paper["tags"])
        finally:
            self._quiet = False

    def _draw_plots(self) -> None:
        """Draw the three plots over the papers that pass the filters into the Output widget."""
        with self._lock:
            scores = self.scorer.scores(self._now)
            mask = self._eligible(scores) | (self._filter_mask & (scores < self.min_score.value))
            shown = self.papers.loc[mask, ["published", "primary_category"]].assign(score=scores[mask])
            terms = term_matches(self.scorer, mask)
        fig = Figure(figsize=(15, 3.8))
        fig.subplots_adjust(left=0.04, right=0.99, bottom=0.24, top=0.9, wspace=0.45)
        axes = fig.subplots(1, 3)
        plot_score_distribution(shown, axes[0], cutoff=self.min_score.value)
        plot_papers_per_day(shown, axes[1])
        plot_top_terms(terms, axes[2])
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=80)
        self.plots.outputs = ({"output_type": "display_data", "metadata": {},
                               "data": {"image/png": base64.b64encode(buffer.getvalue()).decode(),
                                        "text/plain": f"<plots of {int(mask.sum())} papers>"}},)
