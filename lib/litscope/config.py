"""Review projects: a folder with a `litscope.yml`, found by walking up like git does.

All defaults live in the pydantic models below; `litscope.yml` only says what differs.
"""
from __future__ import annotations

import ipaddress
import logging
import os
import re
from datetime import date
from pathlib import Path
from typing import Literal, TypeVar
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ConfigError

CONFIG_NAME = "litscope.yml"
#: Environment variables that override the project's settings.
ENV_DATA = "LITSCOPE_DATA"
ENV_ARXIV_URL = "LITSCOPE_ARXIV_URL"
ENV_FEED_URL = "LITSCOPE_ARXIV_FEED_URL"
ENV_OAI_URL = "LITSCOPE_ARXIV_OAI_URL"

log = logging.getLogger(__name__)

_CATEGORY = re.compile(r"^[a-z\-]+(\.[A-Za-z\-]+)?$")
#: arXiv asks every client to wait this long between requests, on each of its hosts
#: (export.arxiv.org's API and OAI-PMH, rss.arxiv.org, oaipmh.arxiv.org, arxiv.org).
ARXIV_MIN_DELAY = 3.0


M = TypeVar("M", bound=BaseModel)


def check_categories(value: list[str]) -> list[str]:
    """Validate arXiv category names (for pydantic validators)."""
    for cat in value:
        if not _CATEGORY.match(cat):
            raise ValueError(f"{cat!r} is not an arXiv category such as cs.CL")
    return value


def check_polite_delay(url: str, delay: float, setting: str = "arxiv.delay_seconds") -> None:
    """Enforce arXiv's rule of at least 3 s between requests, for a client of `url` that waits
    `delay` s (every client of an arXiv endpoint calls this): `ConfigError` for an arXiv host
    (arxiv.org and its subdomains); for another remote host (a mirror, with rules of its own)
    a logged note; nothing for this machine (a test's fixture server)."""
    if delay >= ARXIV_MIN_DELAY:
        return
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if host == "arxiv.org" or host.endswith(".arxiv.org"):
        raise ConfigError(f"{setting}: {delay:g} s is less than the {ARXIV_MIN_DELAY:g} s arXiv asks for "
                          f"between requests to {host}; set it to {ARXIV_MIN_DELAY:g} or more")
    if host and host != "localhost" and not _is_loopback(host):
        log.warning("%s is %g s, less than arXiv's %g s: allowed because %s is not arXiv; make "
                    "sure it allows that pace", setting, delay, ARXIV_MIN_DELAY, host)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ArxivSettings(_Section):
    """How to talk to arXiv: the search API, the listing feeds and OAI-PMH."""
    base_url: str = "https://export.arxiv.org/api/query"
    feed_url: str = "https://rss.arxiv.org/rss/"   # + "cs.CL+cs.LG": one feed for all categories
    oai_url: str = "https://arxiv.org/oai"
    # arXiv serves up to 2,000 results per request; fewer requests is what it asks for
    page_size: int = Field(2000, ge=1, le=2000)
    days_per_request: int = Field(7, ge=1, le=31)   # consecutive days one search may cover
    delay_seconds: float = Field(3.0, ge=0)   # >= 3 s for arXiv's hosts: check_polite_delay
    retries: int = Field(4, ge=0, le=20)
    backoff_seconds: float = Field(5.0, ge=0)  # first back-off; doubles on each retry
    max_backoff_seconds: float = Field(120.0, ge=0)   # a longer Retry-After ends the run's requests
    timeout_seconds: float = Field(30.0, gt=0)       # the longest silence within an answer
    deadline_seconds: float = Field(180.0, gt=0)     # one whole answer, however it trickles in
    # the biggest answer read (decompressed); arXiv's largest pages are a few MiB
    max_answer_mb: float = Field(64.0, gt=0)
    # arXiv announces a Friday's submissions on Monday evening (US Eastern), so a day's
    # window counts as complete only this many whole days after it ended.
    settle_days: int = Field(4, ge=0, le=60)
    # a check this soon after an announcement may predate it on arXiv's servers
    announce_lag_minutes: int = Field(60, ge=0, le=24 * 60)
    oai_format: Literal["arXivRaw", "arXiv"] = "arXivRaw"   # arXivRaw carries every version
    oai_sets: list[str] | None = None   # default: one set per category, e.g. cs:cs:CL
    update: Literal["new", "window"] = "new"   # what 'litscope update' fetches


