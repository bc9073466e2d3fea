"""Structured summaries and translations of papers: by any OpenAI-compatible LLM, or offline.

`summarize` asks the configured endpoint (see `litscope.curate.llm`) for a JSON summary in the
sections digests use — tldr, motivation, method, result, conclusion — and caches every
answer in the store keyed by (paper, version, model, `PROMPT_VERSION`, kind, language), so
a repeated run makes no request. Without an endpoint it falls back to an extractive summary
(the abstract's most central sentences by tf-idf similarity), so every paper with an
abstract gets one. Summaries that came with a digest (``summary_source="imported"``) are
never replaced. `translate` puts titles and abstracts into another language through the
same client and cache.
"""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd
from pydantic import AliasChoices, BaseModel, ConfigDict, Field
from sklearn.feature_extraction.text import TfidfVectorizer
from tqdm.auto import tqdm

from ..config import LLMSettings
from ..errors import LLMError
from .llm import LLMClient, RequestFailed, endpoint_configured
from ..report import counted
from ..schema import CURATED_FIELDS, SUMMARY_FIELDS, conform_papers, missing
from ..store import Store

#: Part of every cache key: change it whenever a prompt changes, so answers are asked anew.
PROMPT_VERSION = "1"
#: Language codes the prompts spell out; any other code is passed to the model as it is.
LANGUAGES = {"en": "English", "zh": "Simplified Chinese", "zh-tw": "Traditional Chinese",
             "ja": "Japanese", "ko": "Korean", "de": "German", "fr": "French", "es": "Spanish",
             "it": "Italian", "pt": "Portuguese", "ru": "Russian"}
#: Dry-run estimates without a tokenizer: English runs at about 4 characters per token,
#: and a JSON summary at about 350 tokens.
CHARS_PER_TOKEN = 4
SUMMARY_TOKENS = 350

SUMMARY_PROMPT = """\
You summarise research papers for a literature-review digest. Reply with one JSON object
and nothing else, with these keys, each a string written in {language}:
  "tldr": one sentence of at most 30 words: what the paper does and what it finds;
  "motivation": the problem and why it matters (1-2 sentences);
  "method": the approach (1-3 sentences);
  "result": the main results, with the numbers the abstract gives (1-2 sentences);
  "conclusion": the takeaway (1 sentence).
Use only the title and abstract you are given. Keep model names, datasets, formulas and
numbers as they are."""

TRANSLATE_PROMPT = """\
You translate the titles and abstracts of research papers into {language}. Reply with one
JSON object and nothing else: {{"title": "...", "abstract": "..."}} ("abstract" empty when
none is given). Translate faithfully and completely; keep model names, datasets, formulas,
numbers and terms usually left in English as they are."""

_LANGUAGE_CODE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")


#: The longest section of a summary kept (the prompt asks for a sentence or three), and
#: the longest translated title and abstract (arXiv's abstracts stop at 1,920 characters).
MAX_SECTION, MAX_TITLE, MAX_ABSTRACT = 4_000, 2_000, 20_000


class Summary(BaseModel):
    """The JSON object the model must return for a summary (empty sections are allowed)."""
    model_config = ConfigDict(str_strip_whitespace=True, str_max_length=MAX_SECTION)
    tldr: str = Field(min_length=1)
    motivation: str
    method: str
    result: str = Field(validation_alias=AliasChoices("result", "results"))
    conclusion: str = Field(validation_alias=AliasChoices("conclusion", "conclusions"))


class Translation(BaseModel):
    """The JSON object the model must return for a translation."""
    model_config = ConfigDict(str_strip_whitespace=True)
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    abstract: str = Field("", max_length=MAX_ABSTRACT)


