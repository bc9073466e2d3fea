"""How every litscope HTTP client reads an answer, and when it asks again.

One transport serves the arXiv client (API, listing feeds, OAI-PMH) and the LLM client
(chat completions, embeddings). Each answer gets one deadline for the whole exchange —
connecting, the headers, every byte of the body — enforced on every socket read, so a
server that sends one byte a second is cut off like one that sends nothing; and one size
cap, counted while the body streams in and after decompression (the transport inflates
gzip and deflate itself, in bounded steps, so a small bomb never inflates past the cap).
Redirects to another host are refused unless the client allows that host, and then
named. `RetryPolicy` is the one back-off policy: exponential, capped, honouring
``Retry-After`` (parsed by `parse_retry_after`), and a server that asks for a longer
wait than the cap ends the run's requests instead of being asked again.
"""
from __future__ import annotations

import email.utils
import itertools
import threading
import time
import urllib.request
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Mapping, TypeVar

import httpcore
import httpx

from .compat import replace_connection_pool

MiB = 1 << 20
T = TypeVar("T")


# -- limits -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Limits:
    """What one answer may take: `deadline` seconds in all, `max_bytes` bytes once
    decompressed, `read_timeout` seconds of silence between two reads."""
    deadline: float
    max_bytes: int
    read_timeout: float

    def describe_size(self) -> str:
        return f"{self.max_bytes / MiB:g} MiB"


class AnswerTooLarge(httpx.TransportError):
    """The answer (decompressed) is bigger than the client's cap."""


class AnswerTooSlow(httpx.ReadTimeout):
    """The whole answer did not come within the client's deadline."""


class RedirectRefused(httpx.TransportError):
    """A redirect to a host the client does not talk to (`target`)."""

    def __init__(self, message: str, target: httpx.URL):
        super().__init__(message)
        self.target = target


_deadline = threading.local()   # when the answer this thread is reading must be complete


@contextmanager
def _until(at: float) -> Iterator[None]:
    before = getattr(_deadline, "at", None)
    _deadline.at = at
    try:
        yield
    finally:
        _deadline.at = before


