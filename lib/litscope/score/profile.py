"""Scoring profiles: readable YAML that says which terms matter, where, and how much.

A profile lists weighted terms (keywords, phrases or regular expressions), per-field
weights, hard excludes, author and category boosts, a recency half-life and a minimum
score. Terms are written the way a person thinks of them::

    terms:
      - LLM: 2                      # keyword: matches "LLM", "LLMs", "llm" but not "LLMA"
      - speculative decoding: 3     # phrase: also "speculative-decoding", across line breaks
      - /FP(4|8)/: 1.5              # regular expression (Python syntax, case-insensitive)
      - {pattern: survey, weight: -2, fields: [title]}

Matching is case-insensitive and whole-word: a match may not be preceded or followed by a
letter, digit or underscore. The last word of a keyword or phrase also matches its plural
("LLMs", "approaches", "efficiencies"). Words written with spaces match across any run of
whitespace or hyphens; words written with a hyphen also match written together
("fine-tuning" matches "fine tuning" and "finetuning"). `load_profile` reports mistakes
with the field and the line, and refuses a profile that scores nothing (every paper 0)
unless asked to allow it; `save_profile` writes weights back keeping the comments.
"""
from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass
from functools import cached_property
from io import StringIO
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from ..config import check_categories, read_text, write_text
from ..errors import ProfileError

log = logging.getLogger(__name__)

FieldName = Literal["title", "abstract", "comment", "authors"]
#: The paper fields a profile scores; `authors` is the authors' names joined by ", ".
FIELDS: tuple[str, ...] = ("title", "abstract", "comment", "authors")
#: Fields a term is looked for in unless it names its own.
DEFAULT_FIELDS: tuple[str, ...] = ("title", "abstract", "comment")
#: What separates the words of a phrase in text: whitespace and hyphens.
SEPARATOR_CLASS = r"[\s\-\u2010\u2011]"
_SEPARATORS = re.compile(SEPARATOR_CLASS + "+")
_VOWELS = set("aeiou")


class _ItemError(ValueError):
    """A list-level check that blames one item (so the error can name its line)."""

    def __init__(self, message: str, index: int):
        super().__init__(message)
        self.index = index


@dataclass(frozen=True)
class Shape:
    """What a keyword or phrase matches, as lower-case literals.

    ``words[0] sep words[1] ... words[-1] suffix``, where each separator is a run of
    whitespace/hyphens (`required[i]` says whether it may be empty) and `suffixes` lists
    the endings allowed after the last word (the plural forms).
    """
    words: tuple[str, ...]
    required: tuple[bool, ...]
    suffixes: tuple[str, ...]

    @classmethod
    def parse(cls, pattern: str) -> Shape:
        parts = _SEPARATORS.split(pattern.strip().lower())
        gaps = _SEPARATORS.findall(pattern.strip().lower())
        while parts and not parts[0]:
            parts, gaps = parts[1:], gaps[1:]
        while parts and not parts[-1]:
            parts, gaps = parts[:-1], gaps[:-1]
        if not parts:
            raise ValueError(f"pattern {pattern!r} has no words")
        last, suffixes = parts[-1], ("",)
        if last[-1].isalpha():
            if last.endswith("y") and len(last) >= 4 and last[-2] not in _VOWELS:
                last, suffixes = last[:-1], ("y", "ies")
            else:
                suffixes = ("", "s", "es")
        required = tuple(any(c.isspace() for c in gap) for gap in gaps)
        return cls((*parts[:-1], last), required, suffixes)

    def regex(self) -> str:
        """The Python regular expression with the same meaning (for highlights and tests)."""
        body = re.escape(self.words[0])
        for required, word in zip(self.required, self.words[1:]):
            body += SEPARATOR_CLASS + ("+" if required else "*") + re.escape(word)
        ending = "|".join(re.escape(s) for s in self.suffixes)
        return rf"(?<!\w){body}(?:{ending})(?!\w)"


