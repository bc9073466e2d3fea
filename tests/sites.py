"""Review projects rendered by real Quarto, for the render tests and the browser test.

`render_review` renders what a fresh clone holds after ``make demo`` and a run of its
notebooks (the repository's own review project, its notebooks run and saved as a person
does in JupyterLab: rendering runs none); `render_hostile` renders a project made by
``litscope init`` whose store holds the hostile papers of `hostile.py`. Both set
`hostile.SECRET_ENV` in Quarto's environment. A rendered review is kept in a folder named
by a hash of everything it is made of, so that the browser test can show the site the
render test just made instead of rendering it again.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from hostile import SECRET, SECRET_ENV, hostile_papers

REPO = Path(__file__).resolve().parents[1]
#: What a clone holds of the review project (besides the library it installs).
PROJECT_FILES = ["_quarto.yml", "_litscope.py", "_environment", "_jupyter", "index.qmd", "review.qmd",
                 "litscope.yml", "profile.yml", "notebooks", "taxonomies"]
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Quarto's own warnings and errors, Pandoc's it passes on ("[WARNING] ..."), and any other
# line that says WARNING (the kernel's "[IPKernelApp] WARNING | ...").
_PROBLEM = re.compile(r"^(?:WARN|ERROR)\b|^\[ERROR\]|WARNING")


@dataclass
class Rendered:
    """A rendered project: its folder, Quarto's output, how long the render took."""
    root: Path
    output: str
    seconds: float

    @property
    def site(self) -> Path:
        return self.root / "_site"

    @property
    def pages(self) -> list[Path]:
        return sorted(p for p in self.site.rglob("*.html") if "site_libs" not in p.parts)

    def problems(self) -> list[str]:
        """The warnings and errors in Quarto's output, the kernel's included."""
        lines = [_ANSI.sub("", line).strip() for line in self.output.splitlines()]
        return [line for line in lines if _PROBLEM.search(line)]

    def figures(self) -> dict[str, float]:
        return {"seconds": round(self.seconds, 1), "pages": len(self.pages),
                "pages_per_second": round(len(self.pages) / self.seconds, 2)}


def quarto() -> str:
    """Quarto, or skip: $LITSCOPE_QUARTO, on PATH, or beside this Python."""
    from litscope.publish import find_quarto
    found = find_quarto()
    if found is None:
        pytest.skip("Quarto is not installed (pip install quarto-cli, quarto.org, or set "
                    "LITSCOPE_QUARTO): the website is not rendered")
    return found


def render(root: Path) -> Rendered:
    """``quarto render`` in `root`, notebooks on this Python, the secret in the environment."""
    env = {**os.environ, "QUARTO_PYTHON": sys.executable, SECRET_ENV: SECRET}
    started = time.perf_counter()
    run = subprocess.run([quarto(), "render"], cwd=root, env=env, capture_output=True, text=True,
                         timeout=1800)
    rendered = Rendered(root, run.stdout + run.stderr, time.perf_counter() - started)
    assert run.returncode == 0, f"quarto render failed in {root}:\n{rendered.output[-6000:]}"
    return rendered


def _inputs_hash() -> str:
    digest = hashlib.sha256(quarto().encode())
    sources = [REPO / "lib" / "litscope", *(REPO / name for name in PROJECT_FILES)]
    for source in sources:
        for path in sorted([source] if source.is_file() else source.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(REPO)).encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def run_notebooks(root: Path) -> None:
    """Run the project's notebooks in order and save them with their outputs, as a person
    does in JupyterLab (nbclient, the ``python3`` kernel of this interpreter)."""
    import nbformat
    from nbclient import NotebookClient
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        NotebookClient(notebook, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        nbformat.write(notebook, path)


def render_review(cache: Path, reuse: bool) -> Rendered:
    """The repository's review project as a fresh clone has it after ``litscope demo`` and a
    run of its notebooks, rendered; with `reuse`, the render kept in `cache` for the same
    inputs if there is one."""
    folder = cache / f"review-{_inputs_hash()}"
    record = folder / "render.json"
    if reuse and record.is_file():
        return Rendered(folder / "review", **json.loads(record.read_text(encoding="utf-8")))
    shutil.rmtree(cache, ignore_errors=True)
    root = folder / "review"
    root.mkdir(parents=True)
    for name in PROJECT_FILES:
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, root / name)
    demo = subprocess.run([sys.executable, "-m", "litscope.cli", "demo"], cwd=root, capture_output=True,
                          text=True, env={k: v for k, v in os.environ.items() if k != "LITSCOPE_DATA"})
    assert demo.returncode == 0, demo.stderr
    run_notebooks(root)
    rendered = render(root)
    record.write_text(json.dumps({"output": rendered.output, "seconds": rendered.seconds}), encoding="utf-8")
    return rendered


#: The profile of the hostile project: its terms match the hostile text, so that abstracts
#: are highlighted and scores explained; no minimum score, so that every paper is published.
HOSTILE_PROFILE = "name: hostile\nterms:\n  - script: 2\n  - alert: 1\n  - /pass+wd/: 1\nmin_score: null\n"


