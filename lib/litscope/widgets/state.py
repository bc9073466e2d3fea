"""The Explorer's state, without widgets: what is ranked, filtered, selected and labelled.

`ExplorerState` holds the review's one ranking (`litscope.score.ranking.Ranking`, whose
scorer re-weights its precomputed term matrix), the filters, the listed papers and the
selected one, and the labels, notes and tags, which it writes to the store (or keeps in
memory, over a plain DataFrame) on each action. The panels of `litscope.widgets.explorer`
only turn widget changes into calls on it and draw what it holds; tests drive it directly.
"""
from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import LitscopeError
from ..schema import take_rows
from ..score.profile import Profile, load_profile
from ..score.ranking import Ranking
from ..store import LABELS, Store
from .learning import Learned

#: What the table lists: by score, the suggestions of active learning, or search results.
ORDERS = ("score", "suggested", "search")
#: Label-filter choices: (shown, value).
LABEL_FILTERS = (("all papers", "all"), ("unlabelled", "none"), ("labelled", "any"),
                 *((label, label) for label in LABELS))


@dataclass(frozen=True)
class Filters:
    """Which papers the table may list: categories (any of), a date range (inclusive),
    a minimum score, a label choice (`LABEL_FILTERS`), words in the title, abstract,
    authors or id, and whether papers the profile excludes are shown."""

    categories: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    min_score: float = 0.0
    label: str = "all"
    text: str = ""
    show_excluded: bool = False


class MemoryDecisions:
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