class LLMSettings(_Section):
    """An OpenAI-compatible endpoint for summaries and translations."""
    base_url: str | None = None
    model: str = "gpt-4o-mini"
    api_key_env: str = "OPENAI_API_KEY"
    language: str = "en"
    concurrency: int = Field(4, ge=1, le=64)
    timeout_seconds: float = Field(60.0, gt=0)      # the longest silence within an answer
    deadline_seconds: float = Field(300.0, gt=0)    # one whole answer, however it trickles in
    # the biggest answer read (decompressed): a chat completion is KBs, 128 embeddings a few MiB
    max_answer_mb: float = Field(32.0, gt=0)
    retries: int = Field(3, ge=0, le=10)
    backoff_seconds: float = Field(2.0, ge=0)   # first back-off; doubles on each retry
    max_backoff_seconds: float = Field(120.0, ge=0)  # a longer Retry-After ends the run's requests
    json_mode: bool = True   # send response_format=json_object; off for servers that reject it
    #: The model of the endpoint's /embeddings (representation "endpoint" in a profile).
    embedding_model: str = "text-embedding-3-small"


class SiteSettings(_Section):
    """The review's pages on the project's Quarto website (whose title, address and navbar
    are Quarto's settings, in ``_quarto.yml``)."""
    out: str = "curated"   # the generated, git-ignored folder of pages inside the project
    curate: Literal["include", "top"] = "top"
    top_n: int = Field(50, ge=1)
    per_day: int = Field(10, ge=0)   # with 'top', also the best per_day of each submission day
    feed: bool = True      # an RSS feed of the papers (when _quarto.yml sets website.site-url)


