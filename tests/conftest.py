"""Shared fixtures: the real seed digests (when ../shared is beside the repo) and temp stores."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO.parent / "shared" / "seeds"


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