class ExplorerState:
    """The papers of a store (or a DataFrame) ranked by `profile`, filtered, listed and
    labelled (see the module docstring).

    `top_n` is how many papers the table lists; `now` the moment recency counts from.
    After any change, `refresh()` re-ranks; `shown_ids`, `selected_id` and `position`
    then say what the table lists and which paper the card shows.
    """

    def __init__(self, source: Store | pd.DataFrame, profile: Profile | str | Path, *,
                 top_n: int = 20, now: Any = None):
        profile = load_profile(profile) if isinstance(profile, (str, Path)) else profile
        store = source if isinstance(source, Store) else None
        if store is None:
            self.papers = source.reset_index(drop=True).copy()
            self.store: Store | MemoryDecisions = MemoryDecisions(self.papers)
            self._table: pa.Table | None = None
        else:       # a store's papers as Arrow data, shared by the scorer and the table
            self._table = store.table()
            self.papers = self._table.to_pandas(types_mapper=pd.ArrowDtype)
            self.papers["tags"] = pd.Series(self._table["tags"].to_pylist(), dtype=object)
            self.store = store
        # the review's ranking: the order the site and the digest have, until you change it
        self.ranking = Ranking(profile, store=store, now=now).fit(
            self.papers if self._table is None else self._table, frame=self.papers)
        self.scorer = self.ranking.scorer_
        self.now = now
        self.lock = threading.RLock()
        self.row_of = self.scorer.ids_          # one index of the ids, shared with the scorer
        self.ids = self.row_of.to_numpy(dtype=object)
        labels, notes = self.store.labels(), self.store.notes()
        self.labels: dict[str, str] = dict(zip(labels["id"], labels["label"]))
        self.notes: dict[str, str] = dict(zip(notes["id"], notes["note"]))
        self.library_ids, self.outside_library = self._library(store)
        self.filters = Filters(min_score=profile.min_score or 0.0)
        self.top_n, self.order = top_n, "score"
        self.suggested: list[str] = []
        self.found: list[str] = []
        self.learned: Learned | None = None
        self.shown_ids: list[str] = []
        self.selected_id: str | None = None
        self.position = 0
        self.rows = np.zeros(0, np.int64)
        self.scores = np.zeros(len(self.papers))
        self._filter_mask = np.ones(len(self.papers), bool)
        self._haystack: pd.Series | None = None

    def _library(self, store: Store | None) -> tuple[frozenset, pd.DataFrame | None]:
        """The library's items in the corpus (ids) and those outside it (papers): both
        count as includes when learning, and the first are never suggested."""
        if store is None:
            return frozenset(), None
        from ..sources.library import library_papers
        library = library_papers(store)
        inside = library["id"].isin(self.row_of)
        return frozenset(library.loc[inside, "id"]), library[~inside]

    # -- filters -----------------------------------------------------------------------------
    def set_filters(self, **changes: Any) -> None:
        """Change some filters (`Filters` fields); call `refresh()` to re-rank."""
        with self.lock:
            self.filters = dataclasses.replace(self.filters, **changes)
            if set(changes) - {"min_score", "show_excluded"}:
                self._filter_mask = self._compute_filter()

    def categories(self) -> list[str]:
        """Every category the papers have, sorted (from the Arrow columns when there are
        some: a loop over a million papers' lists takes a second)."""
        if self._table is not None:
            found = pc.unique(pa.concat_arrays([
                pc.list_flatten(self._table["categories"]).combine_chunks().cast(pa.string()),
                self._table["primary_category"].combine_chunks().cast(pa.string())]))
            return sorted(c for c in found.to_pylist() if c is not None)
        return sorted({c for cats in self.papers["categories"] for c in cats}
                      | set(self.papers["primary_category"].dropna().astype(str)))

    def _compute_filter(self) -> np.ndarray:
        """Which papers pass the category, date, label and text filters."""
        papers, mask, f = self.papers, np.ones(len(self.papers), bool), self.filters
        if f.categories:
            wanted = set(f.categories)
            mask &= np.fromiter((not wanted.isdisjoint([*cats, primary]) for cats, primary in
                                 zip(papers["categories"], papers["primary_category"].fillna(""))),
                                bool, len(papers))
        published = papers["published"]
        if f.date_from is not None:
            mask &= (published >= pd.Timestamp(f.date_from, tz="UTC")).fillna(False).to_numpy(bool)
        if f.date_to is not None:
            end = pd.Timestamp(f.date_to, tz="UTC") + pd.Timedelta(days=1)
            mask &= (published < end).fillna(False).to_numpy(bool)
        if f.label != "all":
            mask &= self._label_mask(f.label)
        text = f.text.strip().lower()
        if text:
            mask &= self._haystack_series().str.contains(text, regex=False).to_numpy(bool)
        return mask

    def _label_mask(self, wanted: str) -> np.ndarray:
        labels = pd.Series(self.ids).map(self.labels)
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
    def eligible(self, scores: np.ndarray | None = None, *, min_score: bool = True) -> np.ndarray:
        """Which papers the table may list: they pass the filters and the minimum score
        (unless `min_score` is False: the plots show what it cuts), and the profile does
        not exclude them (unless excluded papers are shown)."""
        scores = self.scorer.scores(self.now) if scores is None else scores
        mask = self._filter_mask & (scores >= self.filters.min_score) if min_score else self._filter_mask.copy()
        if not self.filters.show_excluded:
            mask &= ~self.scorer.excluded(self.now)
        return mask

    def ranked_rows(self, scores: np.ndarray | None = None) -> np.ndarray:
        """Row positions of the papers the table lists, best first: the scorer's top rows
        among the eligible papers, or the suggestions or search results that are."""
        with self.lock:
            scores = self.scorer.scores(self.now) if scores is None else scores
            mask = self.eligible(scores)
            if self.order == "score":
                return self.scorer.top_rows(self.top_n, now=self.now, within=mask)
            if self.order == "suggested":
                known = set(self.labels) | self.library_ids
                listed = [i for i in self.suggested if i not in known]
            else:
                listed = self.found
            rows = self.row_of.get_indexer(listed)
            return rows[(rows >= 0) & mask[np.maximum(rows, 0)]][:self.top_n]

    def refresh(self) -> None:
        """Re-rank; keep the selected paper selected when it is still listed."""
        with self.lock:
            self.scores = self.scorer.scores(self.now)
            self.rows = self.ranked_rows(self.scores)
            self.shown_ids = list(self.ids[self.rows])
            if self.selected_id in self.shown_ids:
                self.position = self.shown_ids.index(self.selected_id)
            else:
                self.position = min(self.position, max(len(self.rows) - 1, 0))
            self.selected_id = self.shown_ids[self.position] if self.shown_ids else None

    def summary(self) -> str:
        """How many papers pass the filters and how many are labelled."""
        n_ok = int(self.eligible(self.scores).sum())
        return f"{n_ok} of {len(self.papers)} papers pass the filters; {len(self.labels)} labelled"

    # -- selection ---------------------------------------------------------------------------
    def select(self, position: int) -> None:
        """Select the listed paper at `position` (clamped to the list)."""
        with self.lock:
            if self.shown_ids:
                self.position = int(np.clip(position, 0, len(self.shown_ids) - 1))
                self.selected_id = self.shown_ids[self.position]

    def select_id(self, paper_id: str) -> None:
        """Select one paper (it need not be listed)."""
        if paper_id not in self.row_of:
            raise LitscopeError(f"no paper with id {paper_id!r} in this Explorer")
        with self.lock:
            self.selected_id = paper_id
            if paper_id in self.shown_ids:
                self.position = self.shown_ids.index(paper_id)

    def show(self, order: str, ids: list[str] | None = None) -> None:
        """List papers by `order` (`ORDERS`), with new suggestions or search results as
        `ids`, from the top; call `refresh()` to re-rank."""
        if order not in ORDERS:
            raise LitscopeError(f"order must be one of {', '.join(ORDERS)}, not {order!r}")
        with self.lock:
            if ids is not None:
                if order == "suggested":
                    self.suggested = list(ids)
                else:
                    self.found = list(ids)
                self.selected_id, self.position = None, 0
            self.order = order

    # -- labels, notes, tags -----------------------------------------------------------------
    def label(self, label: str | None, paper_id: str | None = None) -> str | None:
        """Label a paper (the selected one by default; None clears), written to the store at
        once; re-rank and, when it was the selected paper and is still listed, move on to
        the next. Returns the paper's id (None when nothing was selected)."""
        if label is not None and label not in LABELS:
            raise LitscopeError(f"label must be one of {', '.join(LABELS)} or None, not {label!r}")
        paper_id = paper_id or self.selected_id
        if paper_id is None:
            return None
        self.store.set_label(paper_id, label)
        with self.lock:
            if label is None:
                self.labels.pop(paper_id, None)
            else:
                self.labels[paper_id] = label
            if self.filters.label != "all":
                self._filter_mask = self._compute_filter()
            advance = paper_id == self.selected_id
            self.refresh()
            if advance and self.selected_id == paper_id:   # still listed: on to the next one
                self.select(self.position + 1)
        return paper_id

    def set_note(self, text: str) -> str | None:
        """Save the selected paper's note (empty removes it); returns its id."""
        paper_id = self.selected_id
        if paper_id is not None:
            self.store.set_note(paper_id, text)
            self.notes[paper_id] = text
        return paper_id

    def set_tags(self, tags: list[str]) -> str | None:
        """Give the selected paper these tags (saved to the store); returns its id."""
        paper_id = self.selected_id
        if paper_id is None:
            return None
        row = int(self.row_of.get_loc(paper_id))
        old = list(self.papers.at[row, "tags"])
        self.papers.at[row, "tags"] = self.store.tag(
            paper_id, add=[t for t in tags if t not in old], remove=[t for t in old if t not in tags])
        return paper_id

    # -- learning ----------------------------------------------------------------------------
    def up_to_date(self) -> bool:
        """Whether the latest fit knew the current labels."""
        return self.learned is not None and self.learned.labels == frozenset(self.labels.items())

    def take_learned(self, learned: Learned, strategy: str, n: int) -> None:
        """A fit landed: blend it into the ranking and remember its `n` suggestions, which
        leave out labelled papers and the library's (they are includes already)."""
        with self.lock:
            self.learned = learned
            self.scorer.set_learned(learned.proba)
            if learned.proba is not None:
                self.suggested = learned.suggestions(self.ids, set(self.labels) | self.library_ids,
                                                     strategy, n)

    # -- papers ------------------------------------------------------------------------------
    def rows_frame(self, rows: np.ndarray, columns: list[str] | None = None) -> pd.DataFrame:
        """The papers at `rows` (only `columns` when given); a store's taken chunk by chunk
        from its Arrow table (pandas would first join every chunk of each column: a copy of
        the corpus per redraw)."""
        rows = np.asarray(rows)
        if self._table is None:
            return self.papers.iloc[rows] if columns is None else self.papers[columns].iloc[rows]
        table = self._table if columns is None else self._table.select(columns)
        frame = take_rows(table, rows).to_pandas(types_mapper=pd.ArrowDtype)
        if "tags" in frame:
            frame["tags"] = self.papers["tags"].to_numpy()[rows]        # edited in this session
        return frame

    def paper(self, paper_id: str) -> pd.Series:
        """One paper's row."""
        row = int(self.row_of.get_loc(paper_id))
        return self.papers.iloc[row] if self._table is None else self.rows_frame(np.array([row])).iloc[0]
