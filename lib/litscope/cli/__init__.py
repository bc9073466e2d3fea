"""The `litscope` command: a thin shell over the library's functions.

User errors (`LitscopeError`, and a file the system will not let it write: a full disk, a
read-only folder) print one line and exit 2; nothing else prints a traceback unless
``LITSCOPE_DEBUG=1``. The library's warnings print as ``litscope: warning: ...``.
Output into a closed pipe (``litscope list | head -1``) ends quietly with status 0.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Sequence

from .. import __version__
from ..errors import LitscopeError
from . import curate, decisions, publish, review, score, sources


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="litscope",
        description="Literature reviews of arXiv: fetch papers into a local store, score them "
                    "with a readable profile, curate and publish them as a Quarto website.",
        epilog="Run 'litscope COMMAND --help' for the options of one command. Commands look for "
               "litscope.yml in the working directory and its parents, as git does.")
    parser.add_argument("--version", action="version", version=f"litscope {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in (review, sources, score, decisions, curate, publish):
        group.add_parser(sub)
    return parser


class _WarningLines(logging.Handler):
    """The library's warnings as the command prints them, on the standard error of the moment."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"litscope: {record.levelname.lower()}: {self.format(record)}", file=sys.stderr)


def _show_warnings() -> None:
    logger = logging.getLogger("litscope")
    if not any(isinstance(h, _WarningLines) for h in logger.handlers):
        logger.addHandler(_WarningLines(logging.WARNING))


def _closed_pipe() -> int:
    """Standard output went into a closed pipe: stop quietly, as Unix tools do. What is still
    buffered goes to /dev/null, so that Python's last flush does not fail again."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):   # not a real file (captured in tests): nothing to flush
        pass
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    _show_warnings()
    try:
        status = int(args.handler(args) or 0)
        sys.stdout.flush()          # a closed pipe shows here, not in Python's exit
        return status
    except BrokenPipeError:
        return _closed_pipe()
    except LitscopeError as exc:
        if os.environ.get("LITSCOPE_DEBUG"):
            raise
        print(f"litscope: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:          # a full disk, a read-only folder, a file it may not write
        if os.environ.get("LITSCOPE_DEBUG") or exc.filename is None:
            raise
        print(f"litscope: error: {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("litscope: interrupted", file=sys.stderr)
        return 130
