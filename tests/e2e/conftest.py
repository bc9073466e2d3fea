"""Fixtures for the browser tests: a real JupyterLab, the rendered review website served
on 127.0.0.1, and headless Chromium.

`make e2e` runs these tests (it sets LITSCOPE_E2E=1 after ensure_chromium.sh has made sure
Debian's Chromium is there); `make test` leaves them out. JupyterLab serves a copy of the
review project in a temporary folder, with its own store, settings and runtime folders,
so nothing in the repository or the user's Jupyter set-up changes. The website is the one
`tests/test_render.py` rendered, when it rendered these very inputs; else it is rendered.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

collect_ignore = [] if os.environ.get("LITSCOPE_E2E") == "1" else ["test_lab.py", "test_site.py"]

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))   # the render helpers the render tests use (sites.py)
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@dataclass
class Lab:
    """A running JupyterLab: its URL (with the token) and the review project it serves."""
    url: str
    token: str
    root: Path
    data: Path

    def notebook_url(self, relative: str) -> str:
        return f"{self.url}lab/tree/{relative}?token={self.token}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"JupyterLab did not answer {url} within {timeout:.0f} s:\n"
                       f"{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (tests/e2e/artifacts/, ignored by git); emptied per run."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def lab(tmp_path_factory) -> Iterator[Lab]:
    """JupyterLab on 127.0.0.1 with a token, serving a copy of the review project."""
    base = tmp_path_factory.mktemp("lab")
    root, data, config = base / "review", base / "data", base / "jupyter-config"
    (root / "notebooks").mkdir(parents=True)
    for name in ("litscope.yml", "profile.yml"):
        shutil.copy(REPO / name, root / name)
    for notebook in (REPO / "notebooks").glob("*.ipynb"):
        shutil.copy(notebook, root / "notebooks" / notebook.name)
    from litscope.sample import load_sample
    from litscope.store import Store
    Store(data).add_papers(load_sample())     # the store 'make demo' fills; the notebooks only read it
    (config / "labconfig").mkdir(parents=True)
    (config / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    (config / "jupyter_server_config.json").write_text(json.dumps({"LabApp": {
        "news_url": None, "extension_manager": "readonly",
        "check_for_updates_class": "jupyterlab.handlers.announcements.NeverCheckForUpdate"}}))
    token, port = secrets.token_hex(16), _free_port()
    env = {**os.environ, "LITSCOPE_DATA": str(data), "JUPYTER_CONFIG_DIR": str(config),
           "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(base / "lab-settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(base / "lab-workspaces")}
    log = base / "jupyterlab.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
             f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
             "--LabApp.expose_app_in_browser=True", *(["--allow-root"] if os.geteuid() == 0 else [])],
            cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_up(f"{url}api/status?token={token}", process, log)
        yield Lab(url, token, root, data)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def site(request) -> Iterator[tuple]:
    """The rendered review website, served on 127.0.0.1: its base URL and the render."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
    from sites import render_review
    rendered = render_review(Path(request.config.cache.mkdir("litscope-sites")), reuse=True)

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(rendered.site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", rendered
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """A page in headless Chromium (Debian's, never a downloaded one) with an empty profile."""
    from playwright.sync_api import sync_playwright
    executable = os.environ.get("LITSCOPE_CHROMIUM", "/usr/bin/chromium")
    if not Path(executable).is_file():
        pytest.fail(f"no Chromium at {executable}: run tests/e2e/ensure_chromium.sh (make e2e does)")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=executable,
            headless=True, args=CHROMIUM_ARGS, viewport={"width": 1600, "height": 1300})
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()
