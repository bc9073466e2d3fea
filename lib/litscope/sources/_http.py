"""The one polite HTTP client for every arXiv interface: the search API, the listing feeds
and OAI-PMH.

arXiv asks for at most one request every 3 seconds over one connection, whichever of its
services is asked, so one `ArxivClient` spaces all of a run's requests, reads each answer
with a deadline and a size cap (`litscope.net`), retries failures with exponential back-off
(honouring ``Retry-After``, which OAI-PMH uses for flow control) and hands each answer to a
check that refuses what is not a complete document of the expected kind. Every failure
ends as one `FetchError` naming the URL.
"""
from __future__ import annotations

import logging
import math
import re
import time
from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar
from urllib.parse import urlencode

import arxiv
import httpx
from lxml import etree
from tqdm.auto import tqdm

from ..config import ArxivSettings, check_polite_delay
from ..errors import FetchError
from ..net import (MiB, AnswerTooLarge, AnswerTooSlow, GaveUp, Limits, RedirectRefused, Retry,
                   RetryPolicy, WaitTooLong, http_client, parse_retry_after)

__all__ = ["ArxivClient", "Refused", "Retry", "XML_PARSER"]

log = logging.getLogger(__name__)
USER_AGENT = f"litscope (arxiv.py/{arxiv.__version__})"
T = TypeVar("T")
#: Parses arXiv's documents strictly (a cut-off page is an error, not a shorter page), offline.
XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
#: Waits at least this long get a countdown bar of their own.
_VISIBLE_WAIT = 5.0


class Refused(Exception):
    """A final answer: the server refused the request (the URL is added to the message)."""


def is_arxiv_host(host: str) -> bool:
    """Whether `host` is arxiv.org or one of its subdomains."""
    host = host.lower().rstrip(".")
    return host == "arxiv.org" or host.endswith(".arxiv.org")


