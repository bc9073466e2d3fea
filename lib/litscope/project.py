"""Scaffold a review project (`litscope init`).

A review is a folder — a git repository — holding its settings (``litscope.yml``), its
profile, its website (``_quarto.yml``, ``index.qmd``, ``review.qmd``) and the workflow
notebooks; later its decisions, libraries and digests. `init_project` writes the files
from the templates in ``litscope/templates/project/`` with the review's title, subject,
categories and query, and copies the files there that are no templates: ``_litscope.py``
and the notebooks, links to the repository's own (the repository is itself a review, the
sample one: its ``_quarto.yml``, ``index.qmd`` and ``litscope.yml`` are what
`init_project` writes for its title). A project is one Quarto
website: ``_quarto.yml`` runs ``_litscope.py`` before rendering to write the curated pages.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from importlib import metadata, resources
from pathlib import Path
from typing import Any, Sequence

import yaml
from jinja2 import Environment, PackageLoader, StrictUndefined

from . import __version__
from .config import CONFIG_NAME, ProjectConfig, check_categories
from .errors import ConfigError

#: The files `init_project` writes from templates: (template, file in the project).
TEMPLATES = (
    ("litscope.yml.j2", CONFIG_NAME),
    ("profile.yml.j2", "profile.yml"),
    ("_quarto.yml.j2", "_quarto.yml"),
    ("index.qmd.j2", "index.qmd"),
    ("review.qmd.j2", "review.qmd"),
    ("gitignore", ".gitignore"),
    ("gitattributes", ".gitattributes"),
)
#: The kernel that runs the pages' code when Quarto renders (``_environment`` points
#: Jupyter to it): Python 3 whose own log shows errors only.
KERNEL = "_jupyter/kernels/python3/kernel.json"
#: The arXiv query fields and operators left out when a query becomes a title or terms.
_QUERY_SYNTAX = re.compile(r"\b(?:ti|au|abs|co|jr|cat|rn|id|all):|\b(?:AND|OR|ANDNOT)\b|[()]")


def _shipped() -> Path:
    """The folder of a new review's files: the templates `init_project` fills in and the
    repository's own files it copies (``_litscope.py``, the notebooks)."""
    return Path(str(resources.files("litscope") / "templates" / "project"))


def yaml_scalar(value: Any) -> str:
    """`value` as one YAML scalar (plain where YAML allows, else quoted)."""
    text = yaml.safe_dump(value, allow_unicode=True, width=1 << 30, default_flow_style=True)
    return text.removesuffix("\n...\n").strip()


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("litscope", "templates/project"), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                      comment_start_string="{##", comment_end_string="##}")  # Pandoc writes {#id}
    env.filters["yaml"] = yaml_scalar
    return env


def query_terms(query: str | None) -> list[str]:
    """The phrases and words of an arXiv query (``abs:"speculative decoding" AND ti:draft``
    gives ``["speculative decoding", "draft"]``), without its fields and operators."""
    if not query:
        return []
    query = re.sub(r"\b(?:cat|id|rn):\S+", " ", query)     # categories and ids are no words to look for
    phrases = re.findall(r'"([^"]+)"', query)
    rest = _QUERY_SYNTAX.sub(" ", re.sub(r'"[^"]*"', " ", query))
    words = [w for w in re.split(r"[\s,]+", rest) if len(w) > 2 and re.fullmatch(r"[\w\-.+]+", w)]
    seen: dict[str, str] = {}
    for term in [*(" ".join(p.split()) for p in phrases), *words]:
        seen.setdefault(term.casefold(), term)
    return list(seen.values())


def default_title(categories: Sequence[str], query: str | None) -> str:
    """A review's title from what it fetches: its query's terms, else its categories."""
    terms = query_terms(query)
    if terms:
        named = ", ".join(terms[:3])
        return f"{named[:1].upper()}{named[1:]} on arXiv"
    return f"New on arXiv in {_joined(categories)}"


def default_subject(categories: Sequence[str], query: str | None) -> str:
    """One sentence on what the review follows."""
    from .sources.arxiv_api import arxiv_categories
    names = arxiv_categories()
    named = [f"{c} ({names[c]})" if c in names else c for c in categories]
    return (f"A literature review of new arXiv papers in {_joined(named)}"
            + (f" that match {query}" if query else "") + ", made with litscope.")