class ProjectConfig(_Section):
    """The contents of `litscope.yml`."""
    title: str = "My arXiv review"
    subject: str | None = None     # one sentence on what the review follows
    categories: list[str] = Field(default_factory=lambda: ["cs.CL", "cs.LG"])
    query: str | None = None
    days_back: int = Field(3, ge=1, le=365)
    profile: str = "profile.yml"
    data: str = "data"
    digests: str = "digests"   # where 'litscope update' writes each day's digest
    arxiv: ArxivSettings = Field(default_factory=ArxivSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    site: SiteSettings = Field(default_factory=SiteSettings)

    @field_validator("categories")
    @classmethod
    def _check_categories(cls, value: list[str]) -> list[str]:
        return check_categories(value)


class Project:
    """A review project on disk: its root folder and validated config. `allow_empty_profile`
    lets `profile()` return a profile that scores nothing (``--allow-empty``)."""

    def __init__(self, root: Path, config: ProjectConfig, data_override: str | Path | None = None):
        self.root = Path(root).resolve()
        self.config = config
        self._data_override = data_override
        self.allow_empty_profile = False

    @property
    def data_dir(self) -> Path:
        """Where the store lives: ``--data``, then $LITSCOPE_DATA, then ``data:`` in the config."""
        override = self._data_override or os.environ.get(ENV_DATA)
        if override:
            return Path(override).expanduser().resolve()
        return (self.root / self.config.data).resolve()

    @property
    def profile_path(self) -> Path:
        return self.root / self.config.profile

    @property
    def is_project(self) -> bool:
        """Whether `root` holds a litscope.yml (commands also run outside a project)."""
        return (self.root / CONFIG_NAME).is_file()

    def decisions(self):
        """The project's decisions files (`litscope.decisions.DecisionLog`); None outside a project."""
        from .decisions import DecisionLog
        return DecisionLog(self.root) if self.is_project else None

    def store(self):
        """The store (`litscope.store.Store`): the project's own, a cache of its decisions,
        or the one ``--data``/$LITSCOPE_DATA names, which keeps the decisions of the project
        whose data folder it is, if any."""
        from .store import Store
        own = self.is_project and self.data_dir == (self.root / self.config.data).resolve()
        return Store(self.data_dir, decisions=self.decisions() if own else None)

    def ranked(self, store=None):
        """The store's papers (a DataFrame of the paper schema) in the review's ranking, with
        score, rank and excluded; newest first without a profile. What a page of the
        review's website shows papers in."""
        store = store or self.store()
        papers = store.papers()
        ranking = self.ranking(store) if len(papers) else None
        return ranking.fit(papers).score() if ranking is not None else papers

    def ranking(self, store=None, *, profile=None, now=None):
        """The review's one ranking (`litscope.score.ranking.Ranking`, not fitted yet): its
        profile (or `profile`, a path or `Profile`) with the model learned from its store's
        labels and library and the similarity to the library; None without a profile."""
        from .score.profile import load_profile
        profile = self.profile() if profile is None else load_profile(
            profile, allow_empty=self.allow_empty_profile) if isinstance(profile, (str, Path)) else profile
        if profile is None:
            return None
        from .score.ranking import Ranking
        client = None
        similarity = profile.similarity
        if similarity is not None and similarity.representation.startswith("endpoint"):
            from .curate.llm import LLMClient, endpoint_configured
            client = LLMClient(self.config.llm) if endpoint_configured(self.config.llm) else None
        return Ranking(profile, store=store or self.store(), client=client,
                       endpoint_model=self.config.llm.embedding_model, now=now)

    def profile(self):
        """The project's scoring profile, or None when its file does not exist."""
        if not self.profile_path.is_file():
            return None
        from .score.profile import load_profile
        return load_profile(self.profile_path, allow_empty=self.allow_empty_profile)

    @property
    def arxiv_url(self) -> str:
        return os.environ.get(ENV_ARXIV_URL) or self.config.arxiv.base_url

    @property
    def feed_url(self) -> str:
        return os.environ.get(ENV_FEED_URL) or self.config.arxiv.feed_url

    @property
    def oai_url(self) -> str:
        return os.environ.get(ENV_OAI_URL) or self.config.arxiv.oai_url

    def path(self, relative: str | Path) -> Path:
        return self.root / relative

    def shown_path(self, path: str | Path) -> str:
        """`path` as a page may print it: relative to the project (``data/litscope.sqlite``),
        else under ``~``, never the machine's own folders (notebooks are published)."""
        path = Path(path).absolute()
        if path.is_relative_to(self.root):
            return path.relative_to(self.root).as_posix() or "."
        home = Path.home()
        return f"~/{path.relative_to(home).as_posix()}" if path.is_relative_to(home) else path.name


def format_validation(exc: ValidationError, file: Path) -> str:
    """One line naming the file and the first field a pydantic model rejected."""
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "(top level)"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown setting"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{file}: field '{field}': {message}{more}"


#: What litscope reads of a file it imports (a digest, a library export, a profile): its
#: size, and the length of one line (a digest's longest line is 2 KB, a snapshot's ~300 KB).
MAX_FILE_BYTES = 256 << 20
MAX_LINE_BYTES = 4 << 20
#: How much of a file's start format detection reads.
HEAD_BYTES = 64 << 10


def read_text(file: str | Path, error: type[Exception] = ConfigError, *, what: str = "it",
              hint: str = "", cut_ok: bool = False) -> str:
    """The text of a UTF-8 file (a byte-order mark dropped); otherwise one `error` naming the
    file and why: it cannot be read (then `hint`, what to do), it is bigger than
    `MAX_FILE_BYTES` or has a line longer than `MAX_LINE_BYTES` (found while reading, so
    memory stays bounded), or where its first byte that is not UTF-8 sits. With `cut_ok`,
    a file that ends inside a character (a download or a copy cut short) reads as the text
    before it: the caller finds the cut entry."""
    file = Path(file)
    lines = []
    try:
        with file.open("rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            if size > MAX_FILE_BYTES:
                raise error(f"{file}: {size / 2**20:,.0f} MiB, more than the {MAX_FILE_BYTES >> 20} MiB "
                            f"litscope reads from one file (is it the right file?)")
            while line := stream.readline(MAX_LINE_BYTES + 1):
                if len(line) > MAX_LINE_BYTES:
                    raise error(f"{file}: line {len(lines) + 1} is longer than {MAX_LINE_BYTES >> 20} MiB, "
                                f"which litscope does not read (is it the right file?)")
                lines.append(line)
    except OSError as exc:
        raise error(f"{file}: cannot read {what} ({exc.strerror or exc}){hint}") from None
    return _decode(b"".join(lines), file, error, cut_ok)


def write_text(file: str | Path, text: str, *, newline: str | None = None) -> Path:
    """Write `text` to `file` whole or not at all: into a temporary file beside it, then
    renamed over it; on a failure (a full disk) the temporary file is removed and `file`
    is as it was."""
    file = Path(file)
    tmp = file.with_name(f".{file.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8", newline=newline) as out:
            out.write(text)
        tmp.replace(file)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return file


def read_head(file: str | Path, error: type[Exception] = ConfigError, *, what: str = "it") -> str:
    """The first `HEAD_BYTES` of a UTF-8 file, ending with its last whole line there: enough
    to tell a file's format without reading all of it."""
    file = Path(file)
    try:
        with file.open("rb") as stream:
            data = stream.read(HEAD_BYTES)
    except OSError as exc:
        raise error(f"{file}: cannot read {what} ({exc.strerror or exc})") from None
    if len(data) == HEAD_BYTES and b"\n" in data:
        data = data[:data.rindex(b"\n") + 1]
    return _decode(data, file, error, cut_ok=True)


def _decode(data: bytes, file: Path, error: type[Exception], cut_ok: bool) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if cut_ok and exc.end == len(data) and exc.reason == "unexpected end of data":
            return data[:exc.start].decode("utf-8-sig")
        line = data.count(b"\n", 0, exc.start) + 1
        raise error(f"{file}: not UTF-8 text (line {line}, byte offset {exc.start}: "
                    f"0x{data[exc.start]:02x}); save it as UTF-8") from None


def load_yaml_model(file: str | Path, model: type[M], error: type[Exception] = ConfigError,
                    what: str = "a mapping of settings") -> M:
    """Read a YAML file and validate it with a pydantic `model`; every problem is one
    `error` naming the file (and the line or field)."""
    file = Path(file)
    text = read_text(file, error)
    try:
        raw = yaml.safe_load(text) or {}
    except RecursionError:
        raise error(f"{file}: YAML nested too deeply") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}:" if mark else ""
        raise error(f"{file}:{where} invalid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(raw, dict):
        raise error(f"{file}: expected {what}, got {type(raw).__name__}")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise error(format_validation(exc, file)) from None


def load_config(file: str | Path) -> ProjectConfig:
    """Read and validate one `litscope.yml`."""
    return load_yaml_model(file, ProjectConfig)


def find_project(start: str | Path | None = None) -> Path | None:
    """The nearest folder at or above `start` that holds a `litscope.yml`."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    return None


def open_project(start: str | Path | None = None, data: str | Path | None = None,
                 required: bool = True) -> Project:
    """The review project around `start` (the working directory by default).

    Without a project, `required=False` gives a default one rooted at `start` so that
    commands such as ``litscope import --data DIR`` still work anywhere.
    """
    root = find_project(start)
    if root is None:
        if required:
            raise ConfigError(f"no {CONFIG_NAME} in {Path(start or Path.cwd()).resolve()} or any "
                              f"parent folder: run 'litscope init DIR' to create a review project")
        return Project(Path(start or Path.cwd()), ProjectConfig(), data)
    return Project(root, load_config(root / CONFIG_NAME), data)


def parse_day(value: str | date, argument: str = "date") -> date:
    """Parse ``YYYY-MM-DD``; the error names the argument."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ConfigError(f"{argument}: {value!r} is not a date like 2025-12-01") from None
