"""Summaries and translations: the real openai client against a fake server on 127.0.0.1,
the cache in the store, the extractive fallback, tags and notes, and the CLI."""
from __future__ import annotations

import json
import logging

import pandas as pd
import pytest
from openai_server import BROKEN_JSON, ECHO_KEY, EMPTY, HTML, NO_CHOICES, NO_CONTENT, Reply, hang, refused_url

from litscope.cli import main
from litscope.config import LLMSettings
from litscope.errors import LLMError, StoreError
from litscope.curate.llm import LLMClient, parse_json
from litscope.sample import load_sample
from litscope.schema import SUMMARY_FIELDS, papers_frame
from litscope.curate.summarize import (LANGUAGES, PROMPT_VERSION, ExtractiveSummarizer, Summary,
                                extractive_summary, split_sentences, summarize, translate)

KEY_ENV = "LITSCOPE_TEST_LLM_KEY"
KEY = "sk-litscope-TEST-9f3c1e77d2b04a8e"
NAMES = ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel"]
ABSTRACT = ("Large language models are slow at inference. We propose {name} decoding, which "
            "drafts tokens with a small model. {name} decoding is 2.5x faster on long prompts. "
            "Code is at https://example.org/{name}.")


def make_papers(n: int = 3, **overrides) -> pd.DataFrame:
    return papers_frame([{"id": f"2501.{i:05d}", "version": 2, "title": f"Paper {name}",
                          "abstract": ABSTRACT.format(name=name), "source": "arxiv", **overrides}
                         for i, name in enumerate(NAMES[:n])])


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    return KEY


@pytest.fixture
def settings(openai_server, key):
    return LLMSettings(base_url=openai_server.url, model="fake-model", api_key_env=KEY_ENV,
                       backoff_seconds=0, concurrency=2)


class FakeClock:
    """A clock that `sleep` moves forward, recording every wait."""

    def __init__(self):
        self.now, self.sleeps = 1000.0, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def fake_client(settings: LLMSettings, clock: FakeClock) -> LLMClient:
    return LLMClient(settings, sleep=clock.sleep, clock=clock)


def requests_for(server, name: str) -> list[dict]:
    return [r for r in server.requests if f"Paper {name}" in json.dumps(r["body"])]


# -- good answers and the cache -------------------------------------------------------------
def test_good_answers_fill_the_fields_and_the_store(openai_server, settings, store):
    store.add_papers(make_papers(3))
    papers = store.papers()
    out = summarize(papers, settings, store, progress=False)
    assert papers["tldr"].isna().all()                          # the input is left alone
    report = out.attrs["report"]
    assert (report.papers, report.requested, report.cached, report.failed) == (3, 3, 0, 0)
    assert report.requests == 3 and report.input_tokens == 300 and report.output_tokens == 150
    row = out.set_index("id").loc["2501.00001"]
    assert row["tldr"] == "TLDR of Paper Bravo" and row["conclusion"] == "So Paper Bravo"
    assert row["summary_source"] == "llm:fake-model"
    assert store.papers().set_index("id").loc["2501.00001", "method"] == "How Paper Bravo"
    body = openai_server.requests[0]["body"]
    assert body["model"] == "fake-model" and body["response_format"] == {"type": "json_object"}
    assert "English" in body["messages"][0]["content"]
    assert openai_server.requests[0]["authorization"] == f"Bearer {KEY}"
    cached = store.cached_results()
    assert set(cached["status"]) == {"ok"} and set(cached["version"]) == {2}
    assert set(cached["prompt_version"]) == {PROMPT_VERSION} and set(cached["kind"]) == {"summary"}


@pytest.mark.slow
def test_a_second_run_makes_no_request(openai_server, settings, store):
    store.add_papers(make_papers(4))
    summarize(store.papers(), settings, store, progress=False)
    sent = len(openai_server.requests)
    lost = dict.fromkeys(["tldr", "motivation", "method", "result", "conclusion", "summary_source"])
    store.update_many({"2501.00000": lost})
    again = summarize(store.papers(), settings, store, progress=False)
    assert len(openai_server.requests) == sent == 4
    report = again.attrs["report"]
    assert (report.cached, report.requested, report.requests) == (4, 0, 0)
    assert store.papers().set_index("id").loc["2501.00000", "tldr"] == "TLDR of Paper Alpha"
    forced = summarize(store.papers(), settings, store, force=True, progress=False)
    assert forced.attrs["report"].requested == 4 and len(openai_server.requests) == 8


