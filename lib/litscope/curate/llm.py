"""Talking to any OpenAI-compatible chat endpoint: one client, its retry policy, JSON answers.

The `openai` package's own retries are switched off (``max_retries=0``) so that the policy
is litscope's one `RetryPolicy` (`litscope.net`, which the arXiv client follows too): back-off
on 429, 408/409, 5xx, timeouts and dropped connections, honouring ``Retry-After`` (a 429
pauses every thread, since the limit is per key; one that asks for a longer wait than
``llm.max_backoff_seconds`` stops the run's requests), with an injectable clock and sleep.
Every answer is read through `litscope.net`'s transport: one deadline for the whole answer
and a size cap, decompression included. An answer that is not the chat completion promised
(an HTML page, broken JSON, no choices, no content) is a failure of the endpoint like a
5xx: retried, and retried again on the next run. The API key is read from the environment
variable named in `LLMSettings.api_key_env`, handed only to the `openai` client, and masked
in every message and answer (an endpoint may echo it), so it is never printed or stored.
"""
from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, TypeVar

import openai
from pydantic import BaseModel, ValidationError

from ..config import LLMSettings
from ..errors import LLMError
from ..net import (MiB, AnswerTooLarge, AnswerTooSlow, GaveUp, Limits, RedirectRefused, Retry,
                   RetryPolicy, WaitTooLong, http_client, parse_retry_after)

if TYPE_CHECKING:
    import httpx   # the openai client's transport

log = logging.getLogger(__name__)

#: Statuses worth another attempt; 401/403/404 mean a wrong key, model or URL for every paper.
RETRY_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504, 520, 522, 524, 529})
ABORT_STATUS = frozenset({401, 403, 404})
#: Shorter "keys" (``EMPTY``, ``ollama``) are placeholders for local servers, not secrets:
#: masking them would garble answers.
MIN_SECRET_LENGTH = 8

Answer = TypeVar("Answer", bound=BaseModel)
Answered = TypeVar("Answered")


class _BadAnswer(Exception):
    """An HTTP 200 that is not a chat completion with content; says what it is instead."""


class RequestFailed(LLMError):
    """One paper's request failed for good; the batch goes on.

    `retryable` is True for transport failures (worth trying again on a later run) and
    False for answers the model got wrong twice.
    """

    def __init__(self, message: str, attempts: int, retryable: bool):
        super().__init__(message)
        self.attempts = attempts
        self.retryable = retryable


def endpoint_configured(settings: LLMSettings | None) -> bool:
    """Whether an endpoint is set up: a `base_url`, or a key in the named variable."""
    return settings is not None and bool(settings.base_url or os.environ.get(settings.api_key_env))


