"""Paper text for readers: TeX in titles, names and abstracts as Unicode text, math kept
for MathJax (`tex_to_text`, `tex_to_markdown`), and a short label for a paper whose
source gave no title (`display_titles`).

arXiv's metadata is TeX: ``Bornd\\"orfer``, ``50\\%``, ``--``, ``\\emph{x}``, ``$O(n^2)$``.
The text is split once into math (``$...$``, ``$$...$$``, ``\\(...\\)``, ``\\[...\\]``,
kept) and prose; in prose only the TeX constructs themselves (a macro with its braced
arguments, an accent, a braced group) go through pylatexenc's converter, each a few
characters long, so a long abstract costs one scan (pylatexenc on a whole text is
~20 µs a character). An unescaped ``%`` or ``&`` is text, as people write it, not a
comment or a column.
"""
from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Any

import pandas as pd
from markupsafe import Markup

from .markdown import clean_text, escape_markdown, one_line, present

__all__ = ["tex_to_text", "tex_to_markdown", "tex_segments", "display_titles", "summary_origin"]

#: Anything that can start TeX worth converting; text without it is returned as it is.
_TEX = re.compile(r"[\\{}$~]|--|``|''")
#: One construct of TeX in prose: a macro (``\\emph``, ``\\"``, ``\\%``) with its optional
#: ``[...]`` and braced arguments (brace-free inside: inner ones are converted first), or
#: a braced group without braces inside.
_CONSTRUCT = re.compile(r"\\(?:[A-Za-z@]+\*?(?:\s*\[[^\[\]{}]*\])?|[^A-Za-z\s])"
                        r"(?:\s*\{[^{}]*\}|(?<=[\"'`^~=.])\s*[A-Za-z])*"
                        r"|\{[^{}\\]*\}")
#: Passes of `_CONSTRUCT` over a text: one per level of nested braces converted.
_MAX_DEPTH = 6
_DASHES = (("---", "\u2014"), ("--", "\u2013"), ("``", "\u201c"), ("''", "\u201d"))
#: A tilde between two non-spaces, outside a web address: TeX's non-breaking space.
_TIE = re.compile(r"(?<=[^\s/])~(?=[^\s/])")
_URL = re.compile(r"\\url\{([^{}]*)\}")
_SPACES = re.compile(r"(?<=\S)[ \t]{2,}(?=\S)")
_MATH_OPEN = (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("$", "$"))
_UNTITLED = "Untitled"
#: MathJax commands that reach outside the formula (links, HTML attributes, extensions).
_MATH_MARKUP = re.compile(r"\\+(href|url|class|cssId|style|data|attr|require|html|unicode|mmlToken"
                          r"|texttip|toggle|mathtip|tooltip|action)(?![A-Za-z])")


@lru_cache(maxsize=1)
def _converter():
    """pylatexenc's parser context and converter, with the macros abstracts use that its
    defaults drop or spell oddly (``\\LaTeX``, ``\\url``, ``\\href``, citations)."""
    from pylatexenc import latex2text, latexwalker, macrospec
    logging.getLogger("pylatexenc").setLevel(logging.ERROR)   # a macro it cannot substitute stays
    parsing = latexwalker.get_default_latex_context_db()
    parsing.add_context_category("litscope", prepend=True, macros=[macrospec.MacroSpec("href", "{{")])
    texts = latex2text.get_default_latex_context_db()
    texts.add_context_category("litscope", prepend=True, macros=[
        latex2text.MacroTextSpec("LaTeX", "LaTeX"), latex2text.MacroTextSpec("TeX", "TeX"),
        latex2text.MacroTextSpec("href", "%(2)s"),
        *(latex2text.MacroTextSpec(name, "") for name in ("cite", "citep", "citet", "footnote"))])
    return parsing, latex2text.LatexNodes2Text(math_mode="verbatim", latex_context=texts,
                                               strict_latex_spaces=True)


@lru_cache(maxsize=4096)
def _construct_text(tex: str) -> str:
    """One TeX construct as text (pylatexenc); the construct as written if it cannot."""
    from pylatexenc.latexwalker import LatexWalker
    parsing, converter = _converter()
    try:
        nodes = LatexWalker(tex, latex_context=parsing, tolerant_parsing=True).get_latex_nodes()[0]
        return converter.nodelist_to_text(nodes)
    except Exception:   # pylatexenc raises several kinds on TeX it cannot read
        return tex


