"""LaTeX in bibliography fields as plain text, in time linear in the field's length.

pylatexenc decodes accents, escapes and macros, but it gathers a run of plain characters by
concatenating a string one character at a time (``push_lastchars``), which is quadratic in
the run's length: a field of megabytes takes minutes. `latex_to_text` hands it the field in pieces
of about `PIECE` characters, cut where nothing can span the cut (at a space outside braces
and math, not after a control word; in text with no such place for `LONGEST_PIECE`
characters, anywhere), and text with no LaTeX in it not at all.

It reads back what `litscope.curate.export` writes: ``\\textasciicircum{}`` is ``^``, and
``--``, ``` `` ``` and ``''`` stay as written (arXiv's text uses them as plain characters);
``%`` is a percent sign, ``&`` an ampersand. Braces nested deeper than `MAX_DEPTH` are
refused (pylatexenc would recurse until Python gives up).
"""
from __future__ import annotations

import re
from functools import cache

#: Characters of pieces that are cut, and the most a piece grows when no cut fits.
PIECE, LONGEST_PIECE = 2_000, 16_000
#: Braces nested deeper than this are refused; titles nest two or three.
MAX_DEPTH = 32
#: Text without these is plain: decoding would give it back unchanged.
_LATEX = re.compile(r"[\\{}$~%]")
_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[{}$]|\s+|[^\\{}$\s]{1,1000}", re.S)
_BARE_PERCENT = re.compile(r"(?<!\\)((?:\\\\)*)%")


class NestingError(ValueError):
    """A field whose braces nest deeper than `MAX_DEPTH`."""


@cache
def _converter():
    from pylatexenc.latex2text import (LatexNodes2Text, MacroTextSpec, SpecialsTextSpec,
                                       get_default_latex_context_db)
    context = get_default_latex_context_db()   # a new one on each call: ours to change
    context.add_context_category(
        "litscope", prepend=True,
        macros=[MacroTextSpec("textasciicircum", "^"), MacroTextSpec("url", "%s")],
        specials=[SpecialsTextSpec(chars, chars) for chars in ("&", "``", "''", "--", "---", "!`", "?`")]
        + [SpecialsTextSpec("~", " ")])
    return LatexNodes2Text(latex_context=context, math_mode="verbatim")


def latex_to_text(text: str) -> str:
    """`text` with its LaTeX decoded (see the module docstring); `NestingError` when its
    braces nest deeper than `MAX_DEPTH`."""
    if not _LATEX.search(text):
        return text
    convert = _converter()
    return "".join(convert.latex_to_text(_BARE_PERCENT.sub(r"\1\\%", piece)) if _LATEX.search(piece)
                   else piece for piece in _pieces(text))


def _pieces(text: str) -> list[str]:
    """`text` cut into pieces that decode alone as they do together."""
    pieces, start, depth, math, after_word = [], 0, 0, False, False
    for token in _TOKEN.finditer(text):
        value = token.group()
        size = token.start() - start
        if value[0].isspace() and size >= PIECE and not depth and not math and not after_word \
                or size >= LONGEST_PIECE:   # no cut that keeps the meaning: a cut all the same
            pieces.append(text[start:token.start()])
            start = token.start()
        if value == "{":
            depth += 1
            if depth > MAX_DEPTH:
                raise NestingError(f"braces nested more than {MAX_DEPTH} deep")
        elif value == "}":
            depth = max(depth - 1, 0)
        elif value == "$":
            math = not math
        after_word = value[0] == "\\" and value[1:].isalpha()
    pieces.append(text[start:])
    return pieces