def _joined(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def requirements() -> str:
    """``requirements.txt`` of a review: the litscope this one runs, pinned, so that another
    machine (or the daily GitHub workflow) installs the same; where it cannot be pinned to
    something another machine can get (a local folder), a comment says what to write."""
    pin, note = f"litscope[notebook]=={__version__}", ""
    try:
        direct = metadata.distribution("litscope").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        direct = None
    origin = json.loads(direct) if direct else {}
    vcs = origin.get("vcs_info", {})
    if vcs.get("commit_id"):
        pin = f"litscope[notebook] @ {vcs.get('vcs', 'git')}+{origin['url']}@{vcs['commit_id']}"
    elif origin.get("url", "").startswith("file:"):
        note = ("# litscope was installed from a folder on this machine "
                f"({origin['url'].removeprefix('file://')}), which other machines cannot reach: if\n"
                "# litscope is not on your package index, point this line at where it is, e.g.\n"
                "#   litscope[notebook] @ git+https://github.com/OWNER/litscope@COMMIT\n")
    return ("# The Python packages of this review: pip install -r requirements.txt\n"
            "# (the daily GitHub workflow installs these too). litscope is pinned so that every\n"
            "# machine ranks and renders the review alike; change the pin to upgrade.\n"
            f"{note}{pin}\n")


def init_project(directory: str | Path, *, title: str | None = None, subject: str | None = None,
                 categories: Sequence[str] | None = None, query: str | None = None,
                 site_url: str | None = None, force: bool = False, github_action: bool = False,
                 git: bool = True) -> list[Path]:
    """Create a review project in `directory`; returns the files written (relative paths).

    `title` and `subject` go into ``litscope.yml``, the website (``_quarto.yml``) and its
    front page (``index.qmd``); without them they are made from `categories` (default
    cs.CL and cs.LG) and `query`, whose terms also start the profile. `site_url` is where
    the website will be published (its RSS feed needs it). With `git`, a folder not yet in
    a git repository becomes one (``git init``; nothing is committed). Files that exist are
    kept unless `force`: `github_action` on a review adds the daily workflow (and what else
    it lacks)."""
    root = Path(directory)
    if (root / CONFIG_NAME).exists() and not (force or github_action):
        raise ConfigError(f"{root / CONFIG_NAME} exists already: this folder is a review project "
                          f"(use --force to overwrite its files, --github-action to add the workflow)")
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{root}: exists and is not a folder")
    categories = list(categories or ProjectConfig().categories)
    try:
        check_categories(categories)
    except ValueError as exc:
        raise ConfigError(f"--cat: {exc}") from None
    if site_url is not None and not re.match(r"^https?://\S+$", site_url):
        raise ConfigError(f"--site-url: {site_url!r} is not an http(s) address such as "
                          f"https://you.github.io/review/")
    shipped = _shipped()
    notebooks = sorted(p.name for p in (shipped / "notebooks").glob("*.ipynb"))
    context = {"title": (title or "").strip() or default_title(categories, query),
               "subject": (subject or "").strip() or default_subject(categories, query),
               "categories": categories, "query": query or None, "terms": query_terms(query),
               "site_url": site_url.rstrip("/") + "/" if site_url else None, "notebooks": notebooks}
    env = _environment()
    plan: list[tuple[Path, Any]] = [(Path(dst), lambda src=src: env.get_template(src).render(**context)
                                     if src.endswith(".j2") else env.loader.get_source(env, src)[0])
                                    for src, dst in TEMPLATES]
    plan += [(Path(name), lambda name=name: (shipped / name).read_text(encoding="utf-8"))
             for name in ("_litscope.py", "_environment", KERNEL, "notebooks/_metadata.yml",
                         *(f"notebooks/{n}" for n in notebooks))]
    plan.append((Path("requirements.txt"), requirements))
    if github_action:
        from .daily import github_workflow
        plan.append((Path(".github/workflows/litscope.yml"), github_workflow))
    written = []
    for rel, text in plan:
        target = root / rel
        if target.exists() and not force:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text(), encoding="utf-8")
        written.append(rel)
    (root / "data").mkdir(parents=True, exist_ok=True)
    if git:
        _git_init(root)
    return written


def _git_init(root: Path) -> bool:
    """Make `root` a git repository unless it is in one already (or git is missing)."""
    git = shutil.which("git")
    if git is None:
        return False
    inside = subprocess.run([git, "rev-parse", "--is-inside-work-tree"], cwd=root, capture_output=True,
                            text=True, timeout=30, check=False)
    if inside.returncode == 0:
        return False
    return subprocess.run([git, "init", "-q"], cwd=root, capture_output=True, timeout=30,
                          check=False).returncode == 0
