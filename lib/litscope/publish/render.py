"""Render the review's website with Quarto, and only what changed when it can
(`render_project`; measured in benchmarks/PUBLISH-DESIGN.md).

A cold ``quarto render`` of a year of a review takes minutes; a day of it changes one day
page. Quarto renders one page inside the project (``quarto render curated/days/D.qmd``)
as an incremental render: it adds the listing pages that list the page (the front page,
the month's page, the methods page), merges the page into ``search.json`` and the
sitemap, and leaves every other page as it was. So `render_project` renders

- the whole project when there is no ``_site`` or ``.quarto/`` yet, when the stamp of the
  last render is missing, when ``_quarto.yml``, a ``_metadata.yml`` or litscope itself
  changed since, when a page it rendered is gone, or when more than `MAX_PAGES` pages
  changed (a full render is then cheaper);
- else the pages whose text (or a metadata file they read) changed since their last
  render, and the pages that run code (their code may read the store), less the listing
  pages Quarto adds by itself — one Quarto process, a project render per page.

The stamp (``.quarto/litscope-render.json``) holds each rendered page's hash; the
project's post-render step writes it (`write_stamp`) after every render, whoever ran it.
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
from typing import Iterable

from .. import __version__
from ..errors import PublishError

__all__ = ["QUARTO_HELP", "ENV_PAGES_CURRENT", "RenderReport", "find_quarto", "render_project",
           "render_pages", "plan_render", "write_stamp", "project_inputs"]

QUARTO_HELP = ("Quarto is not installed: get it with 'pip install quarto-cli' (litscope[publish]) on a "
               "connected machine or from https://quarto.org/docs/get-started/, then run "
               "'litscope publish --render' in {root} (it runs 'quarto render' with this Python, "
               "which the pages' code needs)")
#: Set in Quarto's environment when litscope has just written the pages: the pre-render
#: step then leaves them as they are instead of building them again.
ENV_PAGES_CURRENT = "LITSCOPE_PAGES_CURRENT"
#: The stamp of the last render, in Quarto's own folder (it goes when that folder goes).
STAMP = Path(".quarto") / "litscope-render.json"
#: More changed pages than this and a full render is cheaper (what a page inside a year's
#: project costs against the whole year: benchmarks/PUBLISH-DESIGN.md).
MAX_PAGES = 20
_SOURCES = (".qmd", ".ipynb", ".md", ".Rmd")
_CODE = re.compile(r"^\s*```+\s*\{(?:python|r|julia|ojs|bash)\b", re.M | re.I)
_DAY_PAGE = re.compile(r"^(?P<folder>.+)/days/(?P<month>\d{4}-\d{2})-\d{2}\.qmd$")


@dataclass
class RenderReport:
    """What `render_project` rendered: the site, whether all of it, why, which pages."""
    site: Path
    full: bool
    reason: str
    pages: list[str]
    seconds: float

    def summary(self) -> str:
        if self.full:
            return f"Rendered the whole website into {self.site} ({self.reason}) in {self.seconds:.0f} s."
        if not self.pages:
            return f"The website in {self.site} is up to date: no page changed since its last render."
        shown = ", ".join(self.pages[:5]) + (f" and {len(self.pages) - 5} more" if len(self.pages) > 5 else "")
        return (f"Rendered {len(self.pages)} changed page(s) of the website into {self.site} in "
                f"{self.seconds:.0f} s: {shown} (Quarto adds the pages that list them).")


def find_quarto() -> str | None:
    """The `quarto` executable: $LITSCOPE_QUARTO, on PATH, or beside this Python
    (``pip install quarto-cli``)."""
    named = os.environ.get("LITSCOPE_QUARTO")
    if named:
        return named if Path(named).is_file() else None
    return shutil.which("quarto") or shutil.which("quarto", path=str(Path(sys.executable).parent))


def _quarto_yml(root: Path) -> dict:
    from .site import quarto_config
    return {"project": quarto_config(root, "project")}


def project_inputs(root: str | Path) -> list[str] | None:
    """The pages Quarto renders in the project at `root` (paths relative to it), from
    ``project: render:`` in ``_quarto.yml``: a pattern with a leading ``/`` is taken from
    the project's folder, one without from any folder; files and folders whose names
    start with ``_`` or ``.`` are left out, as Quarto does. None without such a list."""
    root = Path(root)
    patterns = _quarto_yml(root)["project"].get("render")
    if not isinstance(patterns, list):
        return None
    found: set[str] = set()
    for pattern in patterns:
        pattern = str(pattern)
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!")
        matches = root.glob(pattern[1:] if pattern.startswith("/") else f"**/{pattern}")
        names = {p.relative_to(root).as_posix() for p in matches if p.is_file() and p.suffix in _SOURCES
                 and not any(part.startswith(("_", ".")) for part in p.relative_to(root).parts)}
        found = found - names if negate else found | names
    return sorted(found)


def _config_hash(root: Path) -> str:
    """What every page depends on: ``_quarto.yml``, the ``_metadata.yml`` files, litscope."""
    digest = hashlib.sha256(__version__.encode())
    for path in [root / "_quarto.yml", *sorted(root.glob("**/_metadata.yml"))]:
        if path.is_file() and not any(p.startswith(".") for p in path.relative_to(root).parts):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _page_hash(root: Path, page: str) -> str:
    """A page's text and the text of the metadata files its front matter names."""
    path = root / page
    data = path.read_bytes()
    digest = hashlib.sha256(data)
    head = re.match(rb"---\r?\n(.*?)\r?\n---", data, re.S)
    if head:
        for name in re.findall(rb"^\s*-\s*(\S+\.ya?ml)\s*(?:#.*)?$", head.group(1), re.M):
            extra = path.parent / name.decode(errors="replace")
            if extra.is_file():
                digest.update(b"\0" + extra.read_bytes())
    return digest.hexdigest()