@pytest.mark.slow
def test_the_language_is_in_the_prompt_and_the_cache_key(openai_server, settings, store):
    store.add_papers(make_papers(2))
    summarize(store.papers(), settings, store, language="zh", progress=False)
    assert all(LANGUAGES["zh"] in r["body"]["messages"][0]["content"] for r in openai_server.requests)
    assert set(store.cached_results()["language"]) == {"zh"}
    summarize(store.papers(), settings, store, language="en", progress=False)
    assert len(openai_server.requests) == 4
    with pytest.raises(LLMError, match="language: 'not a code'"):
        summarize(store.papers(), settings, store, language="not a code")


@pytest.mark.slow
def test_a_new_version_is_summarised_again(openai_server, settings, store):
    store.add_papers(make_papers(1))
    summarize(store.papers(), settings, store, progress=False)
    store.add_papers(make_papers(1, version=3))
    summarize(store.papers(), settings, store, progress=False)
    assert len(openai_server.requests) == 2
    assert sorted(store.cached_results()["version"]) == [2, 3]


# -- invalid answers ------------------------------------------------------------------------
def test_malformed_json_is_asked_again_once(openai_server, settings, store):
    store.add_papers(make_papers(2))
    openai_server.plan("Paper Alpha", Reply(content="Sure! {tldr: 'no quotes'}"))
    out = summarize(store.papers(), settings, store, progress=False)
    assert out.attrs["report"].failed == 0
    assert out.set_index("id").loc["2501.00000", "tldr"] == "TLDR of Paper Alpha"
    retry = requests_for(openai_server, "Alpha")
    assert len(retry) == 2
    messages = retry[1]["body"]["messages"]
    assert messages[-2] == {"role": "assistant", "content": "Sure! {tldr: 'no quotes'}"}
    assert "not valid" in messages[-1]["content"] and "JSON" in messages[-1]["content"]


@pytest.mark.slow
def test_malformed_twice_is_a_recorded_failure_and_the_batch_goes_on(openai_server, settings, store):
    store.add_papers(make_papers(3))
    openai_server.plan("Paper Bravo", Reply(content="not json"), Reply(content='{"tldr": ""}'))
    out = summarize(store.papers(), settings, store, progress=False)
    report = out.attrs["report"]
    assert report.failed == 1 and "2501.00001" in report.failures
    assert "invalid answer twice" in report.failures["2501.00001"]
    assert "tldr" in report.failures["2501.00001"]           # names what is wrong
    assert out.set_index("id")["tldr"].notna().tolist() == [True, False, True]
    failed = store.cached_results().set_index("id").loc["2501.00001"]
    assert failed["status"] == "failed" and "invalid answer twice" in failed["error"]
    assert "1 failed" in str(report)
    sent = len(openai_server.requests)
    again = summarize(store.papers(), settings, store, progress=False)
    assert len(openai_server.requests) == sent                 # a model's failure is not retried ...
    assert again.attrs["report"].failed == 1
    summarize(store.papers(), settings, store, force=True, progress=False)
    assert store.papers().set_index("id").loc["2501.00001", "tldr"] == "TLDR of Paper Bravo"


@pytest.mark.parametrize("answer, expected", [
    ('```json\n{"tldr": "t", "motivation": "m", "method": "x", "results": "r", "conclusion": ""}\n```',
     {"tldr": "t", "motivation": "m", "method": "x", "result": "r", "conclusion": ""}),
    ('Here you go: {"tldr": " t ", "motivation": "", "method": "", "result": "", '
     '"conclusions": "c", "extra": 1}', {"tldr": "t", "motivation": "", "method": "",
                                           "result": "", "conclusion": "c"}),
])
def test_answers_tolerate_fences_chatter_and_plurals(answer, expected):
    assert parse_json(answer, Summary).model_dump() == expected


@pytest.mark.parametrize("answer, problem", [
    ("no object here", "no JSON object"),
    ('{"tldr": "t",}', "invalid JSON"),
    ('{"tldr": "t"}', "field 'motivation'"),
    ('{"tldr": "", "motivation": "", "method": "", "result": "", "conclusion": ""}', "field 'tldr'"),
])
def test_invalid_answers_say_what_is_wrong(answer, problem):
    with pytest.raises(ValueError, match=problem):
        parse_json(answer, Summary)


