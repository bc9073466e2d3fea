"""Shared fixtures: the real seed digests (when ../shared is beside the repo) and temp stores."""
from __future__ import annotations

import datetime
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: ../shared beside the repository (or beside the folder of worktrees the repository is in)
SEEDS = next((p / "shared" / "seeds" for p in (REPO.parent, REPO.parent.parent)
              if (p / "shared" / "seeds").is_dir()), REPO.parent / "shared" / "seeds")


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The five real digest files; tests that need them skip when ../shared is absent."""
    if not SEEDS.is_dir():
        pytest.skip(f"seed digests not found at {SEEDS}")
    return SEEDS


@pytest.fixture
def store(tmp_path):
    """An empty store in a temporary folder."""
    from litscope.store import Store
    return Store(tmp_path / "data")


@pytest.fixture
def arxiv_server():
    """A local arXiv API (tests/arxiv_server.py) on 127.0.0.1; `.url` is its base URL."""
    from arxiv_server import ArxivServer
    server = ArxivServer().start()
    yield server
    server.stop()


class FakeClock:
    """A monotonic clock that only moves when the client sleeps."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(arxiv_server):
    clock = FakeClock()
    arxiv_server.clock = clock
    return clock


@pytest.fixture
def client(arxiv_server, clock):
    """A client with the default politeness settings (3 s apart, 5 s first back-off) except
    small pages, on the fake clock."""
    def make(**settings):
        from litscope.config import ArxivSettings
        from litscope.sources.arxiv_api import ArxivClient
        return ArxivClient(ArxivSettings(**{"page_size": 2, **settings}), arxiv_server.url,
                           feed_url=arxiv_server.feed_url, oai_url=arxiv_server.oai_url,
                           clock=clock, sleep=clock.sleep)
    return make


@pytest.fixture
def openai_server():
    """A fake OpenAI-compatible server (tests/openai_server.py) on 127.0.0.1; `.url` is the
    client's base_url, `.requests` its log, `.plan(match, *replies)` scripts answers."""
    from openai_server import FakeOpenAI
    with FakeOpenAI() as server:
        yield server


@pytest.fixture(scope="session")
def _sample_store_file(tmp_path_factory) -> Path:
    from litscope.sample import load_sample
    from litscope.store import Store
    template = Store(tmp_path_factory.mktemp("sample-store"))
    template.add_papers(load_sample())
    import sqlite3
    con = sqlite3.connect(template.path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")   # everything in the main file, copyable alone
    con.close()
    return template.path


@pytest.fixture
def sample_store(tmp_path, _sample_store_file):
    """A store in a temporary folder holding the embedded sample (a copy per test)."""
    import shutil
    from litscope.store import Store
    (tmp_path / "data").mkdir()
    shutil.copy(_sample_store_file, tmp_path / "data" / _sample_store_file.name)
    return Store(tmp_path / "data")


@pytest.fixture
def review(tmp_path, arxiv_server, openai_server):
    """A review project made by 'litscope init' whose arXiv and LLM settings point at the
    fixture servers: no delay, one retry, answers due within 3 s, one LLM request at a time."""
    from cli import KEY_ENV
    from litscope.cli import main
    folder = tmp_path / "review"
    assert main(["init", str(folder)]) == 0
    root = arxiv_server.url.removesuffix("/api/query")
    with (folder / "litscope.yml").open("a", encoding="utf-8") as config:
        config.write(f"\ncategories: [cs.CL]\ndays_back: 3\n"
                     f"arxiv: {{base_url: '{arxiv_server.url}', feed_url: '{root}/rss/', oai_url: '{root}/oai', "
                     f"delay_seconds: 0, backoff_seconds: 0, retries: 1, page_size: 5, deadline_seconds: 3}}\n"
                     f"llm: {{base_url: '{openai_server.url}', model: fake-model, api_key_env: {KEY_ENV}, "
                     f"backoff_seconds: 0, retries: 1, concurrency: 1, deadline_seconds: 3}}\n")
    arxiv_server.feed_day = datetime.date(2025, 12, 5)
    return folder