def _read_stamp(root: Path) -> dict | None:
    try:
        stamp = json.loads((root / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) and isinstance(stamp.get("pages"), dict) else None


def write_stamp(root: str | Path, outputs: Iterable[str], *, render_all: bool) -> None:
    """The post-render step's record of what was rendered: the hash of each page behind
    the `outputs` Quarto wrote (paths relative to `root`); with `render_all` (a full
    render) the whole stamp is new, with the configuration's hash."""
    root = Path(root)
    output_dir = Path(_quarto_yml(root)["project"].get("output-dir", "_site"))
    stamp = None if render_all else _read_stamp(root)
    stamp = stamp or {"config": None, "pages": {}}
    if render_all:
        stamp["config"] = _config_hash(root)
    for output in outputs:
        relative = Path(output)
        if relative.suffix != ".html" or not relative.is_relative_to(output_dir):
            continue
        stem = relative.relative_to(output_dir).with_suffix("")
        source = next((Path(f"{stem}{s}") for s in _SOURCES if (root / f"{stem}{s}").is_file()), None)
        if source is not None:
            stamp["pages"][source.as_posix()] = _page_hash(root, source.as_posix())
    (root / STAMP).parent.mkdir(exist_ok=True)
    (root / STAMP).write_text(json.dumps(stamp, indent=0, sort_keys=True), encoding="utf-8")


def plan_render(root: str | Path, pages_folder: str = "curated") -> tuple[bool, str, list[str]]:
    """What `render_project` would render in the project at `root`: (whole project?, why,
    the pages to render on their own)."""
    root = Path(root)
    output_dir = root / _quarto_yml(root)["project"].get("output-dir", "_site")
    stamp = _read_stamp(root)
    if not output_dir.is_dir() or not (root / ".quarto").is_dir():
        return True, "no earlier render to add to", []
    if stamp is None:
        return True, "no record of the last render", []
    if stamp.get("config") != _config_hash(root):
        return True, "_quarto.yml, a _metadata.yml or litscope changed since the last full render", []
    inputs = project_inputs(root)
    if inputs is None:
        return True, "_quarto.yml lists no project: render: patterns to find the pages by", []
    gone = sorted(set(stamp["pages"]) - set(inputs))
    if gone:
        return True, f"{gone[0]} is gone" + (f" (and {len(gone) - 1} more pages)" if len(gone) > 1 else ""), []
    folder = pages_folder.strip("/")
    changed = [p for p in inputs if stamp["pages"].get(p) != _page_hash(root, p)
               or (not p.startswith(f"{folder}/") and p.endswith(".qmd")
                   and _CODE.search((root / p).read_text(encoding="utf-8", errors="replace")))]
    days = [m for m in map(_DAY_PAGE.match, changed) if m and m["folder"] == folder]
    if days:   # what Quarto renders with a day page it rendered before: the listing pages
        listing = f"{folder}/_listing.yml"
        added = {f"{folder}/{m['month']}.qmd" for m in days} | {f"{folder}/methods.qmd"} | {
            p for p in inputs if p.endswith(".qmd") and listing in (root / p).read_text(encoding="utf-8",
                                                                                        errors="replace")}
        changed = [p for p in changed if p not in added or p not in stamp["pages"]]
    if len(changed) > MAX_PAGES:
        return True, f"{len(changed)} pages changed", []
    return False, "", changed


def render_pages(root: str | Path, pages: Iterable[str], quarto: str, *, env: dict[str, str] | None = None,
                 capture: bool = False) -> subprocess.CompletedProcess:
    """``quarto render`` of only `pages` (paths relative to the project `root`): Quarto adds
    the listing pages whose contents match them and updates ``search.json`` and the
    sitemap in place; the pages not named keep their last render. Quarto renders each
    page on its own (a project context each), one process for all."""
    root = Path(root).absolute()
    env = env or {**os.environ, "QUARTO_PYTHON": os.environ.get("QUARTO_PYTHON", sys.executable)}
    # Quarto takes the arguments after the first as Pandoc's unless an option follows them
    return subprocess.run([quarto, "render", *(str(root / page) for page in pages), "--to", "html"],
                          cwd=root, env=env, capture_output=capture, text=True)


def render_project(root: str | Path, quarto: str | None = None, *, pages_folder: str = "curated",
                   full: bool = False, pages_current: bool = False) -> RenderReport:
    """Render the review project at `root` with Quarto: only the pages that changed since
    the last render when it can (see the module docstring), else (or with `full`) all of
    it. The code of its pages runs on this Python unless $QUARTO_PYTHON says otherwise;
    `pages_current` tells the pre-render step that litscope has just written the pages.
    Quarto's messages go to the terminal."""
    root = Path(root)
    quarto = quarto or find_quarto()
    if quarto is None:
        raise PublishError(QUARTO_HELP.format(root=root))
    env = {**os.environ, "QUARTO_PYTHON": os.environ.get("QUARTO_PYTHON", sys.executable)}
    if pages_current:
        env[ENV_PAGES_CURRENT] = "1"
    whole, reason, pages = (True, "asked for", []) if full else plan_render(root, pages_folder)
    started = time.perf_counter()
    site = root / _quarto_yml(root)["project"].get("output-dir", "_site")
    if not whole and not pages:
        return RenderReport(site, False, "", [], 0.0)
    result = subprocess.run([quarto, "render"], cwd=root, env=env, check=False) if whole \
        else render_pages(root, pages, quarto, env=env)
    if result.returncode != 0:
        raise PublishError(f"'quarto render' in {root} failed with exit code {result.returncode} "
                           f"(its messages are above)")
    return RenderReport(site, whole, reason, pages, time.perf_counter() - started)