@pytest.mark.parametrize("bad, reason", [
    (HTML, "is text/html, not JSON"),
    (BROKEN_JSON, "is broken JSON (Unterminated string starting at: line 1 column 58"),
    (NO_CHOICES, "is not a chat completion (no choices)"),
    (EMPTY, "is not a chat completion (no choices)"),
    (NO_CONTENT, "has no message content"),
])
@pytest.mark.slow
def test_an_answer_that_is_no_chat_completion_fails_the_paper_until_the_next_run(
        openai_server, settings, store, bad, reason):
    """Not the JSON promised: a one-line reason, the batch goes on, and since the endpoint
    (not the model) failed, the next run asks again."""
    store.add_papers(make_papers(2))
    openai_server.plan("Paper Alpha", *[bad] * 2)
    out = summarize(store.papers(), settings.model_copy(update={"retries": 1}), store, progress=False)
    report = out.attrs["report"]
    failure = report.failures["2501.00000"]
    assert failure.startswith(f"the answer from {openai_server.url}/ {reason}")
    assert failure.endswith("(gave up after 2 attempts)") and "\n" not in failure
    assert (report.failed, report.requests) == (1, 3) and not report.all_failed
    assert out.set_index("id").loc["2501.00001", "tldr"] == "TLDR of Paper Bravo"
    cached = store.cached_results().set_index("id").loc["2501.00000"]
    assert cached["status"] == "failed" and json.loads(cached["payload"]) == {"retryable": True}
    again = summarize(store.papers(), settings, store, progress=False).attrs["report"]
    assert (again.requested, again.failed) == (1, 0)
    assert store.papers().set_index("id").loc["2501.00000", "tldr"] == "TLDR of Paper Alpha"


def cli_project(tmp_path, url: str, **llm) -> str:
    """A project whose summaries go to `url`, fast: no back-off, `llm` settings on top."""
    settings = {"base_url": url, "model": "fake-model", "api_key_env": KEY_ENV,
                "backoff_seconds": 0, "retries": 1, **llm}
    (tmp_path / "litscope.yml").write_text("llm: {" + ", ".join(f"{k}: {v}" for k, v in settings.items())
                                           + "}\n", encoding="utf-8")
    from litscope.store import Store
    Store(tmp_path / "data").add_papers(make_papers(2))
    return str(tmp_path / "data")


@pytest.mark.parametrize("failing", ["500", "hang", "refused"])
@pytest.mark.slow
def test_when_every_paper_fails_the_command_says_so_and_exits_2(openai_server, key, tmp_path,
                                                                monkeypatch, capsys, failing):
    url = refused_url() if failing == "refused" else openai_server.url
    data = cli_project(tmp_path, url, timeout_seconds=0.3)
    openai_server.plan("Paper", *[Reply(status=500) if failing == "500" else hang()] * 4)
    monkeypatch.chdir(tmp_path)
    assert main(["summarize", "--data", data]) == 2
    out, err = capsys.readouterr()
    assert "summaries (fake-model, en): 2 papers, 0 new, 0 cached" in out and "2 failed" in out
    expected = {"500": "HTTP 500 from", "hang": "no answer from", "refused": "cannot connect to"}[failing]
    assert all(expected in line and "gave up after 2 attempts" in line
               for line in out.splitlines() if line.startswith("  2501."))
    assert err.splitlines()[-1] == "litscope: error: all 2 papers failed, none got a summary (reasons above)"
    assert "Traceback" not in err


def test_failures_the_model_gave_before_are_reported_with_a_hint_and_exit_0(openai_server, key,
                                                                            tmp_path, monkeypatch,
                                                                            capsys):
    """A daily job is not failed again by answers the model gave in an earlier run."""
    data = cli_project(tmp_path, openai_server.url)
    openai_server.plan("Paper", *[Reply(content='{"tldr": ""}')] * 4)
    monkeypatch.chdir(tmp_path)
    assert main(["summarize", "--data", data]) == 2
    capsys.readouterr()
    sent = len(openai_server.requests)
    assert main(["summarize", "--data", data]) == 0
    out = capsys.readouterr().out
    assert len(openai_server.requests) == sent and "2 failed" in out
    assert all("in an earlier run; --force asks again" in line
               for line in out.splitlines() if line.startswith("  2501."))


