"""The vectorised score engine against a per-paper loop of the profile's own regexes."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import litscope
from litscope.errors import ProfileError, ScoreError
from litscope.score.profile import FIELDS, Profile, Term, parse_profile
from litscope.schema import papers_frame
from litscope.score.engine import Scorer, explain, score

NOW = pd.Timestamp("2026-11-23", tz="UTC")


# -- the reference: what a score means, written as plainly as possible -----------------------
def _text(paper: pd.Series, field: str) -> str:
    value = paper.get(field)
    if field == "authors":
        return ", ".join(value) if isinstance(value, list) else ""
    return value if isinstance(value, str) else ""


def _count(term: Term, text: str) -> int:
    return sum(1 for m in term.regex.finditer(text) if m.end() > m.start())


def _tf(n: int, mode: str) -> float:
    return {"log": math.log2(1 + n), "linear": float(n), "binary": 1.0}[mode]


def reference(papers: pd.DataFrame, profile: Profile, now: pd.Timestamp = NOW,
              learned: dict[str, float] | None = None) -> pd.DataFrame:
    """Score and exclusion of every paper, one paper and one regex at a time."""
    rows = []
    for _, paper in papers.iterrows():
        base = 0.0
        for term in profile.terms:
            for field in term.applies_to():
                n = _count(term, _text(paper, field))
                if n:
                    base += getattr(profile.field_weights, field) * term.weight * _tf(n, profile.tf)
        people = {" ".join(a.split()).lower() for a in paper["authors"]}
        base += sum(b for name, b in profile.author_boosts.items()
                    if " ".join(name.split()).lower() in people)
        cats = set(paper["categories"]) | {paper["primary_category"]}
        base += sum(b for cat, b in profile.category_boosts.items() if cat in cats)
        published = paper["published"]
        age = (now - published) / pd.Timedelta(days=1) if pd.notna(published) else None
        if profile.half_life_days and age is not None:
            base *= 0.5 ** (max(age, 0.0) / profile.half_life_days)
        excluded = any(_count(t, _text(paper, f)) for t in profile.exclude for f in t.applies_to())
        excluded |= bool(profile.categories) and not cats & set(profile.categories)
        excluded |= profile.max_age_days is not None and age is not None and age > profile.max_age_days
        rows.append((paper["id"], base, excluded))
    out = pd.DataFrame(rows, columns=["id", "score", "excluded"])
    if learned is not None and profile.alpha > 0:
        kept = out.loc[~out["excluded"], "score"].abs()
        scale = kept.max() if len(kept) and kept.max() > 0 else 1.0
        out["score"] = (1 - profile.alpha) * out["score"] + \
            profile.alpha * scale * out["id"].map(learned)
    return out


def _papers(records: list[dict]) -> pd.DataFrame:
    return papers_frame([{"source": "test", **r} for r in records])


@pytest.fixture
def papers() -> pd.DataFrame:
    return _papers([
        {"id": "2601.00001", "title": "LLMs are fast", "abstract":
            "We train LLM models.\nThe llm’s efficiency; efficiencies abound. LLMA is not one.",
         "authors": ["Yann LeCun", "Ada Lovelace"], "categories": ["cs.CL"],
         "primary_category": "cs.CL", "published": "2026-11-01"},
        {"id": "2601.00002", "title": "Speculative-Decoding for fast inference",
         "abstract": "speculative\n  decoding speeds up inference (FP8, FP4).", "comment": "10 pages",
         "authors": ["C. D. Smith"], "categories": ["cs.LG", "cs.CL"],
         "primary_category": "cs.LG", "published": "2026-10-01"},
        {"id": "2601.00003", "title": "A survey of RL", "abstract": "RLHF and RL, fine tuning.",
         "authors": [], "categories": ["cs.AI"], "primary_category": "cs.AI",
         "published": "2026-11-20"},
        {"id": "2601.00004", "title": "Nothing to see", "abstract": None,
         "authors": ["yann  lecun"], "categories": ["math.OC"], "primary_category": "math.OC"},
    ])


PROFILE = """
terms:
  - LLM: 2
  - speculative decoding: 3
  - efficiency
  - RL
  - fine-tuning: 0.5
  - /FP[48]/: 0.5
  - {pattern: fast, weight: -1, fields: [title]}
exclude:
  - {pattern: survey, fields: [title]}