@dataclass
class LLMReport:
    """What one `summarize` or `translate` run did; printable as one line."""
    kind: str                 # "summary" or "translation"
    engine: str               # the model, or "extractive"
    language: str
    dry_run: bool = False
    papers: int = 0           # papers that needed the work
    requested: int = 0        # ... sent to the endpoint (in a dry run: that would be)
    cached: int = 0           # ... answered from the store's cache
    failed: int = 0           # ... without a valid answer (see `failures`)
    extractive: int = 0       # ... summarised offline
    kept: int = 0             # papers whose imported summary or translation was kept
    skipped: int = 0          # papers without the text the work needs
    requests: int = 0         # HTTP requests made, retries included
    input_tokens: int = 0     # as the endpoint reported them (estimated in a dry run)
    output_tokens: int = 0
    failures: dict[str, str] = field(default_factory=dict)   # paper id -> reason

    @property
    def all_failed(self) -> bool:
        """Whether papers needed the work, this run asked for it, and every one failed
        (failures the model gave in an earlier run are reported, not failed again)."""
        return self.papers > 0 and self.failed == self.papers and self.requested > 0

    def __str__(self) -> str:
        what = "summaries" if self.kind == "summary" else "translations"
        if self.engine == "extractive":
            head = (f"{what} (extractive, no LLM endpoint): {self.extractive} papers "
                    f"{'would be ' if self.dry_run else ''}summarised")
        elif self.dry_run:
            head = (f"dry run, {what} ({self.engine}, {self.language}): {self.requested} of {counted(self.papers, 'paper')} "
                    f"would be sent, ~{self.input_tokens:,} input and ~{self.output_tokens:,} output "
                    f"tokens (at ~{CHARS_PER_TOKEN} characters a token); {self.cached} cached")
        else:
            head = (f"{what} ({self.engine}, {self.language}): {counted(self.papers, 'paper')}, "
                    f"{self.papers - self.cached - self.failed} new, {self.cached} cached; "
                    f"{self.requests} requests, {self.input_tokens:,} tokens in, "
                    f"{self.output_tokens:,} out")
        kept = "kept their imported summary" if self.kind == "summary" else "already translated"
        tail = [f"{n} {label}" for n, label in (
            (self.failed, "failed"), (self.kept, kept), (self.skipped, "without an abstract")) if n]
        return head + (f"; {', '.join(tail)}" if tail else "")


@dataclass(frozen=True)
class _Task:
    kind: str
    schema: type[BaseModel]
    prompt: str                                   # system prompt with a {language} slot
    output_tokens: Callable[[str], int]           # dry-run estimate from the user message


