"""Topics: put papers in topics three ways.

- `assign_taxonomy`: rules a person writes — a YAML taxonomy (topic → subtopics → keywords
  and example titles), explainable by the keywords that matched;
- `TopicSuggester`: learned from papers a person already put in topics (tf-idf + a linear
  classifier, scikit-learn style), suggesting topics for the rest with a confidence;
- `cluster_topics`: unsupervised clusters (tf-idf + NMF or k-means) labelled by their top
  terms, for a first look at a corpus nobody has sorted yet.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

import ahocorasick_rs
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sklearn.calibration import CalibratedClassifierCV
from sklearn.cluster import KMeans
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

from ..config import load_yaml_model
from ..errors import CurateError
from ..schema import SUMMARY_FIELDS, conform_papers, missing, normalize_text

__all__ = ["Taxonomy", "load_taxonomy", "assign_taxonomy", "TopicSuggester", "suggest_topics",
           "topic_changes", "topic_counts", "cluster_topics", "paper_documents"]

#: Where keywords count, and how much: a keyword in the title says more than one in a summary.
FIELD_WEIGHTS = {"title": 3.0, "tags": 2.0, "abstract": 1.0, "title_zh": 3.0, "abstract_zh": 1.0,
                 **{f: 1.0 for f in (*SUMMARY_FIELDS, "summary")}}


# -- taxonomy files -----------------------------------------------------------------------------
class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Subtopic(_Model):
    """A subtopic: keywords (phrases) and example titles of papers that belong to it."""
    keywords: list[str] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)


class Topic(_Model):
    """A topic: its own keywords count towards each of its subtopics."""
    keywords: list[str] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)
    subtopics: dict[str, Subtopic] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _has_evidence(self) -> "Topic":
        for name, sub in self.subtopics.items():
            if not sub.keywords and not sub.examples:
                raise ValueError(f"subtopic {name!r} needs keywords or examples")
        if not self.subtopics and not self.keywords and not self.examples:
            raise ValueError("a topic without subtopics needs keywords or examples")
        return self


class Taxonomy(_Model):
    """The contents of a taxonomy file."""
    name: str | None = None
    min_score: float = Field(2.0, ge=0)
    example_weight: float = Field(6.0, ge=0)   # score of a paper identical to an example
    topics: dict[str, Topic] = Field(min_length=1)

    def leaves(self) -> list[tuple[str, str | None, list[str], list[str]]]:
        """(topic, subtopic, keywords, examples) for every place a paper can go."""
        out = []
        for name, topic in self.topics.items():
            subs = topic.subtopics or {None: Subtopic()}
            for sub_name, sub in subs.items():
                out.append((name, sub_name, [*topic.keywords, *sub.keywords],
                            [*topic.examples, *sub.examples]))
        return out


def load_taxonomy(path: str | Path) -> Taxonomy:
    """Read and validate a taxonomy YAML file; errors name the file and the field."""
    return load_yaml_model(path, Taxonomy, CurateError, "a mapping with a 'topics:' key")


# -- rule-based assignment --------------------------------------------------------------------
class _KeywordMatcher:
    """All keywords of a taxonomy in one Aho-Corasick automaton over normalised text.

    Latin keywords match at the start of a word ("quantiz" finds "quantization", "RL" does
    not fire inside "world"); Chinese keywords match anywhere, as Chinese has no spaces.
    """

    def __init__(self, keywords_per_leaf: list[list[str]]):
        self.patterns: list[str] = []
        self.owners: list[set[int]] = []
        index: dict[str, int] = {}
        for leaf, keywords in enumerate(keywords_per_leaf):
            for keyword in keywords:
                pattern = normalize_text(keyword)
                if not pattern:
                    continue
                if pattern not in index:
                    index[pattern] = len(self.patterns)
                    self.patterns.append(pattern)
                    self.owners.append(set())
                self.owners[index[pattern]].add(leaf)
        self._automaton = ahocorasick_rs.AhoCorasick(self.patterns or ["\0"])

    def find(self, text: str) -> set[int]:
        """Indexes of the patterns found in `text` (already normalised)."""
        found = set()
        for pattern, start, _ in self._automaton.find_matches_as_indexes(text, overlapping=True):
            if start == 0 or text[start - 1] == " " or not self.patterns[pattern][0].isascii():
                found.add(pattern)
        return found


def _field_text(value: object) -> str:
    if isinstance(value, list):
        return " | ".join(value)
    return "" if missing(value) else str(value)


def paper_documents(papers: pd.DataFrame) -> list[str]:
    """One text per paper for tf-idf: title (when not made up from the abstract), tags and
    abstract — the parts every source gives in English."""
    docs = []
    for title, derived, tags, abstract in zip(papers["title"], papers["title_derived"],
                                              papers["tags"], papers["abstract"]):
        parts = [] if derived else [_field_text(title)]
        docs.append(" ".join([*parts, _field_text(tags), _field_text(abstract)]))
    return docs


def assign_taxonomy(papers: pd.DataFrame, taxonomy: Taxonomy | str | Path, *,
                    overwrite: bool = False) -> pd.DataFrame:
    """Set `topic`/`subtopic` from a taxonomy; adds `topic_score` and `topic_matches`.

    A paper's score for a subtopic is the weighted count of its keywords found in the
    paper's fields (`FIELD_WEIGHTS`) plus ``example_weight`` × the tf-idf cosine to its
    nearest example. The best subtopic wins if it scores at least ``min_score``. Papers that
    already have a topic keep it unless `overwrite`.
    """
    papers = conform_papers(papers)
    if not isinstance(taxonomy, Taxonomy):
        taxonomy = load_taxonomy(taxonomy)
    leaves = taxonomy.leaves()
    scores = _keyword_scores(papers, _KeywordMatcher([kw for _, _, kw, _ in leaves]), len(leaves))
    keyword_scores, matches = scores
    total = keyword_scores + taxonomy.example_weight * _example_similarity(papers, leaves)
    out = papers.copy()
    best = total.argmax(axis=1)
    best_score = total[np.arange(len(out)), best]
    take = (best_score >= taxonomy.min_score) & (overwrite | out["topic"].isna().to_numpy())
    out["topic_score"] = np.round(best_score, 3)
    out["topic_matches"] = [matches[i][b] for i, b in enumerate(best)]
    out.loc[take, "topic"] = [leaves[b][0] for b in best[take]]
    out.loc[take, "subtopic"] = pd.array([leaves[b][1] for b in best[take]], dtype="string")
    return out


def _keyword_scores(papers: pd.DataFrame, matcher: _KeywordMatcher,
                    n_leaves: int) -> tuple[np.ndarray, list[list[list[str]]]]:
    """Weighted keyword counts (papers × leaves) and, per paper and leaf, the keywords found."""
    scores = np.zeros((len(papers), n_leaves))
    matches: list[list[list[str]]] = [[[] for _ in range(n_leaves)] for _ in range(len(papers))]
    for field, weight in FIELD_WEIGHTS.items():
        if field == "title":
            texts = [None if derived else t for t, derived in zip(papers["title"], papers["title_derived"])]
        else:
            texts = papers[field].tolist()
        for row, value in enumerate(texts):
            text = normalize_text(_field_text(value))
            if not text:
                continue
            for pattern in matcher.find(text):
                for leaf in matcher.owners[pattern]:
                    scores[row, leaf] += weight
                    if matcher.patterns[pattern] not in matches[row][leaf]:
                        matches[row][leaf].append(matcher.patterns[pattern])
    return scores, matches


def _example_similarity(papers: pd.DataFrame, leaves: list) -> np.ndarray:
    """Cosine (tf-idf) of each paper to the nearest example of each leaf."""
    sims = np.zeros((len(papers), len(leaves)))
    examples = [(leaf, text) for leaf, (_, _, _, texts) in enumerate(leaves) for text in texts]
    if not examples:
        return sims
    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True)
    docs = paper_documents(papers)
    matrix = vectorizer.fit_transform([*docs, *(text for _, text in examples)])
    cos = (matrix[:len(docs)] @ matrix[len(docs):].T).toarray()
    for column, (leaf, _) in enumerate(examples):
        sims[:, leaf] = np.maximum(sims[:, leaf], cos[:, column])
    return sims


# -- learned assignment -------------------------------------------------------------------------
def _vectorizer(min_df: int = 1) -> TfidfVectorizer:
    return TfidfVectorizer(stop_words="english", sublinear_tf=True, ngram_range=(1, 2),
                           min_df=min_df, max_df=0.5, strip_accents="unicode")


class TopicSuggester:
    """Suggest topics for unsorted papers, learned from papers already in topics.

    ``model`` is ``"logreg"`` (logistic regression, the default: best macro-F1 on the ICLR
    topic digest, see benchmarks/RESULTS.md) or ``"svm"`` (a linear SVM with sigmoid
    calibration). The target is the subtopic where a paper has one, else its topic.
    """

    name = "topic-suggester"
    MODELS = ("logreg", "svm")

    def __init__(self, model: Literal["logreg", "svm"] = "logreg", *, C: float = 10.0,
                 random_state: int = 0):
        if model not in self.MODELS:
            raise CurateError(f"model must be one of {', '.join(self.MODELS)}, not {model!r}")
        if C <= 0:
            raise CurateError(f"C must be positive, not {C!r}")
        self.model = model
        self.C = C
        self.random_state = random_state

    def __repr__(self) -> str:
        return f"TopicSuggester(model={self.model!r}, C={self.C})"

    def _classifier(self, smallest_class: int):
        if self.model == "logreg":
            return LogisticRegression(C=self.C, max_iter=2000, class_weight="balanced")
        return CalibratedClassifierCV(LinearSVC(C=self.C / 10, class_weight="balanced",
                                                random_state=self.random_state),
                                      cv=min(3, smallest_class), method="sigmoid")

    def fit(self, papers: pd.DataFrame) -> "TopicSuggester":
        """Learn from the papers that have a topic; the others are ignored."""
        papers = conform_papers(papers)
        known = papers[papers["topic"].notna()]
        keys = list(zip(known["topic"], known["subtopic"].astype(object).where(known["subtopic"].notna(), None)))
        counts = pd.Series(keys, dtype=object).value_counts()
        if len(counts) < 2:
            raise CurateError(f"papers: need papers in at least two topics to learn from, found "
                              f"{len(counts)} topic(s) among {len(known)} sorted paper(s)")
        if self.model == "svm" and counts.min() < 2:
            raise CurateError(f"papers: topic {_label(counts.index[-1])!r} has one paper; the "
                              f"'svm' model needs two per topic (or use model='logreg')")
        self.classes_ = list(counts.sort_index().index)
        index = {key: i for i, key in enumerate(self.classes_)}
        self.pipeline_: Pipeline = make_pipeline(_vectorizer(min_df=2 if len(known) > 200 else 1),
                                                 self._classifier(int(counts.min())))
        self.pipeline_.fit(paper_documents(known), [index[k] for k in keys])
        return self

    def predict_proba(self, papers: pd.DataFrame) -> pd.DataFrame:
        """Probability of each topic per paper (columns ``"topic / subtopic"``)."""
        if not hasattr(self, "pipeline_"):
            raise CurateError("this TopicSuggester is not fitted yet: call fit(papers) first")
        proba = self.pipeline_.predict_proba(paper_documents(papers))
        full = np.zeros((len(papers), len(self.classes_)))
        full[:, self.pipeline_.classes_] = proba
        return pd.DataFrame(full, index=papers.index, columns=[_label(k) for k in self.classes_])

    def predict(self, papers: pd.DataFrame) -> pd.DataFrame:
        """The most likely topic per paper: columns ``suggested_topic``,
        ``suggested_subtopic`` and ``confidence`` (its probability), indexed like `papers`."""
        proba = self.predict_proba(papers).to_numpy()
        best = proba.argmax(axis=1)
        return pd.DataFrame({
            "suggested_topic": pd.array([self.classes_[b][0] for b in best], dtype="string"),
            "suggested_subtopic": pd.array([self.classes_[b][1] for b in best], dtype="string"),
            "confidence": proba[np.arange(len(best)), best],
        }, index=papers.index)


def _label(key: tuple[str, str | None]) -> str:
    topic, subtopic = key
    return f"{topic} / {subtopic}" if subtopic else topic


def suggest_topics(papers: pd.DataFrame, min_confidence: float = 0.5, *,
                   suggester: TopicSuggester | None = None) -> pd.DataFrame:
    """The papers without a topic that a `TopicSuggester` fitted on the papers with one
    places at least `min_confidence` sure, with that topic and subtopic set;
    ``attrs["unsure"]`` counts the papers left unsorted."""
    unsorted = papers[papers["topic"].isna()]
    if unsorted.empty:
        unsorted.attrs["unsure"] = 0
        return unsorted
    suggested = (suggester or TopicSuggester()).fit(papers).predict(unsorted)
    sure = suggested[suggested["confidence"] >= min_confidence]
    changed = unsorted.loc[sure.index].assign(topic=sure["suggested_topic"],
                                              subtopic=sure["suggested_subtopic"])
    changed.attrs["unsure"] = len(unsorted) - len(sure)
    return changed


# -- what changes -------------------------------------------------------------------------------
def topic_changes(papers: pd.DataFrame, assigned: pd.DataFrame) -> pd.DataFrame:
    """The rows of `assigned` (`papers` with topics set) whose topic or subtopic differ."""
    def differs(column: str) -> pd.Series:
        return assigned[column].astype(object).fillna("") != papers[column].astype(object).fillna("")
    return assigned[differs("topic") | differs("subtopic")]


def topic_counts(papers: pd.DataFrame) -> pd.Series:
    """How many of `papers` each (topic, subtopic) holds, most first; "-" for no subtopic."""
    return papers.assign(subtopic=papers["subtopic"].astype(object).fillna("-")) \
        .groupby(["topic", "subtopic"], dropna=False).size().sort_values(ascending=False)


# -- clustering ---------------------------------------------------------------------------------
def cluster_topics(papers: pd.DataFrame, k: int = 8, *, method: Literal["nmf", "kmeans"] = "nmf",
                   n_terms: int = 4, random_state: int = 0) -> pd.DataFrame:
    """Group papers into `k` clusters for a first look; adds `cluster` (0..k-1) and
    `cluster_label` (the cluster's top terms, e.g. ``"quantization, kv cache, ..."``)."""
    papers = conform_papers(papers)
    if method not in ("nmf", "kmeans"):
        raise CurateError(f"method must be 'nmf' or 'kmeans', not {method!r}")
    if not 2 <= k <= len(papers):
        raise CurateError(f"k must be between 2 and the number of papers ({len(papers)}), not {k}")
    vectorizer = _vectorizer(min_df=2 if len(papers) > 200 else 1)
    matrix = vectorizer.fit_transform(paper_documents(papers))
    if method == "nmf":
        model = NMF(n_components=k, init="nndsvda", random_state=random_state, max_iter=400)
        weights = model.fit_transform(matrix)
        clusters, centers = weights.argmax(axis=1), model.components_
    else:
        model = KMeans(n_clusters=k, n_init=10, random_state=random_state)
        clusters, centers = model.fit_predict(normalize(matrix)), model.cluster_centers_
    terms = vectorizer.get_feature_names_out()
    labels = [", ".join(_top_terms(terms[np.argsort(center)[::-1]], n_terms)) for center in centers]
    out = papers.copy()
    out["cluster"] = pd.array(clusters, dtype="Int64")
    out["cluster_label"] = pd.array([labels[c] for c in clusters], dtype="string")
    return out


def _top_terms(ranked: "np.ndarray", n: int) -> list[str]:
    """The first `n` distinct terms: a bigram replaces the unigram it contains ("test time"
    for "test" and "time"), so labels do not repeat themselves."""
    chosen: list[str] = []
    for term in ranked:
        words = set(term.split())
        if any(words <= set(c.split()) for c in chosen):
            continue
        chosen = [c for c in chosen if not set(c.split()) <= words] + [term]
        if len(chosen) == n:
            break
    return chosen