author_boosts: {Yann LeCun: 1.5}
category_boosts: {cs.LG: 0.25}
half_life_days: 30
"""


@pytest.fixture
def profile() -> Profile:
    return parse_profile(PROFILE)


def _assert_matches_reference(scorer: Scorer, papers: pd.DataFrame, now=NOW, learned=None) -> None:
    got = scorer.score(now=now).set_index("id")
    want = reference(papers, scorer.profile, now, learned).set_index("id")
    assert sorted(got.index) == sorted(want.index)
    np.testing.assert_allclose(got.loc[want.index, "score"], want["score"], rtol=1e-9, atol=1e-9)
    assert (got.loc[want.index, "excluded"].to_numpy() == want["excluded"].to_numpy()).all()
    for paper_id in want.index:
        assert scorer.explain(paper_id)["contribution"].sum() == \
            pytest.approx(got.loc[paper_id, "score"], rel=1e-9, abs=1e-9)


# -- matching semantics ----------------------------------------------------------------------
def _counts(pattern: str, texts: list[str], kind: str | None = None) -> list[int]:
    term = {"pattern": pattern, **({"kind": kind} if kind else {})}
    profile = Profile(terms=[term], tf="linear", field_weights={"title": 0, "comment": 0})
    df = _papers([{"id": f"p{i}", "title": "t", "abstract": t} for i, t in enumerate(texts)])
    result = Scorer(profile).fit(df).score(now=NOW).set_index("id")
    engine = [int(result.loc[f"p{i}", "score"]) for i in range(len(texts))]
    assert engine == [_count(profile.terms[0], t) for t in texts]   # the regex agrees
    return engine


def test_keyword_matches_whole_words_and_plurals():
    assert _counts("LLM", ["LLMs and llm", "LLM's", "(LLM)", "LLM-based", "LLM—based", "LLM_x",
                           "LLMA", "xLLM", "éLLM", "LLMes", "LLMss"]) == \
        [2, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0]


def test_keyword_plural_of_words_ending_in_y():
    assert _counts("efficiency", ["efficiencies", "Efficiency", "efficiencys", "efficienc"]) == \
        [1, 1, 0, 0]
    assert _counts("key", ["keys", "key", "kies"]) == [1, 1, 0]


def test_phrase_matches_across_whitespace_and_hyphens_only():
    assert _counts("speculative decoding", [
        "Speculative Decoding", "speculative-decoding", "speculative\n  decoding",
        "speculative\u00a0decoding", "speculative, decoding", "speculativedecoding",
        "speculative decodings", "speculative decodinga"]) == [1, 1, 1, 1, 0, 0, 1, 0]


def test_hyphenated_phrase_also_matches_written_together():
    assert _counts("fine-tuning", ["fine-tuning", "fine tuning", "finetuning", "Fine‑Tuning",
                                   "fine-tune"]) == [1, 1, 1, 1, 0]


def test_repeated_words_do_not_count_overlapping_matches():
    assert _counts("a a", ["a a a", "a a a a", "a-a a"]) == [1, 2, 1]


def test_regex_is_used_as_given_case_insensitively():
    assert _counts("FP[48]", ["fp8 and FP4", "FP16", "xfp8y"], kind="regex") == [2, 0, 1]


def test_regexes_of_whole_words_are_matched_as_tokens(monkeypatch):
    from litscope.score import engine
    monkeypatch.setattr(engine, "_count_regex", None)      # no per-paper regex run
    assert _counts(r"\befficien(t|tly|cy|cies)\b", ["Efficiency, efficiencies", "efficienc",
                                                       "inefficient", "ſ efficiently"],
                   kind="regex") == [2, 0, 0, 1]
    assert _counts(r"(?<!\w)fp[48](?!\w)", ["FP8 or fp4", "fp16"], kind="regex") == [2, 0]


def test_regex_prefilter_keeps_letters_that_case_fold_beyond_ascii():
    assert _counts("as", ["aſ", "AS", "a s"], kind="regex") == [1, 1, 0]   # long s
    assert _counts("id", ["ıd", "ID", "d"], kind="regex") == [1, 1, 0]     # dotless i


def test_punctuation_in_keywords():
    assert _counts("c++", ["c++ code", "C++", "c+"]) == [1, 1, 0]
    assert _counts("gpt-3.5", ["GPT-3.5", "gpt 3.5", "gpt-3,5", "gpt-3.55"]) == [1, 1, 0, 0]


@pytest.mark.slow
def test_case_folding_beyond_ascii_matches_like_re_ignorecase():
    assert _counts("state", ["ſtate", "STATE", "\u017fTATE", "ſtates"]) == [1, 1, 1, 1]   # long s
    assert _counts("kelvin", ["\u212aelvin", "KELVIN"]) == [1, 1]                      # Kelvin sign
    assert _counts("id", ["ıd", "İd", "ID"]) == [1, 1, 1]                          # dotless, dotted i
    assert _counts("σοφος", ["ΣΟΦΟΣ", "σοφοσ", "Σοφος"]) == [1, 1, 1]               # final sigma
    assert _counts("straße", ["STRASSE", "STRAẞE", "straßes"]) == [0, 1, 1]
    assert _counts("naïve bayes", ["NAÏVE-Bayes", "nai\u0308ve bayes"]) == [1, 0]  # a combining mark splits
    assert _counts("ι", ["\u0345", "Ι", "ι"]) == [1, 1, 1]      # iota takes the regex path


def test_words_are_cut_where_python_word_characters_end():
    assert _counts("llm", ["LLM’s", "LLM—based", "LLM\u00a0x", "xLLM", "LLMé", "LLM\u0301"]) == \
        [1, 1, 1, 0, 0, 1]
    assert _counts("speculative decoding", ["speculative\u00a0decoding", "speculative\u2010decoding",
                                            "speculative\u2014decoding", "speculative \u3000decoding"]) == \
        [1, 1, 0, 1]


# -- scores, ranks, explanations -------------------------------------------------------------
def test_scores_equal_reference_and_explanations_sum(papers, profile):
    scorer = Scorer(profile).fit(papers)
    _assert_matches_reference(scorer, papers)


def test_score_orders_by_rank_with_excluded_last(papers, profile):
    result = score(papers, profile, now=NOW)
    assert list(result.columns[-3:]) == ["score", "rank", "excluded"]
    kept = result[~result["excluded"]]
    assert list(kept["rank"]) == list(range(1, len(kept) + 1))
    assert kept["score"].is_monotonic_decreasing
    assert result["rank"][result["excluded"]].isna().all()
    assert result["excluded"].iloc[-1] and result["id"].iloc[-1] == "2601.00003"   # survey


def test_litscope_score_is_the_function(papers, profile):
    assert litscope.score(papers, profile, now=NOW)["id"].tolist() == \
        score(papers, profile, now=NOW)["id"].tolist()


def test_reweighting_equals_a_fresh_scorer(papers, profile):
    scorer = Scorer(profile).fit(papers)
    scorer.score(now=NOW)
    scorer.set_weight("LLM", -4)
    scorer.set_field_weight("title", 0.5)
    scorer.set_author_boost("Ada Lovelace", 3)
    scorer.set_author_boost("Yann LeCun", 0)
    scorer.set_category_boost("cs.AI", 1)
    assert scorer.profile.author_boosts == {"Ada Lovelace": 3}
    assert scorer.add_term({"inference": 2}) == "inference"
    scorer.remove_term("RL")
    _assert_matches_reference(scorer, papers)
    fresh = Scorer(scorer.profile).score(papers, now=NOW)
    np.testing.assert_allclose(scorer.score()["score"], fresh["score"])


def test_add_term_scans_only_the_new_term(papers, profile, monkeypatch):
    scorer = Scorer(profile).fit(papers)
    scanned = []
    original = scorer._count
    monkeypatch.setattr(scorer, "_count", lambda terms: scanned.append(list(terms)) or original(terms))
    scorer.add_term("inference")
    assert [[t.key for t in terms] for terms in scanned] == [["inference"]]
    assert scorer.counts_["title"].shape == (len(papers), len(profile.terms) + 1)


def test_top_is_the_head_of_score_and_respects_min_score(papers, profile):
    scorer = Scorer(profile).fit(papers)
    full = scorer.score(now=NOW)
    assert scorer.top(2)["id"].tolist() == full["id"].head(2).tolist()
    assert scorer.top(2)["rank"].tolist() == [1, 2]
    scorer.profile.min_score = float(full["score"].iloc[1])
    assert scorer.top(10)["id"].tolist() == full["id"].head(2).tolist()
    scorer.profile.min_score = 1e9
    assert scorer.top(10).empty


def test_top_breaks_ties_by_row_order():
    df = _papers([{"id": f"p{i}", "title": "LLM" if i % 2 else "x"} for i in range(10)])
    scorer = Scorer(Profile(terms=["LLM"])).fit(df)
    assert scorer.top(3)["id"].tolist() == ["p1", "p3", "p5"]
    assert scorer.top(7)["id"].tolist() == scorer.score()["id"].head(7).tolist()


def test_explain_lists_terms_boosts_recency_and_exclusions(papers, profile):
    scorer = Scorer(profile).fit(papers)
    table = scorer.explain("2601.00001", now=NOW)
    assert list(table.columns) == ["term", "field", "matches", "weight", "field_weight", "contribution"]
    llm = table[(table["term"] == "LLM") & (table["field"] == "abstract")].iloc[0]
    assert llm["matches"] == 2 and llm["contribution"] == pytest.approx(2 * math.log2(3))
    assert "author: Yann LeCun" in set(table["term"]) and "recency" in set(table["term"])
    assert table["contribution"].sum() == pytest.approx(table.attrs["score"])
    survey = scorer.explain("2601.00003")
    assert survey.attrs["excluded"] and "exclude: survey @title" in set(survey["term"])
    assert explain(papers, profile, "2601.00002", now=NOW)["contribution"].sum() == \
        pytest.approx(scorer.score(now=NOW).set_index("id").loc["2601.00002", "score"])


def test_learned_blend_ranks_like_the_normalised_mix(papers, profile):
    learned = {"2601.00001": 0.1, "2601.00002": 0.9, "2601.00004": 0.5}
    profile.alpha = 0.5
    scorer = Scorer(profile).fit(papers)
    result = scorer.score(now=NOW, learned=pd.Series(learned)).set_index("id")
    full = {**learned, "2601.00003": float(np.median(list(learned.values())))}
    want = reference(papers, profile, NOW, full).set_index("id")
    np.testing.assert_allclose(result.loc[want.index, "score"], want["score"])
    table = scorer.explain("2601.00002")
    assert "learned" in set(table["term"])
    assert table["contribution"].sum() == pytest.approx(result.loc["2601.00002", "score"])


def test_highlight_marks_matches_and_escapes_text():
    df = _papers([{"id": "x", "title": "t", "abstract": "<b>LLMs</b> & speculative\ndecoding"}])
    html = Scorer(Profile(terms=["LLM", "speculative decoding"])).fit(df).highlight("x")
    assert html == ('&lt;b&gt;<mark class="litscope-pos" title="LLM">LLMs</mark>&lt;/b&gt; &amp; '
                    '<mark class="litscope-pos" title="speculative decoding">speculative\n'
                    'decoding</mark>')


def test_arrow_table_input_gives_the_same_scores(papers, profile):
    table = pa.Table.from_pandas(papers[["id", "title", "abstract", "comment", "authors",
                                         "categories", "primary_category", "published"]])
    from_table = Scorer(profile).fit(table).score(now=NOW)
    from_frame = Scorer(profile).fit(papers).score(now=NOW)
    assert from_table["id"].tolist() == from_frame["id"].tolist()
    np.testing.assert_allclose(from_table["score"], from_frame["score"])


def test_read_papers_reads_a_parquet_folder_for_the_scorer(tmp_path, papers, profile):
    import pyarrow.parquet as pq
    from litscope.schema import to_arrow
    from litscope.score.engine import read_papers
    table = to_arrow(papers)
    pq.write_table(table.slice(0, 2), tmp_path / "a.parquet", row_group_size=1)
    pq.write_table(table.slice(2), tmp_path / "b.parquet")
    read = read_papers(tmp_path)
    assert read.column_names == ["id", "title", "abstract", "comment", "authors", "categories",
                                 "primary_category", "published"]
    assert read["id"].to_pylist() == papers["id"].tolist()
    from_file = Scorer(profile).fit(read).score(now=NOW)
    np.testing.assert_allclose(from_file["score"], score(papers, profile, now=NOW)["score"])
    assert isinstance(from_file["authors"].iloc[0], list)
    with pytest.raises(ScoreError, match="no Parquet file"):
        read_papers(tmp_path / "missing")


def test_score_of_a_path_hands_the_papers_read_to_the_frame(tmp_path, papers, profile):
    import pyarrow.parquet as pq
    from litscope.schema import to_arrow
    from litscope.score.engine import read_papers
    pq.write_table(to_arrow(papers), tmp_path / "papers.parquet", row_group_size=2)
    got = litscope.score(tmp_path / "papers.parquet", profile, now=NOW)
    want = Scorer(profile).fit(read_papers(tmp_path, None)).score(now=NOW)
    pd.testing.assert_frame_equal(got, want)
    assert "source" in got                       # every column of the file
    assert got["id"].tolist() == score(papers, profile, now=NOW)["id"].tolist()
    light = litscope.score(str(tmp_path), profile, now=NOW, columns=["id", "title"])
    assert list(light.columns) == ["id", "title", "score", "rank", "excluded"]
    scorer = Scorer(profile).fit(read_papers(tmp_path))
    scorer.score(now=NOW, hand_over=True)
    with pytest.raises(ScoreError, match="has not seen any papers"):
        scorer.top(3)                            # it gave its papers away
    assert scorer.profile.terms == profile.terms


def test_user_errors_name_what_is_wrong(papers, profile):
    scorer = Scorer(profile).fit(papers)
    with pytest.raises(ProfileError, match="no term 'nope'"):
        scorer.set_weight("nope", 1)
    with pytest.raises(ProfileError, match="must be a number"):
        scorer.set_weight("LLM", "high")
    with pytest.raises(ProfileError, match="appears twice"):
        scorer.add_term("llm")
    with pytest.raises(ProfileError, match="invalid regular expression"):
        scorer.add_term({"pattern": "FP[", "kind": "regex"})
    with pytest.raises(ProfileError, match="unknown field 'body'"):
        scorer.set_field_weight("body", 1)
    with pytest.raises(ScoreError, match="no paper with id 'nope'"):
        scorer.explain("nope")
    with pytest.raises(ScoreError, match="fit"):
        Scorer(profile).top()


@pytest.mark.slow
def test_scores_the_embedded_profiles_on_real_digests(seeds_dir):
    from litscope.score.profile import load_profile
    from pathlib import Path
    import re
    text = next(seeds_dir.glob("003_*")).read_text(encoding="utf-8")
    titles = re.findall(r"^# (.+?)\s*$", text, re.M)
    abstracts = re.findall(r"\*\*Abstract\*\*: (.+)", text)
    df = _papers([{"id": f"r{i}", "title": t, "abstract": a, "categories": ["cs.CL"],
                   "primary_category": "cs.CL"} for i, (t, a) in enumerate(zip(titles, abstracts))])
    root = Path(__file__).resolve().parents[1]
    for path in (root / "profile.yml", root / "profiles" / "example.yml"):
        scorer = Scorer(load_profile(path)).fit(df)
        _assert_matches_reference(scorer, df)
        assert scorer.score(now=NOW)["score"].iloc[0] > 0


# -- randomised profiles and corpora ---------------------------------------------------------
WORDS = ["llm", "LLMs", "LLMA", "llmes", "rl", "RLHF", "speculative", "Decoding", "decodings",
         "fine", "tuning", "finetuning", "efficiency", "Efficiencies", "a", "model", "naïve",
         "Über", "x_y", "fp8", "FP4", "c++", "中文", "αβ", "é", "ſtate", "STATE", "ΣΟΦΟΣ", "σοφος",
         "straße", "STRASSE", "ıd", "İD", "\u212aelvin", "e\u0301", "3.5"]
GAPS = [" ", " ", " ", "  ", "-", "\n", ", ", ". ", "’", "(", ")", "—", "\u00a0", "\u2010", "_",
        "/", "", "\u3000", "\u0345"]
PATTERNS = ["LLM", "rl", "RLHF", "speculative decoding", "fine-tuning", "efficiency", "a a",
            "c++", "naïve", "über", "x_y", "model a", "a-model", "decoding", "state", "σοφοσ",
            "Straße", "id", "kelvin", "gpt-3.5"]
REGEXES = [r"fp\d", r"l+m", r"\bRL\w*", r"[a-z]+ing", r"(?<!\w)a\b", r"\bfp[48]\b",
           r"\b(?:LLM|rl)(s|es)?(?!\w)", r"\bſtate\b", r"\bc\+\+"]
NAMES = ["Ada Lovelace", "Alan Turing", "Grace Hopper"]
CATS = ["cs.CL", "cs.LG", "cs.AI"]



@st.composite
def cases(draw: st.DrawFn) -> tuple[pd.DataFrame, Profile, list[str]]:
    """Papers written with a small palette of words and gaps, and a profile whose terms
    mostly come from the same palette, so that matches, near-misses, repeated words and odd
    separators are common. Also returns more patterns to add."""
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4, unique=True))
    gaps = draw(st.lists(st.sampled_from(GAPS), min_size=1, max_size=4, unique=True))
    text = st.lists(st.tuples(st.sampled_from(words), st.sampled_from(gaps)), max_size=12).map(
        lambda parts: "".join(w + g for w, g in parts))
    rows = draw(st.lists(st.fixed_dictionaries({
        "title": text, "abstract": text, "comment": st.one_of(st.none(), text),
        "authors": st.lists(st.sampled_from(NAMES + ["ada  LOVELACE"]), max_size=3, unique=True),
        "categories": st.lists(st.sampled_from(CATS), max_size=2, unique=True),
        "primary_category": st.sampled_from(CATS),
        "published": st.one_of(st.none(), st.dates(pd.Timestamp("2026-01-01").date(),
                                                   pd.Timestamp("2026-12-31").date())),
    }), min_size=1, max_size=10))
    palette = st.builds(lambda ws, joiner: joiner.join(ws),
                        st.lists(st.sampled_from(words), min_size=1, max_size=3),
                        st.sampled_from([" ", "-", " - "]))
    pattern = st.one_of(palette, palette, st.sampled_from(PATTERNS))
    weights = st.floats(-3, 3, allow_nan=False).map(lambda w: round(w, 2))
    fields = st.one_of(st.none(), st.lists(st.sampled_from(FIELDS), min_size=1, max_size=3,
                                           unique=True))
    literal = st.fixed_dictionaries({"pattern": pattern, "weight": weights, "fields": fields})
    regex = st.fixed_dictionaries({"pattern": st.sampled_from(REGEXES), "kind": st.just("regex"),
                                   "weight": weights, "fields": fields})
    unique = lambda t: (t["pattern"].casefold(), str(t["fields"]))  # noqa: E731
    profile = Profile(
        terms=draw(st.lists(st.one_of(literal, literal, regex), max_size=8, unique_by=unique)),
        field_weights=draw(st.fixed_dictionaries({f: st.sampled_from([0, 0.5, 1, 2]) for f in FIELDS})),
        tf=draw(st.sampled_from(["log", "linear", "binary"])),
        exclude=draw(st.lists(st.fixed_dictionaries({"pattern": pattern, "fields": fields}),
                              max_size=2, unique_by=unique)),
        author_boosts=draw(st.dictionaries(st.sampled_from(NAMES), weights, max_size=2)),
        category_boosts=draw(st.dictionaries(st.sampled_from(CATS), weights, max_size=2)),
        half_life_days=draw(st.one_of(st.none(), st.sampled_from([7.0, 60.0]))),
        categories=draw(st.one_of(st.just([]), st.lists(st.sampled_from(CATS), min_size=1,
                                                         max_size=2, unique=True))),
        max_age_days=draw(st.one_of(st.none(), st.just(200.0))),
        alpha=draw(st.sampled_from([0.0, 0.3])),
    )
    papers = _papers([{"id": f"p{i}", **r} for i, r in enumerate(rows)])
    return papers, profile, draw(st.lists(pattern, max_size=4))


@pytest.mark.slow
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.data())
def test_vectorised_scores_equal_the_reference(case, data):
    papers, profile, _ = case
    learned = {i: data.draw(st.floats(0, 1)) for i in papers["id"]}
    scorer = Scorer(profile).fit(papers)
    scorer.set_learned(pd.Series(learned))
    _assert_matches_reference(scorer, papers, learned=learned)


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.lists(st.tuples(st.sampled_from(["weight", "add", "remove", "field"]),
                                   st.integers(0, 20), st.floats(-3, 3)), max_size=6))
def test_edits_keep_scores_equal_to_the_reference(case, edits):
    papers, profile, more = case
    scorer = Scorer(profile).fit(papers)
    for action, pick, value in edits:
        keys = [t.key for t in scorer.profile.terms]
        if action == "weight" and keys:
            scorer.set_weight(keys[pick % len(keys)], value)
        elif action == "remove" and keys:
            scorer.remove_term(keys[pick % len(keys)])
        elif action == "field":
            scorer.set_field_weight(FIELDS[pick % len(FIELDS)], abs(value))
        elif action == "add" and more:
            candidate = Term.model_validate({more[pick % len(more)]: value})
            if candidate.key.casefold() not in {k.casefold() for k in keys}:
                scorer.add_term(candidate)
    _assert_matches_reference(scorer, papers)


@pytest.mark.slow
def test_cli_score_lists_explains_and_writes(tmp_path, capsys, monkeypatch, papers):
    from litscope.cli import main
    from litscope.store import Store
    monkeypatch.chdir(tmp_path)
    (tmp_path / "litscope.yml").write_text("title: test\n")
    (tmp_path / "profile.yml").write_text(PROFILE + "min_score: 0\n")
    Store(tmp_path / "data").add_papers(papers)
    assert main(["score", "--top", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    best = Scorer(parse_profile(PROFILE)).score(papers)["id"].head(2).tolist()
    assert [line.split()[0] for line in lines[1:3]] == ["1", "2"]
    assert all(paper_id in text for paper_id, text in zip(best, lines[1:3]))
    assert lines[-1].startswith("Read the store in ") and ", scored in " in lines[-1]
    assert main(["score", "--explain", "2601.00002"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2601.00002: score") and "speculative decoding" in out
    capsys.readouterr()
    assert main(["score", "--out", "scored.parquet", "--top", "2"]) == 0
    listed = capsys.readouterr().out.splitlines()   # the papers handed to the file, still listed
    assert listed[0].startswith("Wrote 4 scored papers") and listed[2].split()[0] == "1"
    assert listed[-2].startswith("2 of 4 papers listed")
    written = pd.read_parquet(tmp_path / "scored.parquet")
    assert len(written) == len(papers) and {"score", "rank", "excluded"} <= set(written.columns)
    assert written["id"].tolist() == Scorer(parse_profile(PROFILE + "min_score: 0\n")).score(papers)["id"].tolist()
    assert main(["score", "--out", "scored.csv"]) == 0
    assert pd.read_csv(tmp_path / "scored.csv")["id"].tolist() == ["arXiv:" + i for i in written["id"]]
    capsys.readouterr()
    assert main(["score", "--explain", "nope"]) == 2
    assert "no paper with id 'nope'" in capsys.readouterr().err
    assert main(["score", "--profile", "missing.yml"]) == 2
    assert "missing.yml: cannot read the profile" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_score_blends_the_learned_model_when_the_profile_has_alpha(sample_store, tmp_path,
                                                                       capsys, monkeypatch):
    from litscope.cli import main
    monkeypatch.chdir(tmp_path)
    (tmp_path / "litscope.yml").write_text("title: test\n")
    keywords = "terms:\n  - agent: 1\nmin_score: 0\n"
    (tmp_path / "profile.yml").write_text(keywords + "alpha: 0.8\n")
    assert main(["score", "--top", "10"]) == 0
    assert "alpha 0.8 has no effect yet" in capsys.readouterr().err      # no labels yet
    papers = sample_store.papers()
    pretraining = papers.loc[papers["subtopic"] == "LLM 预训练", "id"].tolist()
    for paper_id in pretraining[:8]:
        sample_store.set_label(paper_id, "include")
    for paper_id in papers.loc[papers["subtopic"] == "Agent 与工具使用", "id"][:8]:
        sample_store.set_label(paper_id, "exclude")
    assert main(["score", "--top", "8", "--out", "blended.parquet"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("alpha 0.8: blending in a model learned from 8 includes and 8 excludes")
    lines = out.splitlines()
    table = lines[lines.index(next(line for line in lines if line.startswith("#"))) + 1:][:8]
    top = {line.split()[4] for line in table}
    assert top <= set(pretraining) and len(top & set(pretraining[:8])) >= 6   # includes and their kind first
    (tmp_path / "profile.yml").write_text(keywords)
    assert main(["score", "--out", "keywords.parquet"]) == 0
    rank = {name: pd.read_parquet(tmp_path / f"{name}.parquet").set_index("id")["rank"]
            for name in ("blended", "keywords")}
    unlabelled = pretraining[8:]                       # the labels pull up papers of their kind
    assert rank["blended"][unlabelled].median() < rank["keywords"][unlabelled].median() / 2
