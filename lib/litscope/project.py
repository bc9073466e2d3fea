"""Scaffold a review project (`litscope init`).

The templates are the repository's own project files (the repository is itself a review
project); the package ships them under ``litscope/project/``. A project is one Quarto
website: ``_quarto.yml`` runs ``_litscope.py`` before rendering to write the curated pages.
"""
from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from .config import CONFIG_NAME
from .errors import ConfigError

#: Template files copied by `init_project`, as (name in the package, name in the project).
TEMPLATE_FILES = (
    (CONFIG_NAME, CONFIG_NAME),
    ("profile.yml", "profile.yml"),
    ("_quarto.yml", "_quarto.yml"),
    ("_litscope.py", "_litscope.py"),
    ("index.qmd", "index.qmd"),
    ("review.qmd", "review.qmd"),
    ("gitignore", ".gitignore"),
    ("notebooks/_metadata.yml", "notebooks/_metadata.yml"),
)

#: The sample review's address in _quarto.yml: a new review has none yet.
SITE_URL_LINE = re.compile(r"^(\s*)site-url:\s*\S.*$", re.M)


def _templates() -> Path:
    return Path(str(resources.files("litscope") / "project"))


def init_project(directory: str | Path, *, force: bool = False,
                 github_action: bool = False) -> list[Path]:
    """Create a review project in `directory`; returns the files written (relative paths)."""
    root = Path(directory)
    if (root / CONFIG_NAME).exists() and not force:
        raise ConfigError(f"{root / CONFIG_NAME} exists already: this folder is a review project "
                          f"(use --force to overwrite its files)")
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{root}: exists and is not a folder")
    source = _templates()
    plan = [(source / src, Path(dst)) for src, dst in TEMPLATE_FILES if (source / src).is_file()]
    plan += [(nb, Path("notebooks") / nb.name) for nb in sorted((source / "notebooks").glob("*.ipynb"))]
    if github_action:
        from .update import github_workflow
        plan.append((None, Path(".github/workflows/litscope.yml")))
    written = []
    for src, rel in plan:
        target = root / rel
        if target.exists() and not force:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        text = github_workflow() if src is None else src.read_text(encoding="utf-8")
        if rel == Path("_quarto.yml"):   # the sample review's address is not the new one's
            text = SITE_URL_LINE.sub(r"\1# site-url: https://you.github.io/review/  # where the site "
                                     r"is published; set it to get an RSS feed", text)
        target.write_text(text, encoding="utf-8")
        written.append(rel)
    (root / "data").mkdir(parents=True, exist_ok=True)
    return written
