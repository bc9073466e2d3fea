"""The one polite HTTP client for every arXiv interface: the search API, the listing feeds
and OAI-PMH.

arXiv asks for at most one request every 3 seconds over one connection, whichever of its
services is asked, so one `ArxivClient` spaces all of a run's requests, times them out,
retries failures with exponential back-off (honouring ``Retry-After``, which OAI-PMH uses
for flow control) and hands each answer to a check that refuses what is not a complete
document of the expected kind. Every failure ends as one `FetchError` naming the URL.
"""
from __future__ import annotations

import email.utils
import itertools
import math
import re
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Callable, Iterator, TypeVar
from urllib.parse import urlencode

import arxiv
import requests
from lxml import etree
from tqdm.auto import tqdm

from ..config import ArxivSettings, check_polite_delay
from ..errors import FetchError

USER_AGENT = f"litscope (arxiv.py/{arxiv.__version__})"
T = TypeVar("T")
#: Parses arXiv's documents strictly (a cut-off page is an error, not a shorter page), offline.
XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
#: Waits at least this long get a countdown bar of their own.
_VISIBLE_WAIT = 5.0


class Retry(Exception):
    """An attempt that failed in a way worth repeating; `retry_after` is the server's wish."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


class Refused(Exception):
    """A final answer: the server refused the request (the URL is added to the message)."""


class ArxivClient:
    """Talks to arXiv's API, feeds and OAI-PMH interface as arXiv asks: ``delay_seconds``
    between requests, timeouts, retries with back-off. `clock` and `sleep` are injectable
    for tests; `requests` counts HTTP requests (retries included) and `waited` the seconds
    spent waiting for spacing and back-off."""

    def __init__(self, settings: ArxivSettings | None = None, base_url: str | None = None, *,
                 feed_url: str | None = None, oai_url: str | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.settings = settings or ArxivSettings()
        self.base_url = base_url or self.settings.base_url
        self.feed_url = feed_url or self.settings.feed_url
        self.oai_url = oai_url or self.settings.oai_url
        self.requests = 0
        self.waited = 0.0
        self.bar: tqdm | None = None   # the running command's requests bar, if any
        self._session = requests.Session()
        # URLs whose delay passed check_polite_delay: the API's at once, the others when asked
        check_polite_delay(self.base_url, self.settings.delay_seconds)
        self._checked = {self.base_url}
        self._clock, self._sleep = clock, sleep
        self._ready_at = -math.inf   # clock time before which no request may start

    def request(self, url: str, check: Callable[[requests.Response], T], *,
                params: dict | None = None, data: dict | None = None, what: str = "arXiv API",
                retry: Callable[[Retry], bool] = lambda problem: True) -> T:
        """GET `url` with `params` (or POST `data`) and return ``check(response)``.

        `check` raises `Retry` for an answer worth asking again (a malformed page) and
        `Refused` for a final one.
        """
        if url not in self._checked:   # whichever of arXiv's hosts it asks, once
            check_polite_delay(url, self.settings.delay_seconds)
            self._checked.add(url)
        shown = (f"{url}?{urlencode(params)}" if params else url) if data is None else \
            f"{url} (POST {', '.join(f'{k}=' + _short(v) for k, v in data.items())})"
        for attempt in itertools.count(1):
            try:
                return check(self._attempt(url, params, data, shown, attempt, what))
            except Refused as refusal:
                raise FetchError(f"{refusal}: {shown}", shown, attempt) from None
            except Retry as problem:
                if attempt > self.settings.retries:
                    raise FetchError(f"{what}: {problem} at {shown} (gave up after {attempt} "
                                     f"attempts; try again later)", shown, attempt) from None
                wait = self._backoff(attempt, problem, shown, what)
                self._ready_at = max(self._ready_at, self._clock() + wait)
                self._note(f"retrying in {wait:.0f} s: {problem}")

    def _backoff(self, attempt: int, problem: Retry, url: str, what: str) -> float:
        settings = self.settings
        wait = min(settings.backoff_seconds * 2 ** (attempt - 1), settings.max_backoff_seconds)
        if problem.retry_after is not None:
            if problem.retry_after > settings.max_backoff_seconds:
                raise FetchError(f"{what}: {problem} at {url} asks to wait {problem.retry_after:.0f} s, "
                                 f"longer than arxiv.max_backoff_seconds ({settings.max_backoff_seconds:g} s); "
                                 f"try again later", url, attempt)
            wait = max(wait, problem.retry_after)
        return wait

    def _attempt(self, url: str, params: dict | None, data: dict | None, shown: str, attempt: int,
                 what: str) -> requests.Response:
        self._wait(self._ready_at - self._clock())
        self.requests += 1
        if self.bar is not None:
            self.bar.update()
        try:
            if data is None:
                response = self._session.get(url, params=params, headers={"user-agent": USER_AGENT},
                                             timeout=self.settings.timeout_seconds)
            else:
                response = self._session.post(url, data=data, headers={"user-agent": USER_AGENT},
                                              timeout=self.settings.timeout_seconds)
        except (requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema,
                requests.exceptions.InvalidURL):
            raise FetchError(f"{what} URL {url!r} is not a URL: fix it in litscope.yml (arxiv:) or "
                             f"the environment variable that sets it", shown, attempt) from None
        except requests.Timeout:
            raise Retry(f"no answer within {self.settings.timeout_seconds:g} s") from None
        except requests.RequestException as exc:
            raise Retry(_network_problem(exc)) from None
        finally:
            self._ready_at = self._clock() + self.settings.delay_seconds
        if response.status_code == 429 or response.status_code >= 500:
            raise Retry(f"HTTP {response.status_code} {response.reason}",
                        _retry_after(response.headers.get("Retry-After")))
        return response

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


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _network_problem(exc: requests.RequestException) -> str:
    match = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", str(exc))
    return f"cannot connect ({match.group(1).strip()})" if match else f"network error ({type(exc).__name__})"