@pytest.mark.slow
def test_when_some_papers_fail_the_command_exits_0(openai_server, key, tmp_path, monkeypatch, capsys):
    data = cli_project(tmp_path, openai_server.url)
    openai_server.plan("Paper Alpha", *[HTML] * 2)
    monkeypatch.chdir(tmp_path)
    assert main(["summarize", "--data", data]) == 0
    assert "1 new" in capsys.readouterr().out and main(["summarize", "--data", data]) == 0


def test_a_key_echoed_by_the_endpoint_is_neither_stored_nor_printed(openai_server, settings, store,
                                                                    tmp_path, capsys):
    store.add_papers(make_papers(1))
    openai_server.plan("Paper Alpha", ECHO_KEY)
    out = summarize(store.papers(), settings, store, progress=False)
    assert out.loc[0, "tldr"] == "TLDR of Paper Alpha (your key: ***)"
    assert KEY not in store.cached_results()["payload"][0]
    print(out.to_string(), store.papers().to_string())
    assert KEY not in capsys.readouterr().out
    assert KEY.encode() not in b"".join(f.read_bytes() for f in store.path.parent.iterdir())


def test_a_short_placeholder_key_is_not_masked(openai_server, settings, store, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "EMPTY")          # what vLLM's docs tell people to set
    store.add_papers(make_papers(1, title="EMPTY sets"))
    out = summarize(store.papers(), settings, store, progress=False)
    assert out.loc[0, "tldr"] == "TLDR of EMPTY sets"


# -- rate limits, server errors, timeouts, concurrency --------------------------------------
def test_429_waits_as_long_as_retry_after_says(openai_server, settings, store):
    store.add_papers(make_papers(2))
    openai_server.plan("Paper Alpha", Reply(status=429, headers={"retry-after": "7"}),
                       Reply(status=429, headers={"retry-after-ms": "1500"}))
    clock = FakeClock()
    client = fake_client(settings.model_copy(update={"concurrency": 1}), clock)
    out = summarize(store.papers(), store=store, client=client, progress=False)
    assert clock.sleeps == [7.0, 1.5]
    assert out.attrs["report"].failed == 0 and out.attrs["report"].requests == 4
    assert len(requests_for(openai_server, "Alpha")) == 3


@pytest.mark.slow
def test_429_spaces_the_retry_in_real_time(openai_server, settings, store):
    store.add_papers(make_papers(1))
    openai_server.plan("Paper Alpha", Reply(status=429, headers={"retry-after": "1"}))
    summarize(store.papers(), settings, store, progress=False)
    first, second = openai_server.requests
    assert second["time"] - first["time"] >= 1.0


@pytest.mark.slow
def test_429_pauses_every_thread(openai_server, settings, store):
    """The rate limit is per key: after one 429, no thread sends before Retry-After ends."""
    store.add_papers(make_papers(8))
    openai_server.plan("Paper Alpha", Reply(status=429, headers={"retry-after": "1"}))
    openai_server.delay = 0.3
    summarize(store.papers(), settings.model_copy(update={"concurrency": 4}), store, progress=False)
    limited = requests_for(openai_server, "Alpha")[0]["done"]
    # Without the pause, the other threads would send again when their answers come (+0.3 s);
    # a request already on its way when the 429 went out may still arrive just after it.
    later = [r["time"] - limited for r in openai_server.requests if r["time"] > limited + 0.15]
    assert len(later) >= 4 and min(later) >= 1.0


def test_a_retry_after_longer_than_allowed_stops_the_runs_requests(openai_server, settings, store):
    """A rate limit that asks for an hour holds for every paper: the run stops asking (the
    answers it had are kept), where every remaining paper used to send its request."""
    store.add_papers(make_papers(4))
    openai_server.plan("Paper Bravo", Reply(status=429, headers={"retry-after": "3600"}))
    clock = FakeClock()
    client = fake_client(settings.model_copy(update={"concurrency": 1}), clock)
    with pytest.raises(LLMError, match=r"HTTP 429 from http://127\.0\.0\.1:\d+/v1/: fake error 429; the "
                                       r"server asks to wait 3600 s, more than llm\.max_backoff_seconds "
                                       r"\(120 s\): no more requests this run; try again later"):
        summarize(store.papers(), store=store, client=client, progress=False)
    assert clock.sleeps == [] and len(openai_server.requests) == 2   # Alpha's, then Bravo's
    assert set(store.cached_results()["id"]) == {"2501.00000"}      # Alpha's answer is kept