def tex_segments(text: str) -> list[tuple[bool, str]]:
    """`text` split into (is_math, piece): math keeps its delimiters; an escaped ``\\$``
    opens nothing, and an opening delimiter that is never closed is prose. One scan: each
    delimiter's next place is looked up again only once the scan has passed it, and a
    closer not found once is not looked for again."""
    pieces: list[tuple[bool, str]] = []
    start = prose = 0
    following: dict[str, int] = {}      # opener -> its next place at or after `start`
    unclosed: set[str] = set()
    while True:
        for opener, _ in _MATH_OPEN:
            if opener not in unclosed and following.get(opener, -2) < start and following.get(opener) != -1:
                found = text.find(opener, start)
                while found > 0 and text[found - 1] == "\\" and opener[0] == "$":
                    found = text.find(opener, found + 1)
                following[opener] = found
        open_at = [(following[o], -len(o), o, c) for o, c in _MATH_OPEN
                   if o not in unclosed and following[o] >= start]
        if not open_at:
            break
        found, _, opener, closer = min(open_at)
        if opener == "$" and "$$" in unclosed and text.startswith("$$", found):
            start = found + 2   # a "$$" that never closes is text, not two openers
            continue
        end = text.find(closer, found + len(opener) + (opener == "$"))
        if end == -1:
            unclosed.add(opener)
            continue
        if found > prose:
            pieces.append((False, text[prose:found]))
        pieces.append((True, text[found:end + len(closer)]))
        start = prose = end + len(closer)
    if prose < len(text):
        pieces.append((False, text[prose:]))
    return pieces


def _prose(text: str) -> str:
    """Prose with TeX as text: constructs converted innermost first, then dashes, quotes
    and ties."""
    text = _URL.sub(lambda m: m.group(1), text)   # a web address as written
    text = re.sub(r"(?<!\\)([%&#])", r"\\\1", text)   # written as text, not TeX
    for _ in range(_MAX_DEPTH):
        converted = _CONSTRUCT.sub(lambda m: _construct_text(m.group()), text)
        if converted == text:
            break
        text = converted
    for tex, char in _DASHES:
        text = text.replace(tex, char)
    return _SPACES.sub(" ", _TIE.sub("\u00a0", text))


def _math(piece: str) -> str:
    """Math with its delimiters as Pandoc reads them: ``$...$`` on one line without space
    inside the dollars, ``$$...$$`` for display math. MathJax's commands that make links,
    set HTML attributes or load extensions (``\\href``, ``\\class``, ``\\require``, ...)
    lose their backslash: in a paper's text they are someone else's markup."""
    display = piece.startswith(("$$", "\\["))
    inner = piece[2:-2] if piece.startswith(("$$", "\\[", "\\(")) else piece[1:-1]
    inner = _MATH_MARKUP.sub(r"\1", " ".join(inner.split()))
    return f"$${inner}$$" if display else f"${inner}$"


def tex_to_text(text: Any) -> str:
    """`text` with its TeX as readable text (``Bornd\\"orfer`` -> Borndörfer, ``50\\%`` ->
    50%, ``--`` -> –, ``\\emph{x}`` -> x) and its math kept as ``$...$`` (or ``$$...$$``)."""
    text = clean_text(text)
    if not _TEX.search(text):
        return text
    return "".join(_math(piece) if math else _prose(piece) for math, piece in tex_segments(text))


def tex_to_markdown(text: Any) -> Markup:
    """`tex_to_text` of `text` as page Markdown: prose escaped (`escape_markdown`), math
    left for Pandoc to render with MathJax (a shortcode opener in it broken)."""
    text = clean_text(text)
    parts = []
    for math, piece in tex_segments(text) if _TEX.search(text) else [(False, text)]:
        if math:
            parts.append(_math(piece).replace("{{<", "{{ <"))
            continue
        prose = _prose(piece) if _TEX.search(piece) else piece
        body = escape_markdown(prose, line_start=not parts)
        # escape_markdown trims each line: the spaces that part prose from math stay
        lead = " " if parts and prose[:1].isspace() else ""
        trail = " " if prose[-1:].isspace() and prose.strip() else ""
        parts.append(lead + body + trail if body else " ")
    return Markup("".join(parts).strip())


def display_titles(papers: pd.DataFrame) -> pd.Series:
    """What pages show as each paper's title, indexed like `papers`: its title as text
    (`tex_to_text`), or, for a paper whose source gave none (``title_derived``: a digest
    of untitled submissions, whose title litscope cut from the abstract), a short label
    that does not pass for a title: ``"Untitled (NExT-OMNI)"`` with the name the paper
    gives what it proposes, else ``"Untitled (<subtopic, topic or category>)"``."""
    from ..sources.digests.topics import proposed_name
    labels = []
    for row in papers.to_dict("records"):
        if not row.get("title_derived"):
            labels.append(one_line(tex_to_text(row["title"])))
            continue
        texts = [tex_to_text(row.get(f)) for f in ("abstract", "tldr") if present(row.get(f))]
        about = proposed_name(*texts) or next(
            (one_line(row[f]) for f in ("subtopic", "topic", "primary_category") if present(row.get(f))), None)
        labels.append(f"{_UNTITLED} ({about})" if about else f"{_UNTITLED} paper")
    return pd.Series(labels, index=papers.index, dtype=object)


def summary_origin(source: Any) -> str:
    """Where a paper's summary comes from, said to a reader: ``generated by gpt-4o-mini``
    (an LLM's), ``sentences picked from the abstract`` (litscope's extractive fallback: not
    a summary), ``from the digest it was imported from``."""
    source = one_line(source)
    if source.startswith("llm:"):
        return f"generated by {source.removeprefix('llm:')}"
    if source == "extractive":
        return "sentences picked from the abstract"
    return "from the digest it was imported from"