def estimate_tokens(text: str) -> int:
    """A tokenizer-free token estimate: ~4 characters of English per token."""
    return -(-len(text) // CHARS_PER_TOKEN)


_SUMMARY = _Task("summary", Summary, SUMMARY_PROMPT, lambda text: SUMMARY_TOKENS)
_TRANSLATION = _Task("translation", Translation, TRANSLATE_PROMPT, estimate_tokens)


# -- extractive fallback ---------------------------------------------------------------------
_SENTENCE_BREAK = re.compile(
    r"(?<=[.!?])(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bet al\.)(?<!\bvs\.)\s+(?=[A-Z0-9\"“(\[\u4e00-\u9fff])"
    r"|(?<=[。！？])")


def split_sentences(text: str | None) -> list[str]:
    """The sentences of `text` (English or Chinese punctuation), whitespace folded."""
    text = " ".join((text or "").split())
    return [s.strip() for s in _SENTENCE_BREAK.split(text) if s and s.strip()]


class ExtractiveSummarizer:
    """Extractive summaries: a text's most central sentences, by the summed tf-idf cosine
    similarity of each sentence to the others (degree centrality, as in LexRank).

    `fit` learns idf weights once from a corpus's sentences; `summarize` ranks one text.
    Sentences shorter than `min_words`, holding a URL or cut off ("...") are only picked when
    nothing else is.
    """

    def __init__(self, n_sentences: int = 3, min_words: int = 5):
        self.n_sentences = n_sentences
        self.min_words = min_words

    def fit(self, texts: Iterable[str | None]) -> ExtractiveSummarizer:
        sentences = [s for text in texts for s in split_sentences(text)]
        try:
            self.vectorizer_ = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit(sentences)
        except ValueError:   # no text, or nothing but stop words: rank by position
            self.vectorizer_ = None
        return self

    def summarize(self, text: str | None) -> tuple[str | None, str | None]:
        """(tldr, summary): the most central sentence, and the `n_sentences` most central
        ones in their original order; (None, None) for a text without sentences."""
        sentences = split_sentences(text)
        if not sentences:
            return None, None
        picks = [i for i, s in enumerate(sentences) if len(s.split()) >= self.min_words
                 and "://" not in s and not s.endswith(("...", "…"))] or list(range(len(sentences)))
        centrality = np.zeros(len(picks))
        if self.vectorizer_ is not None:
            vectors = self.vectorizer_.transform([sentences[i] for i in picks])
            similarity = (vectors @ vectors.T).toarray()
            centrality = similarity.sum(axis=1) - similarity.diagonal()
        ranked = [picks[i] for i in np.argsort(-centrality, kind="stable")]
        return sentences[ranked[0]], " ".join(sentences[i] for i in sorted(ranked[:self.n_sentences]))


def extractive_summary(text: str | None) -> tuple[str | None, str | None]:
    """(tldr, summary) of one text by sentence centrality, without any corpus or network."""
    return ExtractiveSummarizer().fit([text]).summarize(text)


# -- LLM runs -------------------------------------------------------------------------------
def summarize(papers: pd.DataFrame, settings: LLMSettings | None = None, store: Store | None = None,
              *, language: str | None = None, dry_run: bool = False, force: bool = False,
              progress: bool = True, client: LLMClient | None = None) -> pd.DataFrame:
    """Fill the summary fields of `papers` through the LLM endpoint, or extractively without one.

    `settings` None means offline. Papers with an imported summary keep it, papers without
    an abstract are skipped. With a `store`, answers are cached in it and the fields written
    to it. `force` asks again even when an answer is cached and redoes extractive summaries.
    `client` replaces the one made from `settings` (e.g. with another clock). Returns a copy
    of `papers` with the fields filled and an `LLMReport` in ``attrs["report"]``.
    """
    papers = conform_papers(papers, where="papers to summarise").reset_index(drop=True)
    settings = client.settings if client else settings
    has_text = papers["abstract"].fillna("").str.strip() != ""
    source = papers["summary_source"]
    imported = (source == "imported").fillna(False) | (
        source.isna() & papers[[*SUMMARY_FIELDS, "summary"]].notna().any(axis=1))
    redo = (source == "extractive").fillna(False) & force
    online = client is not None or endpoint_configured(settings)
    language = _check_language(language or (settings.language if settings else "en"))
    if online:
        wanted = has_text & ~imported
        report = LLMReport("summary", settings.model, language, dry_run)
        answers = _ask(_SUMMARY, papers, wanted, settings, store, language, report,
                       force=force, progress=progress, client=client)
        updates = {pid: {**_sections(answer), "summary": None,
                         "summary_source": f"llm:{settings.model}"}
                   for pid, answer in answers.items()}
    else:
        wanted = has_text & ~imported & (source.isna() | redo)   # never replaces an LLM's
        report = LLMReport("summary", "extractive", language, dry_run, papers=int(wanted.sum()),
                           extractive=int(wanted.sum()))
        updates = {} if dry_run else _extractive(papers, wanted, progress)
    report.kept = int(imported.sum())
    report.skipped = int((~has_text & ~imported).sum())
    return _finish(papers, updates, store, report, overwrite=True)


def translate(papers: pd.DataFrame, settings: LLMSettings | None = None, store: Store | None = None,
              *, language: str = "zh", dry_run: bool = False, force: bool = False,
              progress: bool = True, client: LLMClient | None = None) -> pd.DataFrame:
    """Translate titles and abstracts into `language` through the LLM endpoint and cache.

    Results go to ``title_<lang>``/``abstract_<lang>`` (``title_zh``/``abstract_zh`` for
    Chinese, which the store keeps; other languages are extra columns of the returned copy).
    Translations a paper has are kept unless `force`. Needs an endpoint: there is no
    offline translation.
    """
    papers = conform_papers(papers, where="papers to translate").reset_index(drop=True)
    settings = client.settings if client else settings
    if client is None and not endpoint_configured(settings):
        env = settings.api_key_env if settings else "OPENAI_API_KEY"
        raise LLMError(f"translation needs an LLM endpoint: set llm.base_url in litscope.yml "
                       f"and/or put the API key in ${env}")
    language = _check_language(language)
    title_col, abstract_col = _translation_columns(language)
    has_abstract = papers["abstract"].fillna("").str.strip() != ""
    untranslated = (~_column_filled(papers, title_col)
                    | (has_abstract & ~_column_filled(papers, abstract_col)))
    wanted = papers["title"].notna() & (untranslated | force)
    report = LLMReport("translation", settings.model, language, dry_run,
                       kept=int((~wanted).sum()))
    answers = _ask(_TRANSLATION, papers, wanted, settings, store, language, report, force=force,
                   progress=progress, client=client)
    updates = {pid: {title_col: a["title"], abstract_col: a["abstract"] or None}
               for pid, a in answers.items()}
    return _finish(papers, updates, store, report, overwrite=force)


def _same(old: Any, value: Any) -> bool:
    return value is None if missing(old) else old == value


def _check_language(language: str) -> str:
    if not _LANGUAGE_CODE.match(language or ""):
        raise LLMError(f"language: {language!r} is not a language code such as en or zh")
    return language.lower().replace("_", "-")


def _translation_columns(language: str) -> tuple[str, str]:
    base = language.split("-")[0]
    return f"title_{base}", f"abstract_{base}"


def _column_filled(papers: pd.DataFrame, column: str) -> pd.Series:
    if column not in papers:
        return pd.Series(False, index=papers.index)
    return papers[column].notna() & (papers[column].astype("string").str.strip() != "").fillna(False)


def _sections(payload: dict[str, str]) -> dict[str, str | None]:
    """The summary fields of a cached answer, empty sections as None."""
    return {name: payload.get(name) or None for name in Summary.model_fields}


def _messages(task: _Task, language: str, title: str, abstract: Any) -> list[dict[str, str]]:
    abstract = abstract if isinstance(abstract, str) and abstract.strip() else "(none)"
    return [{"role": "system", "content": task.prompt.format(language=LANGUAGES.get(language, language))},
            {"role": "user", "content": f"Title: {title}\n\nAbstract:\n{abstract}"}]


def _ask(task: _Task, papers: pd.DataFrame, wanted: pd.Series, settings: LLMSettings,
         store: Store | None, language: str, report: LLMReport, *, force: bool, progress: bool,
         client: LLMClient | None) -> dict[str, dict[str, Any]]:
    """Answers (paper id -> validated JSON) for the `wanted` papers: cached ones from the
    store, the rest from the endpoint with bounded concurrency. Fills `report`."""
    answers: dict[str, dict[str, Any]] = {}
    todo: list[tuple[tuple, list[dict[str, str]]]] = []
    for row in papers[wanted].itertuples(index=False):
        key = (row.id, 0 if missing(row.version) else int(row.version), settings.model,
               PROMPT_VERSION, task.kind, language)
        hit = store.cached_result(key) if store is not None and not force else None
        if hit and hit["status"] == "ok":
            answers[row.id] = hit["payload"]
        elif hit and not (hit["payload"] or {}).get("retryable"):
            report.failures[row.id] = f"{hit['error']} (in an earlier run; --force asks again)"
        else:
            todo.append((key, _messages(task, language, row.title, row.abstract)))
    report.papers, report.cached, report.requested = int(wanted.sum()), len(answers), len(todo)
    if report.dry_run:
        report.input_tokens = sum(estimate_tokens(m["content"]) for _, messages in todo for m in messages)
        report.output_tokens = sum(task.output_tokens(messages[-1]["content"]) for _, messages in todo)
        return {}
    if todo:
        client = client or LLMClient(settings)
        before = (client.requests, client.input_tokens, client.output_tokens)
        try:
            _request_all(task, todo, client, store, answers, report, progress)
        finally:
            report.requests = client.requests - before[0]
            report.input_tokens = client.input_tokens - before[1]
            report.output_tokens = client.output_tokens - before[2]
    return answers


def _request_all(task: _Task, todo: list[tuple[tuple, list[dict[str, str]]]], client: LLMClient,
                 store: Store | None, answers: dict[str, dict[str, Any]], report: LLMReport,
                 progress: bool) -> None:
    """Send `todo` with at most `concurrency` requests in flight, caching each answer or
    failure as it arrives (an interrupted run loses nothing it paid for)."""
    with ThreadPoolExecutor(max_workers=client.settings.concurrency) as pool, \
            tqdm(total=len(todo), desc=f"{task.kind} ({client.settings.model})", unit="paper",
                 disable=None if progress else True) as bar:
        futures = {pool.submit(client.ask_json, messages, task.schema): key for key, messages in todo}
        try:
            for future in as_completed(futures):
                key = futures[future]
                try:
                    payload = future.result().model_dump()
                except RequestFailed as exc:
                    reason = client.redact(str(exc))
                    report.failures[key[0]] = reason
                    if store is not None:
                        store.cache_result(key, "failed", {"retryable": exc.retryable}, reason)
                else:
                    answers[key[0]] = payload
                    if store is not None:
                        store.cache_result(key, "ok", payload)
                bar.update()
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise


def _extractive(papers: pd.DataFrame, wanted: pd.Series, progress: bool) -> dict[str, dict[str, Any]]:
    summarizer = ExtractiveSummarizer().fit(papers["abstract"].dropna())
    updates = {}
    for row in tqdm(papers[wanted].itertuples(index=False), total=int(wanted.sum()),
                    desc="summary (extractive)", unit="paper", disable=None if progress else True):
        tldr, summary = summarizer.summarize(row.abstract)
        updates[row.id] = {"tldr": tldr, "summary": summary, "summary_source": "extractive"}
    return updates


def _finish(papers: pd.DataFrame, updates: dict[str, dict[str, Any]], store: Store | None,
            report: LLMReport, *, overwrite: bool) -> pd.DataFrame:
    """Write `updates` into the copy (and the store, in one transaction); attach the report.
    Without `overwrite`, only empty fields are filled."""
    position = {pid: i for i, pid in enumerate(papers["id"])}
    changed: dict[str, dict[str, Any]] = {}
    for pid, fields in updates.items():
        i = position[pid]
        for name, value in fields.items():
            if name not in papers:
                papers[name] = pd.Series(pd.NA, index=papers.index, dtype="string")
            old = papers.at[i, name]
            if (not overwrite and not missing(old)) or _same(old, value):
                continue
            papers.at[i, name] = value
            if name in CURATED_FIELDS:
                changed.setdefault(pid, {})[name] = value
    if store is not None and changed:
        store.update_many(changed, by_hand=False)   # a program wrote them, not a person
    report.failed = len(report.failures)
    papers.attrs["report"] = report
    return papers
