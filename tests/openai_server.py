"""A fake OpenAI-compatible server on 127.0.0.1, for the real `openai` client.

``POST /v1/embeddings`` answers each input with `fake_embedding` (words hashed into 32
dimensions, so texts sharing words get similar vectors); planned `Reply`s with an error
status apply to it too. ``POST /v1/chat/completions`` answers: requests whose messages contain a planned text get
the planned `Reply`s in order (then the default); every other request gets a valid JSON
summary (or translation, when the system prompt asks to translate) built from the
``Title:`` line of the user message. It logs each request (``time`` it came, ``done`` when the
answer went out, ``authorization``, ``body``) and the most requests it had in flight at once.

The bad answers endpoints give are ready-made: `HTML`, `BROKEN_JSON`, `NO_CHOICES`, `EMPTY`
(a ``{}`` body), `NO_CONTENT`, `ECHO_KEY` (a summary holding the caller's key), `hang(s)`;
`refused_url()` is a base URL where nothing listens.
"""
from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


@dataclass
class Reply:
    """One scripted answer: an assistant `content` (None: the default answer), or an HTTP
    error `status` with `content` as its message; extra `headers`; sent after `delay` s.
    `body` replaces the whole HTTP body (sent as `content_type`); `echo_key` puts the key
    the request came with into the summary; `answer` writes the whole response itself."""
    content: str | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    body: str | None = None
    content_type: str = "application/json"
    echo_key: bool = False
    answer: Callable | None = None   # writes the whole response instead (see hostile_http.py)


HTML = Reply(body="<html><body><h1>502 Bad Gateway</h1></body></html>", content_type="text/html")
BROKEN_JSON = Reply(body='{"id": "chatcmpl-1", "choices": [{"message": {"content": "{\\"tl')
NO_CHOICES = Reply(body='{"id": "chatcmpl-1", "object": "chat.completion", "choices": []}')
EMPTY = Reply(body="{}")
NO_CONTENT = Reply(body='{"id": "chatcmpl-1", "object": "chat.completion", "choices": '
                        '[{"index": 0, "message": {"role": "assistant", "content": null}}]}')
ECHO_KEY = Reply(echo_key=True)


def hang(seconds: float = 30.0) -> Reply:
    """An answer that comes after `seconds` (the server lets it go when it stops)."""
    return Reply(delay=seconds)


def refused_url() -> str:
    """A base URL on 127.0.0.1 where nothing listens: connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


EMBEDDING_DIM = 32


def fake_embedding(text: str) -> list[float]:
    """Counts of the text's lower-cased words hashed (stably) into `EMBEDDING_DIM` slots."""
    import zlib
    vector = [0.0] * EMBEDDING_DIM
    for word in re.findall(r"\w+", text.lower()):
        vector[zlib.crc32(word.encode()) % EMBEDDING_DIM] += 1.0
    return vector


def summary_answer(title: str) -> dict[str, str]:
    return {"tldr": f"TLDR of {title}", "motivation": f"Why {title}", "method": f"How {title}",
            "result": f"Results of {title}", "conclusion": f"So {title}"}


def translation_answer(title: str, abstract: str) -> dict[str, str]:
    return {"title": f"译 {title}", "abstract": f"译 {abstract}" if abstract != "(none)" else ""}


class FakeOpenAI:
    """The server; use as a context manager. `url` is the ``base_url`` for the client."""

    def __init__(self, delay: float = 0.0):
        self.delay = delay                      # default delay of every answer, seconds
        self.requests: list[dict[str, Any]] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._plans: list[tuple[str, deque[Reply]]] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def plan(self, match: str, *replies: Reply) -> None:
        """Answer the next requests that mention `match` with `replies`, in order."""
        self._plans.append((match, deque(replies)))

    def _next_reply(self, text: str) -> Reply:
        with self._lock:
            for match, replies in self._plans:
                if match in text and replies:
                    return replies.popleft()
        return Reply(delay=self.delay)

    def _embeddings(self, body: dict[str, Any]) -> tuple[Reply, str]:
        texts = body.get("input") or []
        texts = [texts] if isinstance(texts, str) else texts
        reply = self._next_reply("\n".join(map(str, texts)))
        if reply.body is not None:
            return reply, reply.body
        if reply.status != 200:
            message = reply.content or f"fake error {reply.status}"
            return reply, json.dumps({"error": {"message": message, "type": "fake"}})
        return reply, json.dumps({
            "object": "list", "model": body.get("model"),
            "data": [{"object": "embedding", "index": i, "embedding": fake_embedding(t)}
                     for i, t in enumerate(texts)],
            "usage": {"prompt_tokens": 10 * len(texts), "total_tokens": 10 * len(texts)}})

    def _answer(self, body: dict[str, Any], authorization: str | None) -> tuple[Reply, str]:
        messages = body.get("messages") or []
        reply = self._next_reply("\n".join(str(m.get("content")) for m in messages))
        if reply.body is not None:
            return reply, reply.body
        if reply.status != 200:
            message = reply.content or f"fake error {reply.status}"
            return reply, json.dumps({"error": {"message": message, "type": "fake"}})
        content = reply.content
        if content is None:
            user = next(m["content"] for m in messages if m["role"] == "user")
            title = re.search(r"^Title: (.*)$", user, re.M).group(1)
            abstract = user.split("Abstract:\n", 1)[-1]
            answer = (translation_answer(title, abstract) if "translate" in messages[0]["content"]
                      else summary_answer(title))
            if reply.echo_key:
                answer = {key: f"{text} (your key: {(authorization or '').removeprefix('Bearer ')})"
                          for key, text in answer.items()}
            content = json.dumps(answer, ensure_ascii=False)
        return reply, json.dumps({
            "id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion",
            "created": int(time.time()), "model": body.get("model"),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150}},
            ensure_ascii=False)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
                entry = {"time": time.monotonic(), "path": self.path,
                         "authorization": self.headers.get("authorization"), "body": body}
                with server._lock:
                    server.requests.append(entry)
                    server._in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server._in_flight)
                try:
                    if self.path == "/v1/chat/completions":
                        reply, payload = server._answer(body, entry["authorization"])
                    elif self.path == "/v1/embeddings":
                        reply, payload = server._embeddings(body)
                    else:
                        reply, payload = Reply(status=404), json.dumps({"error": {"message": "no such path"}})
                    server._closing.wait(reply.delay)
                finally:
                    # Leave the count before answering, so the client's next request never
                    # overlaps this one in the tally.
                    with server._lock:
                        server._in_flight -= 1
                        entry["done"] = time.monotonic()
                if reply.answer is not None:
                    reply.answer(self)
                    return
                data = payload.encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", reply.content_type)
                    self.send_header("content-length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass   # the client timed out and hung up

        return Handler