class ArxivClient:
    """Talks to arXiv's API, feeds and OAI-PMH interface as arXiv asks: ``delay_seconds``
    between requests, a deadline and a size cap on every answer, retries with back-off.
    `clock` and `sleep` are injectable for tests; `requests` counts HTTP requests (retries
    included) and `waited` the seconds spent waiting for spacing and back-off."""

    def __init__(self, settings: ArxivSettings | None = None, base_url: str | None = None, *,
                 feed_url: str | None = None, oai_url: str | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.settings = settings = settings or ArxivSettings()
        self.base_url = base_url or settings.base_url
        self.feed_url = feed_url or settings.feed_url
        self.oai_url = oai_url or settings.oai_url
        self.requests = 0
        self.waited = 0.0
        self.bar: tqdm | None = None   # the running command's requests bar, if any
        self.policy = RetryPolicy(settings.retries, settings.backoff_seconds, settings.max_backoff_seconds)
        limits = Limits(settings.deadline_seconds, int(settings.max_answer_mb * MiB), settings.timeout_seconds)
        self._session = http_client(limits, (self.base_url, self.feed_url, self.oai_url),
                                    headers={"user-agent": USER_AGENT}, other_hosts=self._arxiv_redirect)
        self._redirects: set[tuple[str, str]] = set()
        # URLs whose delay passed check_polite_delay: the API's at once, the others when asked
        check_polite_delay(self.base_url, settings.delay_seconds)
        self._checked = {self.base_url}
        self._clock, self._sleep = clock, sleep
        self._ready_at = -math.inf   # clock time before which no request may start

    def request(self, url: str, check: Callable[[httpx.Response], T], *,
                params: dict | None = None, data: dict | None = None, what: str = "arXiv API") -> T:
        """GET `url` with `params` (or POST `data`) and return ``check(response)``.

        `check` raises `Retry` for an answer worth asking again (a malformed page) and
        `Refused` for a final one.
        """
        if url not in self._checked:   # whichever of arXiv's hosts it asks, once
            check_polite_delay(url, self.settings.delay_seconds)
            self._checked.add(url)
        shown = (f"{url}?{urlencode(params)}" if params else url) if data is None else \
            f"{url} (POST {', '.join(f'{k}=' + _short(v) for k, v in data.items())})"

        def attempt(n: int) -> T:
            try:
                return check(self._attempt(url, params, data, shown, n, what))
            except Refused as refusal:
                raise FetchError(f"{refusal}: {shown}", shown, n) from None

        def wait(seconds: float, problem: Retry) -> None:
            self._ready_at = max(self._ready_at, self._clock() + seconds)
            self._note(f"retrying in {seconds:.0f} s: {problem}")

        try:
            return self.policy.run(attempt, wait)
        except WaitTooLong as stop:
            raise FetchError(f"{what}: {stop.problem} at {shown} asks to wait {stop.seconds:.0f} s, longer "
                             f"than arxiv.max_backoff_seconds ({self.settings.max_backoff_seconds:g} s): "
                             f"no more requests this run; try again later", shown, stop.attempts) from None
        except GaveUp as stop:
            raise FetchError(f"{what}: {stop.problem} at {shown} (gave up after {stop.attempts} "
                             f"attempts; try again later)", shown, stop.attempts) from None

    def _attempt(self, url: str, params: dict | None, data: dict | None, shown: str, attempt: int,
                 what: str) -> httpx.Response:
        self._wait(self._ready_at - self._clock())
        self.requests += 1
        if self.bar is not None:
            self.bar.update()
        settings = self.settings
        try:
            if data is None:
                response = self._session.get(url, params=params)
            else:
                response = self._session.post(url, data=data)
        except (httpx.UnsupportedProtocol, httpx.InvalidURL):
            raise FetchError(f"{what} URL {url!r} is not a URL: fix it in litscope.yml (arxiv:) or "
                             f"the environment variable that sets it", shown, attempt) from None
        except AnswerTooLarge as exc:
            raise Refused(f"{what}: {exc} (arxiv.max_answer_mb); raise it in litscope.yml if such "
                          f"an answer is right") from None
        except RedirectRefused as exc:
            raise Refused(f"{what}: redirected to {exc.target}, another host, which litscope does not "
                          f"follow") from None
        except AnswerTooSlow:
            raise Retry(f"no whole answer within {settings.deadline_seconds:g} s "
                        f"(arxiv.deadline_seconds)") from None
        except httpx.TimeoutException:
            raise Retry(f"no answer within {settings.timeout_seconds:g} s") from None
        except httpx.HTTPError as exc:
            raise Retry(_network_problem(exc)) from None
        finally:
            self._ready_at = self._clock() + settings.delay_seconds
        if response.status_code == 429 or response.status_code >= 500:
            raise Retry(f"HTTP {response.status_code} {response.reason_phrase}",
                        parse_retry_after(response.headers))
        return response

    def _arxiv_redirect(self, old: httpx.URL, new: httpx.URL) -> bool:
        """Whether to follow a redirect to another host: from one of arXiv's hosts to
        another only, and then say so, once."""
        if not (is_arxiv_host(old.host) and is_arxiv_host(new.host)):
            return False
        if (old.host, new.host) not in self._redirects:
            self._redirects.add((old.host, new.host))
            log.warning("%s redirects to %s, another of arXiv's hosts: followed; put the new address "
                        "in litscope.yml (arxiv:) to save the detour", old, new)
        return True

    def _wait(self, seconds: float) -> None:
        if seconds <= 0:
            return
        self.waited += seconds
        if seconds < _VISIBLE_WAIT or self.bar is None or self.bar.disable:
            self._note(f"waiting {seconds:.1f} s for arXiv's pace")
            self._sleep(seconds)
            self._note("")
            return
        with tqdm(total=round(seconds), unit="s", desc="waiting (arXiv's pace)", leave=False,
                  disable=None) as countdown:
            left = seconds
            while left > 0:
                step = min(1.0, left)
                self._sleep(step)
                left -= step
                countdown.update(step)

    def _note(self, text: str) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(text)

    @contextmanager
    def progress(self, total: int | None, desc: str) -> Iterator[tqdm]:
        """A requests bar for one command: the client counts each request on it and shows
        its waits for arXiv's pace."""
        with tqdm(total=total, unit="request", desc=desc, disable=None) as bar:
            self.bar = bar
            try:
                yield bar
            finally:
                self.bar = None


def _short(value) -> str:
    text = str(value)
    return text if len(text) <= 60 else f"{text[:40]}... ({text.count(',') + 1} items)"


def _network_problem(exc: httpx.HTTPError) -> str:
    match = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", str(exc))
    return f"cannot connect ({match.group(1).strip()})" if match else f"network error ({type(exc).__name__})"