def _left(timeout: float | None) -> float | None:
    """`timeout` shortened to the time left before this thread's deadline."""
    at = getattr(_deadline, "at", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket whose every read and write waits no longer than the deadline allows."""

    def __init__(self, stream: httpcore.NetworkStream):
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _left(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, _left(timeout)))

    def get_extra_info(self, info: str):
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's sockets, each a `_DeadlineStream`."""

    def __init__(self):
        self._backend = httpcore.SyncBackend()

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        return _DeadlineStream(self._backend.connect_tcp(host, port, _left(timeout), local_address,
                                                         socket_options))

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        return _DeadlineStream(self._backend.connect_unix_socket(path, _left(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


# -- the transport ----------------------------------------------------------------------------
#: What the clients accept; the transport inflates these itself.
ACCEPT_ENCODING = "gzip, deflate"


class BoundedTransport(httpx.HTTPTransport):
    """httpx's transport with `limits` on every answer (see the module docstring)."""

    def __init__(self, limits: Limits, proxy: str | None = None):
        super().__init__(proxy=proxy)
        replace_connection_pool(self, _DeadlineBackend(), proxy)   # sockets that keep the deadline
        self.limits = limits

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        at = time.monotonic() + self.limits.deadline
        with _until(at), _slow(at, self.limits):
            response = super().handle_request(request)
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        declared = response.headers.get("content-length", "")
        try:
            if encoding not in ("identity", "gzip", "x-gzip", "deflate"):
                raise httpx.DecodingError(f"an answer in the content encoding {encoding!r}, which "
                                          f"litscope did not ask for")
            if encoding == "identity" and declared.isdigit() and int(declared) > self.limits.max_bytes:
                raise AnswerTooLarge(f"an answer of {int(declared) / MiB:,.1f} MiB, more than "
                                     f"{self.limits.describe_size()}")
        except httpx.HTTPError:
            response.close()
            raise
        headers = [(k, v) for k, v in response.headers.raw
                   if k.lower() not in (b"content-encoding", b"content-length")]
        return httpx.Response(response.status_code, headers=headers, extensions=response.extensions,
                              stream=_BoundedStream(response.stream, encoding, at, self.limits))


@contextmanager
def _slow(at: float, limits: Limits) -> Iterator[None]:
    """A read timeout at the deadline, told apart from one of a silent server."""
    try:
        yield
    except httpx.TimeoutException as exc:
        if time.monotonic() >= at - 0.05:
            raise AnswerTooSlow(f"no whole answer within {limits.deadline:g} s") from exc
        raise


class _BoundedStream(httpx.SyncByteStream):
    """An answer's body, inflated in bounded steps, counted against the cap and read
    before the deadline."""

    def __init__(self, stream: httpx.SyncByteStream, encoding: str, at: float, limits: Limits):
        self._stream, self._at, self._limits = stream, at, limits
        self._inflate = None if encoding == "identity" else zlib.decompressobj(zlib.MAX_WBITS | 32)

    def __iter__(self) -> Iterator[bytes]:
        size, chunks = 0, iter(self._stream)
        while True:
            with _until(self._at), _slow(self._at, self._limits):
                chunk = next(chunks, None)
                if chunk is not None and time.monotonic() > self._at:
                    raise httpx.ReadTimeout("the deadline passed")
            if chunk is None:
                break
            for piece in self._pieces(chunk, size):
                size += len(piece)
                if size > self._limits.max_bytes:
                    raise AnswerTooLarge(f"an answer of more than {self._limits.describe_size()}")
                yield piece
        if self._inflate is not None and not self._inflate.eof:
            raise httpx.DecodingError("a compressed answer that stops before its end")

    def _pieces(self, chunk: bytes, size: int) -> Iterable[bytes]:
        if self._inflate is None:
            yield chunk
            return
        while chunk and not self._inflate.eof:
            try:   # never more than one byte past the cap at a time
                yield self._inflate.decompress(chunk, self._limits.max_bytes - size + 1)
            except zlib.error as exc:
                raise httpx.DecodingError(f"a compressed answer that does not inflate ({exc})") from None
            chunk = self._inflate.unconsumed_tail

    def close(self) -> None:
        self._stream.close()


def _proxy(url: str) -> str | None:
    """The proxy the environment names for `url` (``https_proxy``, ``no_proxy``, ...)."""
    parts = httpx.URL(url)
    if parts.host in ("localhost", "127.0.0.1", "::1") or urllib.request.proxy_bypass(parts.host):
        return None
    return urllib.request.getproxies().get(parts.scheme)


def http_client(limits: Limits, urls: Iterable[str], *, headers: Mapping[str, str] | None = None,
                other_hosts: Callable[[httpx.URL, httpx.URL], bool] = lambda old, new: False,
                ) -> httpx.Client:
    """An `httpx.Client` whose answers keep `limits`, for the `urls` it will ask (each host
    through the proxy the environment names for it). A redirect to another host is refused
    (`RedirectRefused`) unless ``other_hosts(from_url, to_url)`` allows it."""
    def check_redirect(response: httpx.Response) -> None:
        location = response.headers.get("location")
        if not response.is_redirect or location is None:
            return
        target = response.request.url.join(location)
        if target.host != response.request.url.host and not other_hosts(response.request.url, target):
            raise RedirectRefused(f"{response.request.url} redirects to {target}, another host; "
                                  f"litscope does not follow it", target)

    mounts = {f"all://{httpx.URL(u).host}": BoundedTransport(limits, proxy)
              for u in urls if (proxy := _proxy(u))}
    return httpx.Client(transport=BoundedTransport(limits), mounts=mounts or None, trust_env=False,
                        follow_redirects=True, timeout=httpx.Timeout(limits.read_timeout),
                        headers={"accept-encoding": ACCEPT_ENCODING, **(headers or {})},
                        event_hooks={"response": [check_redirect]})


# -- retries ----------------------------------------------------------------------------------
class Retry(Exception):
    """An attempt that failed in a way worth repeating; `retry_after` is the server's wish."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


class GaveUp(Exception):
    """Every attempt failed; `problem` is the last one's `Retry`."""

    def __init__(self, problem: Retry, attempts: int):
        super().__init__(str(problem))
        self.problem, self.attempts = problem, attempts


class WaitTooLong(GaveUp):
    """The server asks for a wait (`seconds`) longer than the policy allows."""

    def __init__(self, problem: Retry, attempts: int, seconds: float):
        super().__init__(problem, attempts)
        self.seconds = seconds


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``Retry-After-Ms`` or ``Retry-After`` (seconds or an HTTP
    date); None without either or when neither reads."""
    lower = {k.lower(): v for k, v in headers.items()}
    if (ms := lower.get("retry-after-ms")) is not None:
        try:
            return max(float(ms) / 1000, 0.0)
        except ValueError:
            pass
    value = lower.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


@dataclass(frozen=True)
class RetryPolicy:
    """`retries` more attempts after the first, the n-th waiting ``backoff_seconds * 2**(n-1)``
    capped at `max_backoff_seconds`, or longer when the server's ``Retry-After`` says so; a
    server asking for more than `max_backoff_seconds` is not asked again."""
    retries: int
    backoff_seconds: float
    max_backoff_seconds: float

    def delay(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait after failed attempt `attempt`; None when the server's wish is
        longer than the cap."""
        if retry_after is not None and retry_after > self.max_backoff_seconds:
            return None
        backoff = min(self.backoff_seconds * 2 ** (attempt - 1), self.max_backoff_seconds)
        return max(backoff, retry_after or 0.0)

    def run(self, attempt: Callable[[int], T], wait: Callable[[float, Retry], None]) -> T:
        """``attempt(n)`` until it returns, calling ``wait(seconds, problem)`` between
        attempts that raised `Retry`; `GaveUp` (or `WaitTooLong`) when it should stop."""
        for n in itertools.count(1):
            try:
                return attempt(n)
            except Retry as problem:
                if n > self.retries:
                    raise GaveUp(problem, n) from None
                seconds = self.delay(n, problem.retry_after)
                if seconds is None:
                    raise WaitTooLong(problem, n, problem.retry_after) from None
                wait(seconds, problem)
