"""Profiles: shorthand terms, errors that name the field and line, round trips, bot import."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from litscope.cli import main
from litscope.errors import ProfileError
from litscope.score.profile import (Profile, Shape, Term, dump_profile, import_bot_config, load_profile,
                              parse_profile, save_profile, term_key)

REPO = Path(__file__).resolve().parents[1]
BOT_CONFIG = Path(__file__).parent / "fixtures" / "arxiv_rss_bot_config.json"


def test_shipped_profiles_are_valid():
    example = load_profile(REPO / "profiles" / "example.yml")
    project = load_profile(REPO / "profile.yml")
    bot = json.loads(BOT_CONFIG.read_text())
    for keyword in bot["keywords"]:   # every keyword of the bot is a term of the example
        assert any(t.regex.fullmatch(keyword) for t in example.terms), keyword
    assert example.categories == bot["categories"]
    assert project.terms and project.exclude


def test_terms_can_be_written_compactly():
    profile = parse_profile("""
terms:
  - LLM
  - speculative decoding: 3
  - /FP(4|8)/: 1.5
  - {pattern: survey, weight: -2, fields: [title]}
  - {pattern: RL, kind: phrase}
""")
    got = [(t.key, t.kind, t.weight, t.fields) for t in profile.terms]
    assert got == [("LLM", "keyword", 1.0, None),
                   ("speculative decoding", "phrase", 3.0, None),
                   ("/FP(4|8)/", "regex", 1.5, None),
                   ("survey @title", "keyword", -2.0, ("title",)),
                   ("RL", "phrase", 1.0, None)]
    assert profile.terms[0].applies_to() == ("title", "abstract", "comment")
    assert term_key(profile.terms[3]) == profile.terms[3].key == "survey @title"


def test_shape_and_regex_say_what_a_term_matches():
    assert Shape.parse("Fine-tuning  LLMs") == Shape(("fine", "tuning", "llms"), (False, True),
                                                     ("", "s", "es"))
    assert Shape.parse("efficiency").suffixes == ("y", "ies")
    assert Shape.parse("FP8").suffixes == ("",)
    regex = Term.model_validate("LLM").regex
    assert [m.group() for m in regex.finditer("LLMs, LLMA, llm-based, xLLM")] == ["LLMs", "llm"]


@pytest.mark.parametrize("text, message", [
    ("terms:\n  - LLM\n  - {pattern: 'FP[', kind: regex}\n",
     "line 3: field 'terms[1]': invalid regular expression /FP[/"),
    ("terms:\n  - LLM: high\n", "line 2: field 'terms[0].weight': Input should be a valid number"),
    ("field_weights:\n  title: 2\n  titel: 1\n", "line 3: field 'field_weights.titel': unknown field"),
    ("name: x\nterm:\n  - LLM\n", "line 2: field 'term': unknown field"),
    ("terms:\n  - {pattern: x, fields: [body]}\n", "line 2: field 'terms[0].fields[0]'"),
    ("terms:\n  - LLM\n  - llm\n", "line 3: field 'terms[1]': term 'llm' appears twice"),
    ("exclude:\n  - survey: 2\n", "line 2: field 'exclude[0]': exclude term 'survey' has a weight"),
    ("terms:\n  - '--'\n", "line 2: field 'terms[0]': pattern '--' has no words"),
    ("terms:\n  - /a*/\n", "matches empty text"),
    ("categories: [cs.CL, 'CS CL']\n", "line 1: field 'categories'"),
    ("half_life_days: -3\n", "line 1: field 'half_life_days': Input should be greater than 0"),
    ("terms:\n  - a\n  b: [\n", "line 3"),
    ("- just a list\n", "expected a mapping"),
])
def test_errors_name_the_field_and_the_line(tmp_path, text, message):
    path = tmp_path / "profile.yml"
    path.write_text(text)
    with pytest.raises(ProfileError) as error:
        load_profile(path)
    assert str(error.value).startswith(str(path)) and message in str(error.value)


def test_missing_profile_says_how_to_make_one(tmp_path):
    with pytest.raises(ProfileError, match="cannot read the profile.*litscope init"):
        load_profile(tmp_path / "nope.yml")


def test_save_keeps_comments_and_layout(tmp_path):
    path = tmp_path / "profile.yml"
    path.write_text("""# my review
terms:
  - LLM: 2          # the main thing
  - agent           # plain
  # generic words
  - {pattern: survey, weight: -2, fields: [title]}  # push down
field_weights:
  title: 3          # titles matter
alpha: 0.3          # blend
""")
    profile = load_profile(path)
    profile.terms = [t.model_copy(update={"weight": w}) for t, w in zip(profile.terms, [5, 2, -1])]
    profile.terms.append(Term.model_validate({"KV cache": 2.5}))
    profile.field_weights.abstract = 0.5
    profile.alpha = 0.0
    save_profile(profile, path)
    assert path.read_text() == """# my review
terms:
  - LLM: 5          # the main thing
  - agent: 2  # plain
  # generic words
  - {pattern: survey, weight: -1, fields: [title]}  # push down
  - KV cache: 2.5
field_weights:
  title: 3          # titles matter
  abstract: 0.5