def parse_json(text: str, schema: type[Answer]) -> Answer:
    """Validate a model's answer against `schema`, tolerating code fences and chatter around
    the object; raises ValueError saying what is wrong."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        raise ValueError("the answer holds no JSON object")
    try:
        return schema.model_validate(json.loads(text[start:end + 1]))
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON ({exc.msg} at character {exc.pos})") from None
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(object)"
        raise ValueError(f"field {field!r}: {first['msg']}") from None


class LLMClient:
    """An OpenAI-compatible chat endpoint with litscope's retry policy; safe to share
    between threads. `requests`, `input_tokens` and `output_tokens` count what it used."""

    def __init__(self, settings: LLMSettings, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic):
        if not endpoint_configured(settings):
            raise LLMError(f"no LLM endpoint: set llm.base_url in litscope.yml and/or put the "
                           f"API key in ${settings.api_key_env}")
        self.settings = settings
        self._key = os.environ.get(settings.api_key_env) or ""
        self.policy = RetryPolicy(settings.retries, settings.backoff_seconds, settings.max_backoff_seconds)
        limits = Limits(settings.deadline_seconds, int(settings.max_answer_mb * MiB), settings.timeout_seconds)
        # Local servers (Ollama, vLLM) need no key, but the client insists on one.
        self._client = openai.OpenAI(
            api_key=self._key or "none", base_url=settings.base_url, timeout=settings.timeout_seconds,
            max_retries=0, http_client=http_client(limits, [settings.base_url or "https://api.openai.com/v1"]))
        self.endpoint = self.redact(str(self._client.base_url))
        self._sleep, self._clock = sleep, clock
        self._lock = threading.Lock()
        self._paused_until = 0.0
        self._fatal: LLMError | None = None   # once set, no thread sends another request
        self.requests = self.input_tokens = self.output_tokens = 0

    def __repr__(self) -> str:
        return f"LLMClient({self.endpoint!r}, model={self.settings.model!r})"

    def redact(self, text: str) -> str:
        """`text` with the API key masked."""
        return text.replace(self._key, "***") if len(self._key) >= MIN_SECRET_LENGTH else text

    def chat(self, messages: list[dict[str, str]]) -> str:
        """The assistant's reply to `messages`, retrying transient failures per the settings."""
        s = self.settings
        extra: dict[str, Any] = {"response_format": {"type": "json_object"}} if s.json_mode else {}
        return self._request(s.model, lambda: self._reply(
            self._client.chat.completions.with_raw_response.create(
                model=s.model, messages=messages, **extra).http_response))

    def embed(self, texts: list[str], model: str) -> list[list[float]]:
        """One embedding per text from the endpoint's ``/embeddings``, in order."""
        return self._request(model, lambda: self._vectors(
            self._client.embeddings.with_raw_response.create(
                model=model, input=texts, encoding_format="float").http_response, len(texts)))

    def _request(self, model: str, send: Callable[[], Answered]) -> Answered:
        """`send()`'s result, retrying transient failures per the settings."""
        s = self.settings

        def attempt(n: int) -> Answered:
            self._wait_if_paused()
            if self._fatal:
                raise LLMError(str(self._fatal))
            try:
                return send()
            except _BadAnswer as exc:
                raise Retry(f"the answer from {self.endpoint} {exc}") from None
            except openai.APIStatusError as exc:
                self._count()
                problem = f"HTTP {exc.status_code} from {self.endpoint}: {self._message(exc)}"
                if exc.status_code in ABORT_STATUS:
                    raise self._stop(f"{problem} -- check llm.base_url, the model ({model!r}) and the "
                                     f"key in ${s.api_key_env}") from None
                if exc.status_code not in RETRY_STATUS:
                    raise RequestFailed(problem, n, retryable=False) from None
                raise Retry(problem, parse_retry_after(exc.response.headers)) from None
            except openai.APITimeoutError as exc:
                self._count()
                if isinstance(exc.__cause__, AnswerTooSlow):
                    raise Retry(f"no whole answer from {self.endpoint} within {s.deadline_seconds:g} s "
                                f"(llm.deadline_seconds)") from None
                raise Retry(f"no answer from {self.endpoint} within {s.timeout_seconds:g} s") from None
            except openai.APIConnectionError as exc:
                self._count()
                cause = exc.__cause__
                if isinstance(cause, AnswerTooLarge):
                    raise RequestFailed(f"{self.endpoint} sent {cause} (llm.max_answer_mb)", n,
                                        retryable=True) from None
                if isinstance(cause, RedirectRefused):
                    raise self._stop(self.redact(f"{cause} -- check llm.base_url")) from None
                raise Retry(f"cannot connect to {self.endpoint} ({self.redact(str(cause or exc))})") from None

        def wait(seconds: float, problem: Retry) -> None:
            log.warning("%s; retrying in %.1f s", problem, seconds)
            if problem.retry_after is not None:
                self._pause_all(seconds)
            else:
                self._sleep(seconds)

        try:
            return self.policy.run(attempt, wait)
        except WaitTooLong as stop:
            raise self._stop(f"{stop.problem}; the server asks to wait {stop.seconds:.0f} s, more than "
                             f"llm.max_backoff_seconds ({s.max_backoff_seconds:g} s): no more requests "
                             f"this run; try again later") from None
        except GaveUp as stop:
            raise RequestFailed(f"{stop.problem} (gave up after {stop.attempts} attempt"
                                f"{'s' if stop.attempts > 1 else ''})", stop.attempts, retryable=True) from None

    def _stop(self, message: str) -> LLMError:
        """The error that ends the run: once set, no thread sends another request."""
        self._fatal = LLMError(message)
        return self._fatal

    def _body(self, response: httpx.Response) -> Any:
        """A response's JSON body, counting its tokens; `_BadAnswer` when it is not JSON."""
        try:
            body = response.json()
        except RecursionError:
            self._count()
            raise _BadAnswer("is JSON nested too deeply") from None
        except ValueError as exc:
            kind = response.headers.get("content-type", "no content type").split(";")[0].strip()
            self._count()
            if "json" not in kind:
                raise _BadAnswer(f"is {kind}, not JSON") from None
            raise _BadAnswer(f"is broken JSON ({exc})") from None
        usage = body.get("usage") if isinstance(body, dict) else None
        usage = usage if isinstance(usage, dict) else {}
        self._count(*(n if isinstance(n, int) else 0
                      for n in (usage.get("prompt_tokens"), usage.get("completion_tokens"))))
        return body

    def _vectors(self, response: httpx.Response, n: int) -> list[list[float]]:
        """The `n` embeddings in an embeddings response, in input order; `_BadAnswer` else."""
        body = self._body(response)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list) or len(data) != n or not all(
                isinstance(d, dict) and isinstance(d.get("embedding"), list) for d in data):
            raise _BadAnswer(f"is not {n} embeddings")
        return [d["embedding"] for d in sorted(data, key=lambda d: d.get("index", 0))]

    def _reply(self, response: httpx.Response) -> str:
        """The assistant's text in a chat completion (the key masked), counting its tokens;
        `_BadAnswer` when the response is not one."""
        body = self._body(response)
        choices = body.get("choices") if isinstance(body, dict) else None
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise _BadAnswer("is not a chat completion (no choices)")
        message = choices[0].get("message")
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, str) or not content.strip():
            raise _BadAnswer("has no message content")
        return self.redact(content)

    def ask_json(self, messages: list[dict[str, str]], schema: type[Answer]) -> Answer:
        """A reply validated against `schema`; an invalid one is shown to the model and asked
        again once, then the paper fails."""
        for attempt in (1, 2):
            answer = self.chat(messages)
            try:
                return parse_json(answer, schema)
            except ValueError as exc:
                problem = str(exc)
            log.info("invalid answer from %s (%s)%s", self.endpoint, problem,
                     "; asking again" if attempt == 1 else "")
            messages = [*messages, {"role": "assistant", "content": answer},
                        {"role": "user", "content": f"That reply is not valid: {problem}. Reply "
                                                    f"with only the JSON object."}]
        raise RequestFailed(f"invalid answer twice: {problem}", 2, retryable=False)

    def _message(self, exc: openai.APIStatusError) -> str:
        """The server's error message (the client unwraps ``{"error": {...}}`` into `body`)."""
        text = (exc.body.get("message") if isinstance(exc.body, dict) else None) or exc.message
        return self.redact(re.sub(r"\s+", " ", str(text)))[:300]

    def _count(self, input_tokens: int = 0, output_tokens: int = 0) -> None:
        with self._lock:
            self.requests += 1
            self.input_tokens += input_tokens
            self.output_tokens += output_tokens

    def _pause_all(self, seconds: float) -> None:
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def _wait_if_paused(self) -> None:
        with self._lock:
            remaining = self._paused_until - self._clock()
        if remaining > 0:
            self._sleep(remaining)
