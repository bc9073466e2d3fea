"""litscope.net: the one way every HTTP client reads an answer (a deadline for the whole
answer, a size cap after decompression, no redirect to another host) and the one retry
policy, against hostile servers on 127.0.0.1."""
from __future__ import annotations

import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

import hostile_http
from cli import run_in as run
from openai_server import Reply

from litscope.net import (MiB, AnswerTooLarge, AnswerTooSlow, GaveUp, Limits, RedirectRefused, Retry,
                          RetryPolicy, WaitTooLong, http_client, parse_retry_after)
from litscope.schema import papers_frame
from litscope.store import Store


class Server:
    """A server on 127.0.0.1 that gives each request the next scripted `hostile_http` answer."""

    def __init__(self):
        self.answers: list = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.answers.pop(0)(self)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


def client(deadline: float = 5.0, max_bytes: int = MiB, read_timeout: float = 10.0, **kw) -> httpx.Client:
    return http_client(Limits(deadline, max_bytes, read_timeout), [], **kw)


@pytest.mark.slow
def test_a_whole_answer_has_one_deadline_however_it_trickles(server):
    """One byte a second never trips a per-read timeout of 10 s; the deadline ends it, in the
    headers as in the body."""
    server.answers = [hostile_http.dribble(b"<feed/>" * 50),
                      hostile_http.body(b"x" * 10, "text/plain")]
    started = time.monotonic()
    with pytest.raises(AnswerTooSlow, match="no whole answer within 2 s"):
        client(deadline=2).get(server.url)
    assert 1.9 <= time.monotonic() - started < 4
    assert client(deadline=2).get(server.url).content == b"x" * 10


@pytest.mark.slow
def test_a_body_that_trickles_after_quick_headers_is_cut_at_the_deadline(server):
    def headers_then_dribble(handler):
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        hostile_http._send(handler, (b"x" for _ in range(1000)), 0.5)
    server.answers = [headers_then_dribble]
    started = time.monotonic()
    with pytest.raises(AnswerTooSlow):
        client(deadline=2).get(server.url)
    assert time.monotonic() - started < 4


@pytest.mark.parametrize("declared", [True, False])
def test_an_answer_over_the_cap_is_refused_while_it_streams(server, declared):
    """Declared too long, it is refused before its body; undeclared, once the cap is
    passed: never read whole."""
    server.answers = [hostile_http.huge(50 * MiB, declared=declared)]
    with pytest.raises(AnswerTooLarge, match="more than 1 MiB"):
        client().get(server.url)