def render_hostile(root: Path) -> Rendered:
    """A project made by ``litscope init`` with a site address, the hostile papers in its
    store, a note from outside, and one notebook that prints, displays and shows them."""
    import nbformat
    from litscope.cli import main
    from litscope.store import Store
    from hostile import ENV, SCRIPT, SHORTCODE
    assert main(["init", str(root)]) == 0
    (root / "profile.yml").write_text(HOSTILE_PROFILE, encoding="utf-8")
    config = yaml.safe_load((root / "_quarto.yml").read_text(encoding="utf-8"))
    config["website"]["site-url"] = "https://example.org/hostile/"
    for item in config["website"]["navbar"]["left"]:
        if "menu" in item:
            item["menu"] = ["notebooks/hostile.ipynb"]
    (root / "_quarto.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    for notebook in (root / "notebooks").glob("0*.ipynb"):
        notebook.unlink()
    store = Store(root / "data")
    store.add_papers(hostile_papers().drop(columns=["score", "rank"]))
    store.set_note("2512.00001", f"{SCRIPT}\n# note heading\n{SHORTCODE} {ENV}")
    notebook = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python",
                                                                 "display_name": "Python 3"}})
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# Hostile outputs"),
        nbformat.v4.new_code_cell("import litscope\nfrom IPython.display import HTML, Markdown, display\n"
                                  "papers = litscope.Store(litscope.open_project().data_dir).papers()\n"
                                  "print(papers['title'].tolist())\npapers[['id', 'title', 'tldr']]"),
        nbformat.v4.new_code_cell("litscope.show(papers)"),
        nbformat.v4.new_code_cell(f"display(Markdown({ENV!r}), HTML('<b>' + {ENV!r} + '</b>'))\n{ENV!r}"),
    ]
    nbformat.write(notebook, root / "notebooks" / "hostile.ipynb")
    run_notebooks(root)
    return render(root)


#: A bare Quarto website for `render_pages`.
BARE_CONFIG = {"project": {"type": "website"},
               "website": {"title": "pages", "navbar": {"left": [{"href": "index.qmd", "text": "Home"}]}},
               "format": {"html": {"theme": "cosmo"}}}


def render_pages(root: Path, pages: dict[str, str], config: dict | None = None) -> Rendered:
    """A bare Quarto website of `pages` (path -> text; an ``index.qmd`` is added if there
    is none) rendered by `render`."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "_quarto.yml").write_text(yaml.safe_dump(config or BARE_CONFIG, sort_keys=False), encoding="utf-8")
    for path, text in {"index.qmd": "---\ntitle: Home\n---\n\nHome.\n", **pages}.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    return render(root)


@dataclass
class Journey:
    """A new review taken from `litscope init` to `quarto render` through the command line:
    the commands and what they printed, the store before and after the render, the render."""
    commands: list[tuple[str, str]]
    before: tuple[int, list]
    after: tuple[int, list]
    rendered: Rendered


def _store_state(root: Path) -> tuple[int, list]:
    from litscope.store import Store
    store = Store(root / "data")
    return store.count(), sorted(map(tuple, store.labels()[["id", "label"]].to_numpy().tolist()))


def new_review_journey(base: Path, title: str) -> Journey:
    """What a new user does: init a review with its title, import the digests they read,
    label, learn, blend the learned model into the ranking, and render the website."""
    from litscope.publish.digest import render_digest
    from litscope.sample import load_sample
    sample = load_sample()
    read = base / "digests-i-read"                   # the digests this user already reads
    read.mkdir(parents=True)
    dated = sample["published"].notna()
    (read / "2025-12-05.md").write_text(render_digest(sample[dated], "daily"), encoding="utf-8")
    (read / "reading-list.md").write_text(render_digest(sample[~dated & sample["abstract"].notna()].head(40),
                                                        "bot", title="Reading list"), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "LITSCOPE_DATA"}
    env["LITSCOPE_REVIEWER"] = "A. Reviewer"
    commands: list[tuple[str, str]] = []

    def litscope(*args: str, cwd: Path) -> str:
        run = subprocess.run([sys.executable, "-m", "litscope.cli", *args], cwd=cwd, env=env,
                             capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, f"litscope {' '.join(args)}:\n{run.stdout}{run.stderr}"
        commands.append(("litscope " + " ".join(args), run.stdout + run.stderr))
        return run.stdout

    litscope("init", "review", "--title", title, "--subject", "Making large language models cheaper to run.",
             "--cat", "cs.CL", "--cat", "cs.LG", cwd=base)
    root = base / "review"
    litscope("import", *(str(p) for p in sorted(read.glob("*.md"))), cwd=root)
    ranked = re.findall(r"^\s*\d+\s+[\d.]+\s+\S+\s+\S+\s+(\S+)", litscope("list", "--top", "6", cwd=root), re.M)
    litscope("label", ranked[0], ranked[2], "include", "--reason", "efficient inference", cwd=root)
    litscope("label", ranked[1], "exclude", cwd=root)
    litscope("learn", "--suggest", "3", cwd=root)
    profile = root / "profile.yml"
    profile.write_text(profile.read_text(encoding="utf-8").replace("alpha: 0.0 ", "alpha: 0.5 "), encoding="utf-8")
    litscope("score", "--top", "10", cwd=root)
    before = _store_state(root)
    rendered = render(root)
    commands.append(("quarto render", rendered.output))
    return Journey(commands, before, _store_state(root), rendered)
