"""litscope.net: the one way every HTTP client reads an answer (a deadline for the whole
answer, a size cap after decompression, no redirect to another host) and the one retry
policy, against hostile servers on 127.0.0.1."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

import hostile_http
from litscope.net import (MiB, AnswerTooLarge, AnswerTooSlow, GaveUp, Limits, RedirectRefused, Retry,
                          RetryPolicy, WaitTooLong, http_client, parse_retry_after)


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