def test_server_errors_back_off_exponentially_then_succeed(openai_server, settings, store):
    store.add_papers(make_papers(1))
    openai_server.plan("Paper Alpha", Reply(status=500), Reply(status=503))
    clock = FakeClock()
    client = fake_client(settings.model_copy(update={"backoff_seconds": 2.0}), clock)
    out = summarize(store.papers(), store=store, client=client, progress=False)
    assert clock.sleeps == [2.0, 4.0]
    assert out.attrs["report"].failed == 0 and len(openai_server.requests) == 3


@pytest.mark.slow
def test_persistent_server_errors_fail_the_paper_and_are_retried_next_run(openai_server, settings,
                                                                           store):
    store.add_papers(make_papers(2))
    openai_server.plan("Paper Alpha", *[Reply(status=502)] * 3)
    clock = FakeClock()
    client = fake_client(settings.model_copy(update={"retries": 2, "backoff_seconds": 1.0,
                                                      "max_backoff_seconds": 1.5}), clock)
    out = summarize(store.papers(), store=store, client=client, progress=False)
    assert clock.sleeps == [1.0, 1.5]                         # doubled, then capped
    reason = out.attrs["report"].failures["2501.00000"]
    assert "HTTP 502" in reason and "3 attempts" in reason
    again = summarize(store.papers(), settings, store, progress=False)
    assert again.attrs["report"].requested == 1 and again.attrs["report"].failed == 0


def test_a_client_error_is_not_retried(openai_server, settings, store):
    store.add_papers(make_papers(2))
    openai_server.plan("Paper Alpha", Reply(status=400, content="context too long"))
    out = summarize(store.papers(), settings, store, progress=False)
    assert len(requests_for(openai_server, "Alpha")) == 1
    assert "HTTP 400" in out.attrs["report"].failures["2501.00000"]
    assert "context too long" in out.attrs["report"].failures["2501.00000"]


@pytest.mark.slow
def test_a_slow_answer_times_out_and_is_recorded(openai_server, settings, store):
    store.add_papers(make_papers(2))
    openai_server.plan("Paper Alpha", Reply(delay=5), Reply(delay=5))
    slow = settings.model_copy(update={"timeout_seconds": 0.3, "retries": 1})
    out = summarize(store.papers(), slow, store, progress=False)
    reason = out.attrs["report"].failures["2501.00000"]
    assert "within 0.3 s" in reason and "2 attempts" in reason
    assert len(requests_for(openai_server, "Alpha")) == 2
    assert out.set_index("id").loc["2501.00001", "tldr"] == "TLDR of Paper Bravo"
    assert store.cached_results().set_index("id").loc["2501.00000", "status"] == "failed"


@pytest.mark.slow
def test_concurrency_is_bounded(openai_server, settings, store):
    store.add_papers(make_papers(8))
    openai_server.delay = 0.15
    summarize(store.papers(), settings.model_copy(update={"concurrency": 3}), store, progress=False)
    assert len(openai_server.requests) == 8
    assert openai_server.max_in_flight == 3


def test_a_wrong_key_or_model_stops_the_batch_with_a_clear_error(openai_server, settings, store):
    store.add_papers(make_papers(3))
    before = store.papers()
    openai_server.plan("Paper", Reply(status=401, content="invalid api key"))
    with pytest.raises(LLMError, match=f"HTTP 401 .*invalid api key.*\\${KEY_ENV}"):
        summarize(store.papers(), settings.model_copy(update={"concurrency": 1}), store,
                  progress=False)
    assert store.papers().equals(before)
    assert len(openai_server.requests) == 1