def _infer_kind(pattern: str) -> str:
    return "phrase" if len(Shape.parse(pattern).words) > 1 else "keyword"


class Term(BaseModel):
    """One weighted term. In YAML: ``- LLM``, ``- LLM: 2``, ``- /regex/: 1`` or a mapping."""
    model_config = ConfigDict(extra="forbid", frozen=True)

    pattern: str = Field(min_length=1)
    kind: Literal["keyword", "phrase", "regex"]
    weight: float = Field(1.0, allow_inf_nan=False)
    fields: tuple[FieldName, ...] | None = Field(None, min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            data = {"pattern": data}
        elif isinstance(data, dict) and len(data) == 1 and not set(data) & set(cls.model_fields):
            (pattern, weight), = data.items()
            data = {"pattern": pattern, "weight": weight}
        if isinstance(data, dict) and isinstance(data.get("pattern"), str):
            data = dict(data)
            pattern = data["pattern"].strip()
            if "kind" not in data and len(pattern) > 2 and pattern[0] == pattern[-1] == "/":
                data["kind"], pattern = "regex", pattern[1:-1]
            data["pattern"] = pattern
            if "kind" not in data and pattern:
                data["kind"] = _infer_kind(pattern)
        return data

    @model_validator(mode="after")
    def _check_pattern(self) -> Term:
        try:
            regex = self.regex
        except re.error as exc:
            raise ValueError(f"invalid regular expression /{self.pattern}/: {exc}") from None
        if regex.search("") is not None:
            raise ValueError(f"regular expression /{self.pattern}/ matches empty text")
        return self

    @cached_property
    def shape(self) -> Shape:
        """The literal form of a keyword or phrase (not defined for regexes)."""
        return Shape.parse(self.pattern)

    @cached_property
    def regex(self) -> re.Pattern[str]:
        """The compiled Python regex that defines what this term matches."""
        source = self.pattern if self.kind == "regex" else self.shape.regex()
        return re.compile(source, re.IGNORECASE)

    @property
    def key(self) -> str:
        return term_key(self)

    def applies_to(self) -> tuple[str, ...]:
        """The fields this term is looked for in."""
        return self.fields or DEFAULT_FIELDS


def term_key(term: Term) -> str:
    """A stable, readable key for a term: ``LLM``, ``/FP(4|8)/``, ``survey @title``."""
    base = f"/{term.pattern}/" if term.kind == "regex" else " ".join(term.pattern.split())
    return base if term.fields is None else f"{base} @{','.join(term.fields)}"


class FieldWeights(BaseModel):
    """How much a match counts in each field (multiplies the term's weight)."""
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    title: float = Field(2.0, ge=0, allow_inf_nan=False)
    abstract: float = Field(1.0, ge=0, allow_inf_nan=False)
    comment: float = Field(0.5, ge=0, allow_inf_nan=False)
    authors: float = Field(1.0, ge=0, allow_inf_nan=False)


class SimilaritySettings(BaseModel):
    """Similarity to the person's library as a score component (`litscope.score.similarity`)."""
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    #: A paper gains weight x its similarity to its nearest reference papers (the most
    #: similar paper of the corpus gains exactly `weight`).
    weight: float = Field(3.0, allow_inf_nan=False)
    #: The reference papers: the imported library, or the library and the includes.
    to: Literal["library", "includes"] = "library"
    #: How many nearest reference papers count.
    top_k: int = Field(5, ge=1, le=100)
    #: A reference paper's weight halves every this many days since it was added.
    half_life_days: float | None = Field(365.0, gt=0, allow_inf_nan=False)
    #: How texts become vectors: tfidf, wordllama, sentence-transformers:MODEL, endpoint[:MODEL].
    representation: str = "tfidf"

    @field_validator("representation")
    @classmethod
    def _known_representation(cls, value: str) -> str:
        kind = value.split(":", 1)[0]
        if kind not in ("tfidf", "wordllama", "sentence-transformers", "endpoint"):
            raise ValueError(f"unknown representation {value!r} (known: tfidf, wordllama, "
                             "sentence-transformers:MODEL, endpoint[:MODEL])")
        return value


class Profile(BaseModel):
    """A scoring profile (see the module docstring and profiles/example.yml)."""
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    name: str | None = None
    description: str | None = None
    terms: list[Term] = Field(default_factory=list)
    field_weights: FieldWeights = Field(default_factory=FieldWeights)
    #: How repeated matches count: log (1, 2, 3 for 1, 3, 7 matches), linear, or binary.
    tf: Literal["log", "linear", "binary"] = "log"
    exclude: list[Term] = Field(default_factory=list)
    #: When set, papers in none of these categories are excluded.
    categories: list[str] = Field(default_factory=list)
    author_boosts: dict[str, float] = Field(default_factory=dict)
    category_boosts: dict[str, float] = Field(default_factory=dict)
    #: A paper's score halves every `half_life_days` since it was published.
    half_life_days: float | None = Field(None, gt=0, allow_inf_nan=False)
    #: Papers published more than this many days ago are excluded.
    max_age_days: float | None = Field(None, gt=0, allow_inf_nan=False)
    #: `top()` and `litscope score` list only papers scoring at least this much.
    min_score: float | None = Field(None, allow_inf_nan=False)
    #: How many papers `top()` and `litscope score` list by default.
    top_n: int = Field(50, ge=1)
    #: Weight of the learned model's prediction in the blend (0 = keywords only).
    alpha: float = Field(0.0, ge=0, le=1)
    #: Similarity to the person's library as one more score component (off when absent).
    similarity: SimilaritySettings | None = None

    @field_validator("terms", "exclude")
    @classmethod
    def _unique_keys(cls, terms: list[Term]) -> list[Term]:
        seen: set[str] = set()
        for index, term in enumerate(terms):
            key = term.key if term.kind == "regex" else term.key.casefold()
            if key in seen:
                raise _ItemError(f"term {term.key!r} appears twice", index)
            seen.add(key)
        return terms

    @field_validator("exclude")
    @classmethod
    def _no_weights(cls, terms: list[Term]) -> list[Term]:
        for index, term in enumerate(terms):
            if "weight" in term.model_fields_set:
                raise _ItemError(f"exclude term {term.key!r} has a weight: excludes only "
                                 f"remove papers (use a negative weight under 'terms' instead)", index)
        return terms

    @field_validator("categories")
    @classmethod
    def _check_categories(cls, value: list[str]) -> list[str]:
        return check_categories(value)

    @field_validator("category_boosts")
    @classmethod
    def _check_boosted_categories(cls, value: dict[str, float]) -> dict[str, float]:
        cls._check_categories(list(value))
        return value

    @field_validator("author_boosts", "category_boosts")
    @classmethod
    def _finite_boosts(cls, value: dict[str, float]) -> dict[str, float]:
        for name, boost in value.items():
            if not math.isfinite(boost):
                raise ValueError(f"boost of {name!r} must be a finite number")
        return value

    @property
    def is_empty(self) -> bool:
        """Whether nothing in the profile can give a paper points (no terms, no author or
        category boosts, no learned blend): every paper would score 0."""
        return not (self.terms or self.author_boosts or self.category_boosts or self.alpha)

    def term(self, key: str) -> Term:
        """The term with this key (`ProfileError` naming the known keys otherwise)."""
        for term in self.terms:
            if term.key == key:
                return term
        raise ProfileError(f"no term {key!r} in the profile (terms: "
                           f"{', '.join(t.key for t in self.terms) or 'none'})")


# -- YAML ------------------------------------------------------------------------------------
def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 100
    return yaml


def _line_of(root: Any, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the YAML node at `loc` (or of its nearest known parent)."""
    line, node = None, root
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            line, node = node.lc.key(part)[0], node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            line, node = node.lc.item(part)[0], node[part]
        else:
            break
    return None if line is None else line + 1


def _dotted(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _validation_message(exc: ValidationError, raw: Any, source: str) -> str:
    first = exc.errors()[0]
    loc = tuple(first["loc"])
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, _ItemError):
        loc += (cause.index,)
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown field"
    line = _line_of(raw, loc)
    where = f"{source}: line {line}" if line else source
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: field '{_dotted(loc)}': {message}{more}"


def parse_profile(text: str, source: str = "<profile>", *, allow_empty: bool = False) -> Profile:
    """Validate a profile given as YAML text; errors name `source`, the field and the line.
    A profile that scores nothing (`Profile.is_empty`) is an error unless `allow_empty`
    (then a warning is logged)."""
    try:
        raw = _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f": line {mark.line + 1}" if mark else ""
        raise ProfileError(f"{source}{where}: invalid YAML ({exc.problem})") from None
    if raw is None:
        raw = CommentedMap()
    if not isinstance(raw, dict):
        raise ProfileError(f"{source}: expected a mapping of settings, got {type(raw).__name__}")
    try:
        profile = Profile.model_validate(raw)
    except ValidationError as exc:
        raise ProfileError(_validation_message(exc, raw, source)) from None
    if profile.is_empty:
        empty = f"{source}: the profile has no terms, author or category boosts: every paper scores 0"
        if not allow_empty:
            raise ProfileError(f"{empty}; add terms (see profiles/example.yml), or pass --allow-empty "
                               f"(allow_empty=True) to use it anyway")
        log.warning("%s", empty)
    return profile


def load_profile(path: str | Path, *, allow_empty: bool = False) -> Profile:
    """Read and validate a profile file (see `parse_profile`)."""
    text = read_text(path, ProfileError, what="the profile",
                     hint="; create one with 'litscope init' or 'litscope profile import-bot'")
    return parse_profile(text, str(path), allow_empty=allow_empty)


def _term_yaml(term: Term) -> Any:
    """The most compact YAML form of a term."""
    pattern = f"/{term.pattern}/" if term.kind == "regex" else term.pattern
    inferred = term.kind == "regex" or term.kind == _infer_kind(term.pattern)
    if term.fields is None and inferred and "/" not in pattern[1:-1]:
        if term.weight == 1 and "weight" not in term.model_fields_set:
            return pattern
        return CommentedMap([(pattern, _number(term.weight))])
    item = CommentedMap([("pattern", term.pattern)])
    if term.kind == "regex" or not inferred:
        item["kind"] = term.kind
    if "weight" in term.model_fields_set or term.weight != 1:
        item["weight"] = _number(term.weight)
    if term.fields is not None:
        item["fields"] = _flow(CommentedSeq(term.fields))
    return _flow(item)


def _flow(node: Any) -> Any:
    node.fa.set_flow_style()
    return node


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _same(a: Term, b: Term) -> bool:
    return (a.pattern, a.kind, a.weight, a.fields) == (b.pattern, b.kind, b.weight, b.fields)


def _merge_terms(seq: CommentedSeq, terms: list[Term]) -> None:
    """Update a YAML list of terms in place, keeping items (and their comments) by key."""
    def parsed(item: Any) -> Term | None:
        try:
            return Term.model_validate(item)
        except ValidationError:
            return None
    wanted = {t.key: t for t in terms}
    for index in reversed(range(len(seq))):
        old = parsed(seq[index])
        if old is None or old.key not in wanted:
            del seq[index]
    present = {parsed(item).key: i for i, item in enumerate(seq)}
    for term in terms:
        if term.key not in present:
            seq.append(_term_yaml(term))
            continue
        index = present[term.key]
        old, form = seq[index], _term_yaml(term)
        if _same(parsed(old), term):
            continue
        if isinstance(old, CommentedMap) and isinstance(form, CommentedMap) \
                and next(iter(old)) == next(iter(form)):
            for key in [k for k in old if k not in form]:
                del old[key]
            old.update((k, v) for k, v in form.items() if old.get(k) != v)
        else:
            comment = seq.ca.items.pop(index, None)
            if comment and comment[0] is not None and isinstance(form, CommentedMap):
                form.yaml_add_eol_comment(comment[0].value.strip(), next(iter(form)))
            seq[index] = form


def _merge(node: CommentedMap, new: dict[str, Any], defaults: dict[str, Any],
           terms: dict[str, list[Term]]) -> None:
    """Write `new` into `node` in place; keys the file lacks are added only when not default."""
    for key, value in new.items():
        current = node.get(key)
        if key in terms:
            if isinstance(current, CommentedSeq):
                _merge_terms(current, terms[key])
            elif terms[key] or key in node:
                node[key] = CommentedSeq(_term_yaml(t) for t in terms[key])
        elif isinstance(value, dict) and isinstance(current, CommentedMap):
            _merge(current, value, defaults.get(key) or {}, {})
        elif key in node:
            if current != value:
                node[key] = value
        elif value != defaults.get(key):
            node[key] = value
    for key in [k for k in node if k not in new]:
        del node[key]


def dump_profile(profile: Profile, original: str | None = None) -> str:
    """`profile` as YAML; given the `original` text, its comments, order and layout stay."""
    yaml = _yaml()
    try:
        node = yaml.load(original) if original else None
    except MarkedYAMLError:
        node = None
    if not isinstance(node, CommentedMap):
        node = CommentedMap()
        node.yaml_set_start_comment("litscope scoring profile (every setting is explained in "
                                    "profiles/example.yml)")
    _merge(node, profile.model_dump(mode="json"), Profile().model_dump(mode="json"),
           {"terms": profile.terms, "exclude": profile.exclude})
    out = StringIO()
    yaml.dump(node, out)
    return out.getvalue()


def save_profile(profile: Profile, path: str | Path) -> Path:
    """Write `profile` to `path` (atomically); an existing file keeps its comments and layout."""
    path = Path(path)
    original = path.read_text(encoding="utf-8") if path.is_file() else None
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_text(path, dump_profile(profile, original))


# -- arxiv_rss_bot ---------------------------------------------------------------------------
def import_bot_config(path: str | Path) -> Profile:
    """Turn an arxiv_rss_bot `config.json` into an equivalent profile.

    The bot adds 1 per keyword found in title + abstract and 0.5 more when it is in the
    title, drops papers with an exclude keyword, keeps `max_papers` from the last
    `days_back` days in `categories`. The profile does the same with whole-word matching.
    """
    path = Path(path)
    try:
        config = json.loads(read_text(path, ProfileError))
    except json.JSONDecodeError as exc:
        raise ProfileError(f"{path}: line {exc.lineno}: invalid JSON ({exc.msg})") from None
    if not isinstance(config, dict):
        raise ProfileError(f"{path}: expected a JSON object like the bot's config.json")

    def strings(key: str) -> list[str]:
        value = config.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ProfileError(f"{path}: field '{key}' must be a list of strings")
        return [v for v in (s.strip() for s in value) if v]

    def number(key: str) -> float | None:
        value = config.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ProfileError(f"{path}: field '{key}' must be a number, got {value!r}")
        return value

    title_and_abstract = ("title", "abstract")
    data: dict[str, Any] = {
        "name": f"imported from {path.name}",
        "description": "Keywords, excludes and limits of an arxiv_rss_bot config.json.",
        "terms": [{"pattern": k, "fields": title_and_abstract} for k in _unique(strings("keywords"))],
        "field_weights": {"title": 1.5, "abstract": 1.0},
        "tf": "binary",
        "exclude": [{"pattern": k, "fields": title_and_abstract}
                    for k in _unique(strings("exclude_keywords"))],
        "categories": strings("categories"),
    }
    for key, target in (("max_papers", "top_n"), ("days_back", "max_age_days"),
                        ("min_score", "min_score")):
        value = number(key)
        if value is not None:
            data[target] = value
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ProfileError(f"{path}: {_dotted(tuple(first['loc']))}: "
                           f"{first['msg'].removeprefix('Value error, ')}") from None


def _unique(values: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(value.casefold(), value)
    return list(seen.values())
