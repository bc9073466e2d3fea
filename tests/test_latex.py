"""litscope.sources.latex: LaTeX in bibliography fields as text, in time linear in the field."""
import pytest

from litscope.sources.latex import LONGEST_PIECE, MAX_DEPTH, NestingError, _pieces, latex_to_text


@pytest.mark.parametrize("unit", ["word ", "{\\'e}t\\'e ", "$x^2$ y ", "\\emph{a b c} ", "x", "{{{x}}}"])
@pytest.mark.slow
def test_a_long_field_is_decoded_in_pieces_of_bounded_size(unit):
    """pylatexenc is quadratic in a run of plain characters (a 4 MB field took 251 s); each
    piece it is given is bounded, so decoding a field is linear in its length."""
    field = unit * (1_000_000 // len(unit))
    pieces = _pieces(field)
    assert "".join(pieces) == field and max(map(len, pieces)) <= LONGEST_PIECE + len(unit)


@pytest.mark.parametrize("text, plain", [
    ("R{\\o}nnow and M{\\\"u}ller", "Rønnow and Müller"),
    ("\\textasciicircum{} \\textasciitilde{} \\textbackslash{} \\& \\% \\$ \\# \\_ \\{ \\}", "^ ~ \\ & % $ # _ { }"),
    ("``quoted'' -- en--dash --- !` ?`", "``quoted'' -- en--dash --- !` ?`"),      # as arXiv's text has them
    ("50% of $x^2$, a~b", "50% of $x^2$, a b"),
    ("\\url{http://a_b.org/x}", "http://a_b.org/x"),
])
def test_latex_decodes_to_what_was_written(text, plain):
    assert latex_to_text(text) == plain


def test_braces_nested_too_deep_are_refused():
    """250 nested braces used to end 'library import' in a RecursionError."""
    assert latex_to_text("{" * MAX_DEPTH + "x" + "}" * MAX_DEPTH) == "x"
    with pytest.raises(NestingError, match="braces nested more than 32 deep"):
        latex_to_text("{" * 250 + "x" + "}" * 250)