# -- the key --------------------------------------------------------------------------------
@pytest.mark.slow
def test_the_key_appears_in_no_output(openai_server, settings, store, tmp_path, caplog, capsys,
                                      monkeypatch):
    caplog.set_level(logging.DEBUG)
    store.add_papers(make_papers(5))
    openai_server.plan("Paper Alpha", Reply(status=429, headers={"retry-after": "0"}))
    openai_server.plan("Paper Bravo", Reply(content=f"bad {KEY}"), Reply(content=f"bad {KEY}"))
    openai_server.plan("Paper Charlie", Reply(status=400, content=f"Incorrect API key {KEY}"))
    openai_server.plan("Paper Delta", *[Reply(status=500, content=f"boom {KEY}")] * 4)
    outputs, reports = [], []
    for run in (summarize, translate):
        out = run(store.papers(), settings, store)
        reports.append(out.attrs["report"])
        outputs += [out.to_json(date_format="iso"), str(out.attrs["report"]), repr(out.attrs["report"])]
    assert "Incorrect API key ***" in reports[0].failures["2501.00002"]
    openai_server.plan("Paper", Reply(status=403, content=f"key {KEY} is revoked"))
    with pytest.raises(LLMError) as error:
        summarize(store.papers(), settings, store, force=True)
    outputs.append(str(error.value))
    project = tmp_path / "project"
    project.mkdir()
    (project / "litscope.yml").write_text(f"llm:\n  base_url: {openai_server.url}\n"
                                          f"  api_key_env: {KEY_ENV}\n")
    monkeypatch.chdir(project)
    assert main(["summarize", "--data", str(store.path.parent), "--force"]) == 0
    assert main(["summarize", "--data", str(store.path.parent), "--dry-run"]) == 0
    captured = capsys.readouterr()
    assert any(f"Bearer {KEY}" == r["authorization"] for r in openai_server.requests)
    texts = [*outputs, captured.out, captured.err, caplog.text]
    assert all(KEY not in text for text in texts)
    assert "boom ***" in caplog.text and "revoked" in outputs[-1]   # they did report the errors
    for file in tmp_path.rglob("*"):
        if file.is_file():
            assert KEY.encode() not in file.read_bytes(), file


# -- dry run --------------------------------------------------------------------------------
def test_a_dry_run_counts_and_estimates_without_sending_or_writing(openai_server, settings, store):
    store.add_papers(make_papers(3))
    summarize(store.papers().head(1), settings, store, progress=False)
    before, cache = store.papers(), store.cached_results()
    out = summarize(store.papers(), settings, store, dry_run=True, progress=False)
    report = out.attrs["report"]
    assert len(openai_server.requests) == 1
    assert (report.papers, report.cached, report.requested) == (3, 1, 2)
    prompt_chars = sum(len(m["content"]) for m in openai_server.requests[0]["body"]["messages"])
    assert 0.9 < report.input_tokens / (2 * prompt_chars / 4) < 1.1
    assert report.output_tokens == 2 * 350
    assert str(report).startswith("dry run, summaries (fake-model, en): 2 of 3 papers would be sent")
    assert store.papers().equals(before) and store.cached_results().equals(cache)


# -- imported summaries, the offline fallback -----------------------------------------------
def test_imported_summaries_are_kept(openai_server, settings, store):
    papers = make_papers(2)
    papers.loc[0, ["tldr", "summary_source"]] = ["the digest's TL;DR", "imported"]
    store.add_papers(papers)
    out = summarize(store.papers(), settings, store, force=True, progress=False)
    assert len(openai_server.requests) == 1 and out.attrs["report"].kept == 1
    assert store.papers().set_index("id").loc["2501.00000", "tldr"] == "the digest's TL;DR"