alpha: 0.0          # blend
"""
    assert load_profile(path) == profile
    del profile.terms[1]
    save_profile(profile, path)
    assert [t.key for t in load_profile(path).terms] == ["LLM", "survey @title", "KV cache"]
    assert "# the main thing" in path.read_text()


def test_dump_of_a_new_profile_round_trips():
    profile = Profile(terms=["LLM", {"pattern": "a/b", "weight": 2}, {"pattern": "x y", "kind": "keyword"}],
                      author_boosts={"Ada Lovelace": 1}, half_life_days=14)
    text = dump_profile(profile)
    assert text.startswith("# litscope scoring profile")
    assert parse_profile(text) == profile
    assert "field_weights" not in text   # defaults stay out


def test_import_bot_config():
    profile = import_bot_config(BOT_CONFIG)
    assert [t.pattern for t in profile.terms][:3] == ["LLM", "RL", "RLHF"]
    assert len(profile.terms) == 30 and all(t.fields == ("title", "abstract") for t in profile.terms)
    assert [t.key for t in profile.exclude] == ["survey @title,abstract", "review @title,abstract",
                                                "tutorial @title,abstract"]
    assert (profile.tf, profile.top_n, profile.max_age_days, profile.min_score) == ("binary", 30, 7, 2.5)
    assert (profile.field_weights.title, profile.field_weights.abstract) == (1.5, 1.0)
    assert profile.categories == ["cs.AI", "cs.CL", "cs.DC", "cs.LG"]


@pytest.mark.parametrize("text, message", [
    ('{"keywords": ["LLM",\n "RL" "x"]}', "line 2: invalid JSON"),
    ('{"keywords": "LLM"}', "field 'keywords' must be a list of strings"),
    ('{"keywords": ["LLM"], "days_back": "7"}', "field 'days_back' must be a number"),
    ('{"categories": ["not a category"]}', "categories"),
])
def test_import_bot_config_errors(tmp_path, text, message):
    path = tmp_path / "config.json"
    path.write_text(text)
    with pytest.raises(ProfileError, match=message):
        import_bot_config(path)


def test_cli_profile_import_bot_and_check(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "profile.yml"
    assert main(["profile", "import-bot", str(BOT_CONFIG), "--out", str(out)]) == 0
    assert load_profile(out) == import_bot_config(BOT_CONFIG)
    assert main(["profile", "import-bot", str(BOT_CONFIG), "--out", str(out)]) == 2
    assert "exists already" in capsys.readouterr().err
    assert main(["profile", "check", str(out)]) == 0
    assert "OK (30 terms, 3 excludes)" in capsys.readouterr().out
    out.write_text("terms:\n  - LLM: lots\n")
    assert main(["profile", "check", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "line 2: field 'terms[0].weight'" in err


def test_a_byte_that_is_not_utf8_is_named_in_one_line(tmp_path, capsys):
    path = tmp_path / "profile.yml"
    path.write_bytes(b"terms:\n  - caf\xe9: 2\n")
    with pytest.raises(ProfileError) as error:
        load_profile(path)
    assert str(error.value) == f"{path}: not UTF-8 text (line 2, byte offset 14: 0xe9); save it as UTF-8"
    assert main(["profile", "check", str(path)]) == 2
    assert capsys.readouterr().err == f"litscope: error: {error.value}\n"
    bot = tmp_path / "config.json"
    bot.write_bytes(b'{"keywords": ["caf\xe9"]}')
    with pytest.raises(ProfileError, match="config.json: not UTF-8 text"):
        import_bot_config(bot)


@pytest.mark.parametrize("text", ["", "# terms to come\n", "name: mine\nexclude: [survey]\nhalf_life_days: 7\n"])
def test_a_profile_that_scores_nothing_is_an_error_unless_allowed(tmp_path, capsys, caplog, text):
    path = tmp_path / "profile.yml"
    path.write_text(text)
    with pytest.raises(ProfileError, match=r"profile.yml: the profile has no terms, author or category "
                                           r"boosts: every paper scores 0; add terms .* --allow-empty"):
        load_profile(path)
    assert load_profile(path, allow_empty=True).is_empty
    assert "every paper scores 0" in caplog.text
    capsys.readouterr()
    assert main(["profile", "check", str(path)]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert main(["profile", "check", str(path), "--allow-empty"]) == 0
    out, err = capsys.readouterr()
    assert out == f"{path}: OK (0 terms, {text.count('survey')} excludes); it is empty: every paper scores 0\n"
    assert err == (f"litscope: warning: {path}: the profile has no terms, author or category boosts: "
                   f"every paper scores 0\n")
    for boost in ("author_boosts: {Ann Lee: 1}", "category_boosts: {cs.CL: 1}", "alpha: 0.5"):
        assert not parse_profile(boost).is_empty


def test_score_with_an_empty_profile_needs_allow_empty(tmp_path, capsys):
    from litscope.sample import load_sample
    from litscope.store import Store
    Store(tmp_path / "data").add_papers(load_sample().head(3))
    (tmp_path / "empty.yml").write_text("")
    args = ["score", "--data", str(tmp_path / "data"), "--profile", str(tmp_path / "empty.yml")]
    assert main(args) == 2 and "every paper scores 0" in capsys.readouterr().err
    assert main([*args, "--allow-empty"]) == 0
    assert "3 of 3 papers listed" in capsys.readouterr().out
