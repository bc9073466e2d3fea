"""What every command module shares: the project and store of a command's options, paper ids
as typed, and the options many commands take."""
from __future__ import annotations

import argparse
from typing import Callable

from ..config import open_project
from ..errors import LitscopeError

Handler = Callable[[argparse.Namespace], int | None]


def _project(args: argparse.Namespace, required: bool = True):
    project = open_project(data=getattr(args, "data", None), required=required)
    project.allow_empty_profile = getattr(args, "allow_empty", False)
    return project


def _store(args: argparse.Namespace, required: bool = True):
    return _project(args, required).store()


def _paper_id(text: str) -> str:
    """An arXiv id as typed (with version, or as a URL) in its stored form; others as they are."""
    from ..schema import split_arxiv_id
    try:
        return split_arxiv_id(text)[0]
    except LitscopeError:
        return text.strip()


def command(sub, name: str, handler: Handler, help: str, description: str) -> argparse.ArgumentParser:
    p = sub.add_parser(name, help=help, description=description,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(handler=handler)
    return p


def data_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", metavar="DIR", help="the store's folder (default: the project's "
                   "'data:' setting, or $LITSCOPE_DATA)")


def allow_empty_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--allow-empty", action="store_true",
                   help="accept a profile without terms or boosts (every paper then scores 0; "
                        "without this flag such a profile is an error)")


def render_site(project, *, full: bool = False) -> None:
    """Render the review's website after litscope wrote its pages: what changed, or all."""
    from ..publish import QUARTO_HELP, find_quarto, render_project
    if find_quarto() is None:
        print(QUARTO_HELP.format(root=project.root))
        return
    print(render_project(project.root, pages_folder=project.config.site.out, full=full,
                         pages_current=True).summary())