def test_without_an_endpoint_summaries_are_extractive(store, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    papers = make_papers(3)
    papers.loc[0, ["tldr", "summary_source"]] = ["imported TL;DR", "imported"]
    papers.loc[1, "abstract"] = None
    store.add_papers(papers)
    out = summarize(store.papers(), LLMSettings(), store, progress=False)
    report = out.attrs["report"]
    assert (report.extractive, report.kept, report.skipped) == (1, 1, 1)
    row = store.papers().set_index("id").loc["2501.00002"]
    assert row["summary_source"] == "extractive"
    assert row["tldr"] in split_sentences(ABSTRACT.format(name="Charlie"))
    assert row["tldr"] in row["summary"] and "https://" not in row["summary"]
    assert store.papers().set_index("id").loc["2501.00000", "tldr"] == "imported TL;DR"
    assert summarize(store.papers(), None, store, progress=False).attrs["report"].extractive == 0


def test_an_llm_summary_replaces_an_extractive_one_but_never_the_reverse(openai_server, settings,
                                                                          store, monkeypatch):
    store.add_papers(make_papers(1))
    summarize(store.papers(), None, store, progress=False)
    summarize(store.papers(), settings, store, progress=False)
    row = store.papers().iloc[0]
    assert row["summary_source"] == "llm:fake-model" and row["summary"] is pd.NA
    monkeypatch.delenv(KEY_ENV)
    out = summarize(store.papers(), None, store, force=True, progress=False)
    assert out.attrs["report"].extractive == 0
    assert store.papers().iloc[0]["tldr"] == "TLDR of Paper Alpha"


@pytest.mark.slow
def test_every_sample_paper_gets_a_summary(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    papers = load_sample()
    out = summarize(papers, LLMSettings(), progress=False)
    summarised = out[[*SUMMARY_FIELDS, "summary"]].notna().any(axis=1)
    assert summarised[out["abstract"].notna()].all()
    assert set(out["summary_source"].dropna()) == {"imported", "extractive"}
    assert out.attrs["report"].extractive == (papers["summary_source"].isna()
                                              & papers["tldr"].isna()).sum()


def test_extractive_picks_the_central_sentence():
    text = ("Speculative decoding speeds up language model inference. "
            "The weather in the city was pleasant and sunny all week. "
            "Tree drafts make speculative decoding of language models faster. "
            "Tree drafts are built from Medusa heads on a language model.")
    tldr, summary = extractive_summary(text)
    assert tldr == "Tree drafts make speculative decoding of language models faster."
    assert "weather" not in summary                                  # the off-topic sentence
    assert summary.index("Speculative decoding") < summary.index("Tree drafts are")
    assert extractive_summary("") == (None, None)
    assert extractive_summary("Only one sentence here.") == ("Only one sentence here.",) * 2


def test_sentences_split_on_english_and_chinese_punctuation():
    assert split_sentences("Fast. Faster! Really? 更快。真的！") == ["Fast.", "Faster!", "Really?",
                                                                   "更快。", "真的！"]
    assert split_sentences("We use 3.5 GB, i.e. little. Done.") == ["We use 3.5 GB, i.e. little.",
                                                                    "Done."]
    assert split_sentences("Heads, e.g. Medusa, as in Chen et al. 2023. Done.") == [
        "Heads, e.g. Medusa, as in Chen et al. 2023.", "Done."]


def test_an_extractive_summarizer_fits_once_and_summarises_many():
    texts = [ABSTRACT.format(name=n) for n in NAMES]
    summarizer = ExtractiveSummarizer(n_sentences=2).fit(texts)
    results = [summarizer.summarize(t) for t in texts]
    assert all(len(split_sentences(summary)) == 2 for _, summary in results)
    only_stop_words = "The and of the. A an is it."
    assert ExtractiveSummarizer().fit([only_stop_words]).summarize(only_stop_words)[0] == "The and of the."


# -- translation ----------------------------------------------------------------------------
@pytest.mark.slow
def test_translation_fills_title_zh_and_abstract_zh_through_the_cache(openai_server, settings, store):
    papers = make_papers(3)
    papers.loc[0, ["title_zh", "abstract_zh"]] = ["已有标题", "已有摘要"]
    papers.loc[1, "title_zh"] = "只有标题"
    store.add_papers(papers)
    out = translate(store.papers(), settings, store, progress=False)
    rows = store.papers().set_index("id")
    assert rows.loc["2501.00000", "title_zh"] == "已有标题"                 # kept
    assert rows.loc["2501.00001", ["title_zh", "abstract_zh"]].tolist() == [
        "只有标题", "译 " + ABSTRACT.format(name="Bravo")]                  # only the gap filled
    assert rows.loc["2501.00002", "title_zh"] == "译 Paper Charlie"
    assert out.attrs["report"].kept == 1 and len(openai_server.requests) == 2
    assert "translate" in openai_server.requests[0]["body"]["messages"][0]["content"]
    assert LANGUAGES["zh"] in openai_server.requests[0]["body"]["messages"][0]["content"]
    store.update_many({"2501.00002": {"title_zh": None}})
    translate(store.papers(), settings, store, progress=False)
    assert len(openai_server.requests) == 2                              # from the cache
    assert set(store.cached_results()["kind"]) == {"translation"}
    translate(store.papers(), settings, store, force=True, progress=False)
    assert store.papers().set_index("id").loc["2501.00000", "title_zh"] == "译 Paper Alpha"


def test_translation_into_other_languages_adds_columns(openai_server, settings, store):
    store.add_papers(make_papers(1, abstract=None))
    out = translate(store.papers(), settings, store, language="ja", progress=False)
    assert out.loc[0, "title_ja"] == "译 Paper Alpha" and out.loc[0, "abstract_ja"] is pd.NA
    assert "title_ja" not in store.papers()
    assert "(none)" in openai_server.requests[0]["body"]["messages"][1]["content"]


def test_translation_needs_an_endpoint(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(LLMError, match=r"llm.base_url .*\$OPENAI_API_KEY"):
        translate(make_papers(1), LLMSettings())


# -- tags, notes and the CLI ----------------------------------------------------------------
def test_tags_are_added_and_removed_atomically(store):
    store.add_papers(make_papers(1, tags=["old"]))
    assert store.tag("2501.00000", add=["new", "old", " spaced "]) == ["old", "new", "spaced"]
    assert store.tag("2501.00000", remove=["old"]) == ["new", "spaced"]
    assert store.papers().loc[0, "tags"] == ["new", "spaced"]
    with pytest.raises(StoreError, match="tag must not be empty"):
        store.tag("2501.00000", add=[" "])
    with pytest.raises(StoreError, match="no paper with id 'nope'"):
        store.tag("nope", add=["x"])


def test_update_many_is_all_or_nothing(store):
    store.add_papers(make_papers(2))
    with pytest.raises(StoreError, match="no paper with id 'missing'"):
        store.update_many({"2501.00000": {"topic": "A"}, "missing": {"topic": "B"}})
    assert store.papers()["topic"].isna().all()
    with pytest.raises(StoreError, match="cannot set field"):
        store.update_many({"2501.00000": {"title": "x"}})


@pytest.mark.slow
def test_cli_tag_note_summarize_and_translate(openai_server, key, tmp_path, monkeypatch, capsys):
    (tmp_path / "litscope.yml").write_text(
        f"llm:\n  base_url: {openai_server.url}\n  model: fake-model\n  api_key_env: {KEY_ENV}\n")
    monkeypatch.chdir(tmp_path)
    from litscope.store import Store
    store = Store(tmp_path / "data")
    store.add_papers(make_papers(3))
    store.set_label("2501.00002", "include")
    assert main(["tag", "2501.00001v2", "to-read", "decoding"]) == 0
    assert main(["tag", "https://arxiv.org/abs/2501.00001", "--remove", "to-read"]) == 0
    assert main(["note", "2501.00001", "compare", "with", "Medusa"]) == 0
    assert main(["summarize", "--label", "include", "--dry-run"]) == 0
    assert main(["summarize", "--limit", "2", "--language", "zh"]) == 0
    assert main(["translate", "--label", "include"]) == 0
    assert main(["note", "nope", "text"]) == 2
    out, err = capsys.readouterr()
    assert store.papers().set_index("id").loc["2501.00001", "tags"] == ["decoding"]
    assert store.notes().set_index("id").loc["2501.00001", "note"] == "compare with Medusa"
    assert "2501.00001: decoding\n" in out
    assert "dry run, summaries (fake-model, en): 1 of 1 paper would be sent" in out
    assert "summaries (fake-model, zh): 2 papers, 2 new" in out
    assert "translations (fake-model, zh): 1 paper, 1 new" in out
    assert len(openai_server.requests) == 3
    assert err.strip().splitlines()[-1] == f"litscope: error: no paper with id 'nope' in {store.path}"
    assert main(["note", "2501.00001", ""]) == 0 and store.notes().empty


def test_cli_summarize_offline_is_extractive(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    from litscope.store import Store
    Store(tmp_path / "data").add_papers(make_papers(2))
    assert main(["summarize", "--data", str(tmp_path / "data")]) == 0
    assert "summaries (extractive, no LLM endpoint): 2 papers summarised" in capsys.readouterr().out
    assert main(["translate", "--data", str(tmp_path / "data")]) == 2
    assert "translation needs an LLM endpoint" in capsys.readouterr().err