@pytest.mark.slow
def test_a_gzip_bomb_is_inflated_no_further_than_the_cap(server):
    server.answers = [hostile_http.gzip_bomb(64 * MiB), hostile_http.gzip_bomb(MiB // 2)]
    with pytest.raises(AnswerTooLarge, match="more than 1 MiB"):
        client().get(server.url)
    assert client().get(server.url).content == bytes(MiB // 2)   # a small one inflates as usual


def test_a_redirect_to_another_host_is_refused_unless_allowed(server):
    other = server.url.replace("127.0.0.1", "localhost")
    server.answers = [hostile_http.redirect(other + "x"), hostile_http.redirect("/same"),
                      hostile_http.body(b"here", "text/plain"), hostile_http.redirect(other + "y"),
                      hostile_http.body(b"there", "text/plain")]
    with pytest.raises(RedirectRefused, match=f"{server.url} redirects to {other}x, another host"):
        client().get(server.url)
    assert client().get(server.url).content == b"here"            # the same host: followed
    allowed = client(other_hosts=lambda old, new: new.host == "localhost")
    assert allowed.get(server.url).content == b"there"


def test_retry_after_parses_seconds_milliseconds_and_dates():
    assert parse_retry_after({"Retry-After": "3"}) == 3.0
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    assert 28 <= parse_retry_after({"retry-after": date}) <= 30
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


def test_the_retry_policy_backs_off_exponentially_capped_and_honours_retry_after():
    policy = RetryPolicy(retries=4, backoff_seconds=5, max_backoff_seconds=12)
    waits: list[float] = []
    problems = iter([Retry("503"), Retry("503"), Retry("429", retry_after=11), Retry("503")])

    def attempt(n: int) -> str:
        problem = next(problems, None)
        if problem:
            raise problem
        return f"done at {n}"
    assert policy.run(attempt, lambda seconds, problem: waits.append(seconds)) == "done at 5"
    assert waits == [5, 10, 12, 12]           # doubled, capped; Retry-After 11 < the 12 s cap


def test_the_retry_policy_gives_up_and_stops_at_a_long_retry_after():
    policy = RetryPolicy(retries=2, backoff_seconds=0, max_backoff_seconds=60)
    with pytest.raises(GaveUp) as gave_up:
        policy.run(lambda n: (_ for _ in ()).throw(Retry("timeout")), lambda s, p: None)
    assert gave_up.value.attempts == 3 and str(gave_up.value.problem) == "timeout"
    with pytest.raises(WaitTooLong) as stopped:
        policy.run(lambda n: (_ for _ in ()).throw(Retry("429", retry_after=3600)), lambda s, p: None)
    assert stopped.value.attempts == 1 and stopped.value.seconds == 3600


# -- through the command line: fetch (API, feed, OAI-PMH), update, summarize ----------------
#: What the bomb and big-answer cases may take at most, and a hang case at most.
PEAK_MIB, HANG_SECONDS = 768, 90
CHAT = b'{"choices": [{"message": {"content": "'


def with_papers(review, n: int = 2) -> None:
    Store(review / "data").add_papers(papers_frame([
        {"id": f"2512.0000{i}", "title": f"Paper {i}", "abstract": f"We study thing {i}.", "source": "test",
         "published": "2025-12-05T10:00:00Z"} for i in range(1, n + 1)]))


@pytest.mark.parametrize("args", [["fetch", "--since", "2025-12-01", "--until", "2025-12-01"],
                                  ["fetch", "--new"], ["fetch", "--bulk", "--since", "2025-12-01"],
                                  ["update", "--date", "2025-12-05"]])
@pytest.mark.slow
def test_a_server_sending_a_byte_a_second_ends_each_fetch(review, arxiv_server, args):
    """Every interface, and the daily update, used to wait for it for ever."""
    arxiv_server.hostile(hostile_http.dribble(b"<feed/>" * 200), times=2)
    done = run(review, *args)
    assert done.failed_cleanly(), done.stderr
    assert "no whole answer within 3 s (arxiv.deadline_seconds)" in done.error
    assert "(gave up after 2 attempts; try again later)" in done.error
    assert done.seconds < HANG_SECONDS and len(arxiv_server.requests) == 2


@pytest.mark.slow
def test_an_llm_endpoint_sending_a_byte_a_second_fails_its_papers_in_time(review, openai_server):
    with_papers(review)
    openai_server.plan("Paper", *[Reply(answer=hostile_http.dribble(CHAT * 100, "application/json"))] * 4)
    done = run(review, "summarize")
    assert done.failed_cleanly() and done.seconds < HANG_SECONDS, done.stderr
    assert "no whole answer from http://127.0.0.1" in done.stdout
    assert "within 3 s (llm.deadline_seconds) (gave up after 2 attempts)" in done.stdout
    assert done.error == "litscope: error: all 2 papers failed, none got a summary (reasons above)"


@pytest.mark.slow
def test_the_update_goes_on_when_the_llm_endpoint_dribbles(review, arxiv_server, openai_server):
    openai_server.plan("Paper", *[Reply(answer=hostile_http.dribble(CHAT * 100, "application/json"))] * 20)
    openai_server.plan("Title", *[Reply(answer=hostile_http.dribble(CHAT * 100, "application/json"))] * 20)
    done = run(review, "update", "--date", "2025-12-05")
    assert done.returncode == 0, done.stderr
    assert done.seconds < HANG_SECONDS and "; 3 failed" in done.stdout
    assert re.search(r"  first failure: 2512\.\d{5}: no whole answer from \S+ within 3 s", done.stdout)
    assert "(and 2 more: 'litscope summarize' lists each)" in done.stdout


@pytest.mark.slow
def test_a_500_mb_feed_answer_is_refused_at_the_cap_in_bounded_memory(review, arxiv_server):
    arxiv_server.hostile(hostile_http.huge(500 << 20, head=b"<rss><channel><item><title>", fill=b"a"))
    done = run(review, "fetch", "--new")
    assert done.failed_cleanly(), done.stderr
    assert done.error.startswith("litscope: error: arXiv feed: an answer of more than 64 MiB "
                                 "(arxiv.max_answer_mb); raise it in litscope.yml if such an answer is "
                                 f"right: {arxiv_server.feed_url}cs.CL")
    assert done.peak_mib < PEAK_MIB and len(arxiv_server.requests) == 1


@pytest.mark.slow
def test_a_huge_oai_page_stores_nothing_and_a_cap_from_the_config_holds(review, arxiv_server):
    page = (b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords><record><header/><metadata>'
            b'<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>2512.00001</id><abstract>')
    arxiv_server.hostile(hostile_http.huge(500 << 20, head=page, fill=b"a"))
    done = run(review, "fetch", "--bulk", "--since", "2025-12-01")
    assert done.failed_cleanly() and "an answer of more than 64 MiB" in done.error
    assert done.peak_mib < PEAK_MIB and Store(review / "data").count() == 0
    config = (review / "litscope.yml").read_text(encoding="utf-8")
    (review / "litscope.yml").write_text(config.replace("deadline_seconds: 3}", "deadline_seconds: 3, "
                                                        "max_answer_mb: 0.5}", 1), encoding="utf-8")
    arxiv_server.hostile(hostile_http.huge(2 << 20, head=page, fill=b"a", declared=True))
    capped = run(review, "fetch", "--bulk", "--since", "2025-12-01")
    assert capped.failed_cleanly() and "an answer of 2.0 MiB, more than 0.5 MiB" in capped.error


@pytest.mark.slow
def test_a_gzip_bomb_is_refused_once_without_inflating(review, arxiv_server):
    """1 MiB of gzip that inflates to 1 GiB: it used to peak at 2.2 GB, and again on retry."""
    arxiv_server.hostile(hostile_http.gzip_bomb(1 << 30), times=2)
    done = run(review, "fetch", "--since", "2025-12-01", "--until", "2025-12-01")
    assert done.failed_cleanly() and "arXiv API: an answer of more than 64 MiB" in done.error
    assert done.peak_mib < PEAK_MIB and len(arxiv_server.requests) == 1


@pytest.mark.slow
def test_a_200_mb_chat_completion_fails_its_paper_and_stores_nothing(review, openai_server):
    with_papers(review, 1)
    openai_server.plan("Paper", Reply(answer=hostile_http.huge(200 << 20, "application/json", head=CHAT)))
    done = run(review, "summarize")
    assert done.failed_cleanly() and done.peak_mib < PEAK_MIB
    assert f"sent an answer of more than 32 MiB (llm.max_answer_mb)" in done.stdout
    assert Store(review / "data").papers()["tldr"].isna().all()


@pytest.mark.slow
def test_a_tldr_of_a_million_characters_is_an_invalid_answer(review, openai_server):
    with_papers(review, 1)
    long = '{"tldr": "' + "x" * 1_000_000 + '", "motivation": "", "method": "", "result": "", "conclusion": ""}'
    openai_server.plan("Paper", Reply(content=long), Reply(content=long))
    done = run(review, "summarize")
    assert done.failed_cleanly() and "invalid answer twice: field 'tldr'" in done.stdout
    assert Store(review / "data").papers()["tldr"].isna().all()


@pytest.mark.parametrize("where", ["content", "body"])
@pytest.mark.slow
def test_1500_nested_brackets_from_the_model_fail_the_paper_not_the_run(review, openai_server, where):
    """They used to end 'summarize' and 'update' in a RecursionError while the paper was in the window."""
    with_papers(review, 1)
    nested = "[" * 1500 + "]" * 1500
    reply = Reply(content='{"tldr": ' + nested + "}") if where == "content" else Reply(body=nested)
    openai_server.plan("Paper", reply, reply, reply, reply)
    done = run(review, "summarize")
    assert done.failed_cleanly(), done.stderr
    assert "nested too deeply" in done.stdout


@pytest.mark.slow
def test_a_long_retry_after_stops_the_runs_llm_requests(review, openai_server):
    with_papers(review, 5)
    openai_server.plan("Paper", Reply(status=429, headers={"retry-after": "3600"}))
    done = run(review, "summarize")
    assert done.failed_cleanly()
    assert done.error.endswith("the server asks to wait 3600 s, more than llm.max_backoff_seconds (120 s): "
                               "no more requests this run; try again later")
    assert len(openai_server.requests) == 1


@pytest.mark.slow
def test_redirects_to_another_host_are_refused_and_named(review, arxiv_server, openai_server):
    other = arxiv_server.url.replace("127.0.0.1", "localhost")
    arxiv_server.hostile(hostile_http.redirect(other))
    done = run(review, "fetch", "--since", "2025-12-01", "--until", "2025-12-01")
    assert done.failed_cleanly()
    assert done.error.startswith(f"litscope: error: arXiv API: redirected to {other}, another host, which "
                                 f"litscope does not follow: {arxiv_server.url}?search_query=")
    with_papers(review, 2)
    openai_server.plan("Paper", Reply(answer=hostile_http.redirect("http://localhost:9/v1/chat/completions")))
    done = run(review, "summarize")
    assert done.failed_cleanly() and "redirects to http://localhost:9/v1/chat/completions" in done.error
    assert len(openai_server.requests) == 1
